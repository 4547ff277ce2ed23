// ws_session: the connection's life (start, reading and checking the client's frames,
// ticks, close). Subscriptions are in ws_session_subscriptions.cpp, the send queue and
// writes in ws_session_writing.cpp.
#include "gateway/ws/ws_session.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/json_body.hpp"
#include "gateway/ws/ws_messages.hpp"
#include "protocols/limits.hpp"
#include "protocols/msgpack_codec.hpp"

namespace ledgerflow::ws {

namespace net = boost::asio;
using nlohmann::json;

namespace {

constexpr size_t read_buffer_initial = 1024;
constexpr size_t read_buffer_keep = 16 * 1024;        // larger buffers shrink back once emptied
constexpr std::chrono::milliseconds close_wait{2000};  // for the client's close after ours
constexpr std::chrono::milliseconds tick_max{5000};
constexpr uint64_t milli = 1000;

bool is_data(opcode op) {
  return op == opcode::text || op == opcode::binary || op == opcode::continuation;
}

std::chrono::milliseconds ms(uint32_t value) {
  return std::chrono::milliseconds(value);
}

} // namespace

template <class Stream>
ws_session<Stream>::ws_session(Stream stream, ws_session_setup setup)
  : stream_(std::move(stream)), tick_timer_(stream_.get_executor()), setup_(std::move(setup)),
    config_(setup_.context->config) {
  rate_tokens_milli_ = uint64_t{config_.messages_per_second} * 2 * milli;
}

template <class Stream>
ws_session<Stream>::~ws_session() {
  unregister_all();
  setup_.context->metrics->close_websocket();
  setup_.context->metrics->close_connection();
  setup_.context->sessions->remove(registry_id_);
}

template <class Stream>
void ws_session<Stream>::start() {
  auto& context = *setup_.context;
  context.metrics->open_websocket();
  registry_id_ = context.sessions->add([weak = this->weak_from_this(), executor = stream_.get_executor()] {
    if (auto self = weak.lock())
      net::post(executor, [self] { self->begin_close(close_code::going_away, "server shutting down"); });
  });
  auto now = clock::now();
  last_received_ = now;
  last_ping_ = now;
  rate_refilled_ = now;
  net::post(stream_.get_executor(), [self = this->shared_from_this()] {
    if (self->setup_.context->sessions->draining())
      return self->finish();
    self->queue_own(switching_protocols_response(self->setup_.upgrade));
    self->read_buffer_ = std::move(self->setup_.leftover);
    self->read_used_ = self->read_buffer_.size();
    self->read_buffer_.resize(std::max(read_buffer_initial, self->read_used_));
    if (!self->process_frames())
      return;
    self->do_read();
    self->arm_tick();
  });
}


template <class Stream>
void ws_session<Stream>::do_read() {
  if (finished_)
    return;
  if (read_buffer_.size() - read_used_ < read_buffer_initial / 2)
    read_buffer_.resize(read_buffer_.size() * 2);
  stream_.async_read_some(net::buffer(read_buffer_.data() + read_used_, read_buffer_.size() - read_used_),
                          [self = this->shared_from_this()](error_code_type ec, size_t bytes) { self->on_read(ec, bytes); });
}

template <class Stream>
void ws_session<Stream>::on_read(error_code_type ec, size_t bytes) {
  if (ec)
    return finish();  // the peer went away (or we closed the socket)
  last_received_ = clock::now();
  read_used_ += bytes;
  if (input_stopped_) {
    read_used_ = 0;
    return do_read();
  }
  if (process_frames())
    do_read();
}

// Handles every whole frame in the buffer; false when the connection ends (no more reads).
template <class Stream>
bool ws_session<Stream>::process_frames() {
  size_t offset = 0;
  bool keep_reading = true;
  while (keep_reading && !input_stopped_) {
    auto parsed = parse_client_header(std::string_view(read_buffer_.data() + offset, read_used_ - offset));
    if (parsed.status == parse_status::need_more)
      break;
    if (parsed.status == parse_status::violation) {
      begin_close(close_code::protocol_error, parsed.why);
      break;
    }
    const auto& header = parsed.header;
    if (is_data(header.op) && message_.size() + header.payload_bytes > config_.message_bytes_max) {
      begin_close(close_code::message_too_big,
                  "a message may have at most " + std::to_string(config_.message_bytes_max) + " bytes");
      break;
    }
    size_t total = header.header_bytes + static_cast<size_t>(header.payload_bytes);
    if (read_used_ - offset < total) {
      if (total > read_buffer_.size()) {
        std::memmove(read_buffer_.data(), read_buffer_.data() + offset, read_used_ - offset);
        read_used_ -= offset;
        offset = 0;
        read_buffer_.resize(total + read_buffer_initial);
      }
      break;
    }
    char* payload = read_buffer_.data() + offset + header.header_bytes;
    auto payload_bytes = static_cast<size_t>(header.payload_bytes);
    unmask(payload, payload_bytes, header.mask);
    offset += total;
    keep_reading = handle_frame(header, payload, payload_bytes);
  }
  if (input_stopped_) {
    read_used_ = 0;
    return !finished_;
  }
  if (offset > 0) {
    std::memmove(read_buffer_.data(), read_buffer_.data() + offset, read_used_ - offset);
    read_used_ -= offset;
  }
  if (read_used_ == 0 && read_buffer_.size() > read_buffer_keep)
    std::string(read_buffer_initial, '\0').swap(read_buffer_);
  return keep_reading && !finished_;
}

template <class Stream>
bool ws_session<Stream>::handle_frame(const frame_header& header, char* payload, size_t bytes) {
  switch (header.op) {
    case opcode::text:
    case opcode::binary:
      if (in_message_) {
        begin_close(close_code::protocol_error, "a new message began before the last one ended");
        return false;
      }
      in_message_ = true;
      message_op_ = header.op;
      message_.assign(payload, bytes);
      break;
    case opcode::continuation:
      if (!in_message_) {
        begin_close(close_code::protocol_error, "continuation frame without a message");
        return false;
      }
      message_.append(payload, bytes);
      break;
    case opcode::ping:
      if (!take_rate_token())
        return !input_stopped_;
      queue_own(encode_frame(opcode::pong, std::string_view(payload, bytes)));
      return true;
    case opcode::pong:
      return true;
    case opcode::close:
      if (close_queued_) {
        finish();  // the client answered our close
        return false;
      }
      begin_close(close_code::normal, "");
      return false;
  }
  if (!header.fin)
    return true;
  in_message_ = false;
  on_message(message_op_, message_);
  message_.clear();
  if (message_.capacity() > read_buffer_keep)
    std::string().swap(message_);
  return !input_stopped_ && !finished_;
}

// A token bucket of messages_per_second with a burst of twice that. Past it, the first
// message refused gets an error frame; a client that keeps sending through a second burst's
// worth of refusals is closed (1008).
template <class Stream>
bool ws_session<Stream>::take_rate_token() {
  auto now = clock::now();
  auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - rate_refilled_).count();
  uint64_t capacity = uint64_t{config_.messages_per_second} * 2 * milli;
  if (elapsed_ms > 0) {
    rate_tokens_milli_ = std::min(capacity, rate_tokens_milli_ + static_cast<uint64_t>(elapsed_ms) * config_.messages_per_second);
    rate_refilled_ = now;
  }
  if (rate_tokens_milli_ >= milli) {
    rate_tokens_milli_ -= milli;
    rate_violations_ = 0;
    return true;
  }
  ++rate_violations_;
  if (rate_violations_ == 1)
    send_error("", "rate_limited",
               "more than " + std::to_string(config_.messages_per_second) + " messages a second; this one was dropped");
  else if (rate_violations_ > capacity / milli)
    begin_close(close_code::policy_violation, "message rate exceeded");
  return false;
}

template <class Stream>
void ws_session<Stream>::on_message(opcode op, std::string& payload) {
  if (!take_rate_token())
    return;
  outcome<json> decoded = make_error(error_code::bad_request, "");
  if (op == opcode::text) {
    if (!is_valid_utf8(payload))
      return begin_close(close_code::invalid_payload, "text frames must be UTF-8");
    decoded = parse_json_object(payload);
  } else if (setup_.upgrade.format == frame_format::msgpack) {
    decoded = msgpack_to_json(payload);
  } else {
    decoded = make_error(error_code::bad_request,
                         "binary frames carry msgpack only with the subprotocol " + std::string(msgpack_subprotocol));
  }
  if (!decoded)
    return send_error("", "bad_request", decoded.error().message);
  // The subscription limit is checked by subscribe() (too_many_subscriptions); parsing only
  // bounds the work one message may ask for.
  auto op_parsed = parse_client_op(*decoded, std::max(config_.subscriptions_max, limits::token_accounts_max));
  if (!op_parsed)
    return send_error(request_id_of(*decoded), "bad_request", op_parsed.error().message);
  handle_op(*op_parsed);
}


template <class Stream>
net::ip::tcp::socket& ws_session<Stream>::raw_socket() {
  if constexpr (std::is_same_v<Stream, net::ip::tcp::socket>)
    return stream_;
  else
    return boost::beast::get_lowest_layer(stream_).socket();
}

template <class Stream>
void ws_session<Stream>::arm_tick() {
  // Coarse (10,000 idle connections must cost little), but never later than the token's expiry.
  auto period = std::min<std::chrono::milliseconds>(
    {ms(config_.ping_interval_ms), ms(config_.idle_timeout_ms) / 2, ms(config_.behind_close_ms) / 2, tick_max});
  auto until_expiry = std::chrono::seconds(std::max<int64_t>(0, setup_.claims.expires_at_s - setup_.context->clock()));
  period = std::min<std::chrono::milliseconds>(period, until_expiry + std::chrono::milliseconds(1));
  if (close_queued_)
    period = std::min<std::chrono::milliseconds>(period, close_wait);
  tick_timer_.expires_after(std::max(period, std::chrono::milliseconds(10)));
  tick_timer_.async_wait([self = this->shared_from_this()](error_code_type ec) { self->on_tick(ec); });
}

template <class Stream>
void ws_session<Stream>::on_tick(error_code_type ec) {
  if (ec || finished_)
    return;
  auto now = clock::now();
  if (close_queued_) {
    if (now >= close_deadline_)
      return finish();
    return arm_tick();
  }
  bool behind = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto limit = ms(config_.behind_close_ms);
    behind = (behind_since_ != clock::time_point{} && now - behind_since_ >= limit)
             || (write_in_progress_ && now - write_started_ >= limit);
  }
  if (setup_.claims.expires_at_s <= setup_.context->clock())
    begin_close(close_code::policy_violation, "token expired");
  else if (now - last_received_ >= ms(config_.idle_timeout_ms))
    begin_close(close_code::going_away, "idle timeout");
  else if (behind)
    begin_close(close_code::try_again_later, "the client fell behind; reconnect and resume with since_seq");
  else if (now - last_received_ >= ms(config_.ping_interval_ms) && now - last_ping_ >= ms(config_.ping_interval_ms)) {
    last_ping_ = now;
    queue_own(encode_frame(opcode::ping, ""));
  }
  arm_tick();
}

template <class Stream>
void ws_session<Stream>::begin_close(close_code code, std::string_view reason) {
  if (close_queued_ || finished_)
    return;
  setup_.context->metrics->count_websocket_close(static_cast<uint16_t>(code));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Queued updates are dropped: the client resumes from the journal with since_seq.
    pending_.clear();
    queued_frame close;
    close.own = std::make_shared<const std::string>(encode_close(code, reason));
    pending_.push_back(std::move(close));
    close_queued_ = true;
    closing_ = true;
    schedule_flush_locked();
  }
  if (code != close_code::normal)
    input_stopped_ = true;
  close_deadline_ = clock::now() + close_wait;
  unregister_all();
  if (!finished_)
    arm_tick();  // the next tick may be seconds away; the close must not wait for it
}

template <class Stream>
void ws_session<Stream>::unregister_all() {
  std::vector<std::string> accounts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    accounts.reserve(streams_.size());
    for (const auto& [account, stream] : streams_)
      accounts.push_back(account);
    streams_.clear();
  }
  for (const auto& account : accounts)
    setup_.context->hub->remove(account, this);
}

template <class Stream>
void ws_session<Stream>::finish() {
  if (finished_)
    return;
  finished_ = true;
  unregister_all();
  tick_timer_.cancel();
  close_socket();
}

// The descriptor is closed only when the hub's thread is not writing to it: closed, its
// number could be reused by the next connection at once.
template <class Stream>
void ws_session<Stream>::close_socket() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (socket_closed_)
      return;
    if (direct_writing_) {
      close_after_write_ = true;
      return;
    }
    socket_closed_ = true;
  }
  error_code_type ignored;
  raw_socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  raw_socket().close(ignored);
}

template class ws_session<net::ip::tcp::socket>;
template class ws_session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace ledgerflow::ws
