#include "gateway/ws/ws_session.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <type_traits>

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "gateway/auth.hpp"
#include "gateway/json_body.hpp"
#include "gateway/ws/ws_messages.hpp"
#include "protocols/json_views.hpp"
#include "protocols/limits.hpp"
#include "protocols/msgpack_codec.hpp"

namespace ledgerflow::ws {

namespace net = boost::asio;
using nlohmann::json;

namespace {

constexpr size_t read_buffer_initial = 1024;
constexpr size_t read_buffer_keep = 16 * 1024;     // larger buffers shrink back once emptied
constexpr size_t held_updates_max = 4096;          // per account while its state is read
constexpr size_t writing_keep = 256;               // frames a write vector keeps room for
constexpr std::chrono::milliseconds close_wait{2000};  // for the client's close after ours
constexpr std::chrono::milliseconds tick_max{5000};
constexpr uint64_t milli = 1000;
constexpr size_t direct_write_iov_max = 256;  // frames in one sendmsg (IOV_MAX is 1024)

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

// ---- reading ----

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
  setup_.context->metrics->count_websocket_error("rate_limited");
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
  if (!decoded) {
    setup_.context->metrics->count_websocket_error("bad_request");
    return send_error("", "bad_request", decoded.error().message);
  }
  // The subscription limit is checked by subscribe() (too_many_subscriptions); parsing only
  // bounds the work one message may ask for.
  auto op_parsed = parse_client_op(*decoded, std::max(config_.subscriptions_max, limits::token_accounts_max));
  if (!op_parsed) {
    setup_.context->metrics->count_websocket_error("bad_request");
    return send_error(request_id_of(*decoded), "bad_request", op_parsed.error().message);
  }
  handle_op(*op_parsed);
}

// ---- operations ----

template <class Stream>
void ws_session<Stream>::handle_op(const client_op& op) {
  switch (op.type) {
    case client_op::kind::ping: {
      json pong{{"type", "pong"}};
      if (!op.id.empty())
        pong["id"] = op.id;
      return send(pong);
    }
    case client_op::kind::subscribe: return subscribe(op);
    case client_op::kind::unsubscribe: return unsubscribe(op);
  }
}

template <class Stream>
void ws_session<Stream>::subscribe(const client_op& op) {
  for (const auto& each : op.accounts) {
    if (!may_read_account(setup_.claims, each.account)) {
      setup_.context->metrics->count_websocket_error("forbidden");
      return send_error(op.id, "forbidden", "the token does not allow account " + each.account);
    }
  }
  auto request = std::make_shared<subscribe_request>();
  request->id = op.id;
  std::vector<std::string> to_register;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t added = 0;
    for (const auto& each : op.accounts)
      added += streams_.count(each.account) == 0 ? 1 : 0;
    if (streams_.size() + added > config_.subscriptions_max) {
      setup_.context->metrics->count_websocket_error(too_many_subscriptions);
      // Unlocking first: send takes the lock too.
      request.reset();
    } else {
      for (const auto& each : op.accounts) {
        subscribe_item item;
        item.account = each.account;
        item.generation = ++next_generation_;
        item.replay = each.since_seq.has_value();
        item.seq = each.since_seq.value_or(0);
        auto [place, inserted] = streams_.try_emplace(each.account);
        if (inserted)
          to_register.push_back(each.account);
        place->second = account_stream{};
        place->second.generation = item.generation;
        request->items.push_back(std::move(item));
      }
    }
  }
  if (!request)
    return send_error(op.id, too_many_subscriptions,
                      "at most " + std::to_string(config_.subscriptions_max) + " accounts per connection");
  // Registered before any state is read, so no update falls between the read and the stream.
  for (const auto& account : to_register)
    setup_.context->hub->add(account, this);
  for (size_t i = 0; i < request->items.size(); ++i) {
    if (request->items[i].replay)
      continue;
    ++request->waiting;
    auto gate = setup_.context->gate;
    setup_.context->ledger->get_account(
      request->items[i].account,
      [gate, weak = this->weak_from_this(), executor = stream_.get_executor(), request, i](outcome<account_view> view) {
        gate->run_if_open([&] {
          if (auto self = weak.lock())
            net::post(executor, [self, request, i, view = std::move(view)]() mutable {
              self->on_account_view(request, i, std::move(view));
            });
        });
      });
  }
  if (request->waiting == 0)
    finish_subscribe(request);
}

template <class Stream>
void ws_session<Stream>::on_account_view(const std::shared_ptr<subscribe_request>& request, size_t index,
                                 outcome<account_view> view) {
  auto& item = request->items[index];
  if (view) {
    item.seq = view->seq;
    item.balances = json::array();
    for (const auto& balance : view->balances)
      if (auto rendered = balance_json(balance, setup_.context->ledger->assets()))
        item.balances.push_back(std::move(*rendered));
  } else if (view.error().code == error_code::not_found) {
    item.seq = 0;  // no entries yet: every change will be new
    item.balances = json::array();
  } else {
    item.failed = true;
    send_error(request->id, to_string(view.error().code), "cannot subscribe to " + item.account + ": " + view.error().message);
    drop_stream(item.account, item.generation);
  }
  if (--request->waiting == 0)
    finish_subscribe(request);
}

template <class Stream>
void ws_session<Stream>::finish_subscribe(const std::shared_ptr<subscribe_request>& request) {
  std::vector<std::pair<std::string, uint64_t>> replays;  // account, from seq
  std::vector<uint64_t> generations;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_)
      return;
    json accounts = json::array();
    for (const auto& item : request->items) {
      auto stream = streams_.find(item.account);
      if (item.failed || stream == streams_.end() || stream->second.generation != item.generation)
        continue;  // failed, or unsubscribed or re-subscribed meanwhile
      json entry{{"account", item.account}, {"seq", item.seq}};
      if (!item.replay)
        entry["balances"] = item.balances;
      accounts.push_back(std::move(entry));
    }
    json reply{{"type", "subscribed"}, {"accounts", std::move(accounts)}};
    if (!request->id.empty())
      reply["id"] = request->id;
    queue_own_locked(encode_message(reply, setup_.upgrade.format));
    // The answer is queued before any update of these accounts can be.
    for (const auto& item : request->items) {
      auto stream = streams_.find(item.account);
      if (item.failed || stream == streams_.end() || stream->second.generation != item.generation)
        continue;
      auto& state = stream->second;
      state.last_seq = item.seq;
      if (!item.replay && !state.held_overflow) {
        release_held_locked(state);
        continue;
      }
      // Replaying, or updates were dropped while the view was read: the journal fills in.
      state.state = account_stream::phase::replaying;
      state.held.clear();
      state.held_overflow = false;
      replays.emplace_back(item.account, item.seq);
      generations.push_back(item.generation);
    }
  }
  for (size_t i = 0; i < replays.size(); ++i)
    request_replay(replays[i].first, generations[i], replays[i].second);
}

template <class Stream>
void ws_session<Stream>::request_replay(const std::string& account, uint64_t generation, uint64_t after_seq) {
  auto gate = setup_.context->gate;
  setup_.context->ledger->get_entries(
    account, after_seq, limits::entries_page_max,
    [gate, weak = this->weak_from_this(), executor = stream_.get_executor(), account, generation](
      outcome<std::vector<journal_entry>> page) {
      gate->run_if_open([&] {
        if (auto self = weak.lock())
          net::post(executor, [self, account, generation, page = std::move(page)]() mutable {
            self->on_replay_page(account, generation, std::move(page));
          });
      });
    });
}

template <class Stream>
void ws_session<Stream>::on_replay_page(const std::string& account, uint64_t generation,
                                outcome<std::vector<journal_entry>> page) {
  if (!page) {
    send_error("", "unavailable", "cannot replay " + account + ": " + page.error().message);
    return drop_stream(account, generation);
  }
  bool more = false;
  uint64_t next_after = 0;
  bool wait_for_writes = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto stream = streams_.find(account);
    if (closing_ || stream == streams_.end() || stream->second.generation != generation)
      return;
    auto& state = stream->second;
    for (const auto& entry : *page) {
      if (entry.seq <= state.last_seq)
        continue;
      auto frame = encode_balance_frame(entry, entry.timestamp_us, setup_.context->ledger->assets(),
                                        setup_.upgrade.format, false);
      if (!frame.empty())
        queue_own_locked(std::move(frame));
      state.last_seq = entry.seq;
    }
    more = page->size() >= limits::entries_page_max;
    if (!more && !state.held_overflow) {
      release_held_locked(state);
      return;
    }
    if (state.held_overflow) {
      // Updates were dropped while this page was read; the next read covers them.
      state.held.clear();
      state.held_overflow = false;
    }
    next_after = state.last_seq;
    // Do not read the journal faster than the client takes it.
    wait_for_writes = pending_.size() > config_.send_queue_frames_max;
    replay_paused_ = replay_paused_ || wait_for_writes;
  }
  if (wait_for_writes)
    replays_waiting_.emplace_back(account, generation);
  else
    request_replay(account, generation, next_after);
}

template <class Stream>
void ws_session<Stream>::resume_replays() {
  if (replays_waiting_.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    replay_paused_ = false;
  }
  std::vector<std::pair<std::string, uint64_t>> waiting;
  waiting.swap(replays_waiting_);
  for (auto& [account, generation] : waiting) {
    uint64_t after = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto stream = streams_.find(account);
      if (closing_ || stream == streams_.end() || stream->second.generation != generation)
        continue;
      after = stream->second.last_seq;
    }
    request_replay(account, generation, after);
  }
}

template <class Stream>
void ws_session<Stream>::unsubscribe(const client_op& op) {
  json accounts = json::array();
  for (const auto& each : op.accounts) {
    bool removed = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      removed = streams_.erase(each.account) > 0;
    }
    if (removed)
      setup_.context->hub->remove(each.account, this);
    accounts.push_back(each.account);
  }
  json reply{{"type", "unsubscribed"}, {"accounts", std::move(accounts)}};
  if (!op.id.empty())
    reply["id"] = op.id;
  send(reply);
}

template <class Stream>
void ws_session<Stream>::drop_stream(const std::string& account, uint64_t generation) {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto stream = streams_.find(account);
    if (stream != streams_.end() && stream->second.generation == generation) {
      streams_.erase(stream);
      removed = true;
    }
  }
  if (removed)
    setup_.context->hub->remove(account, this);
}

// ---- the hub's side ----

template <class Stream>
std::shared_ptr<push_subscriber> ws_session<Stream>::deliver(const push_event_ptr& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_)
    return nullptr;
  auto stream = streams_.find(event->entry().account);
  if (stream == streams_.end())
    return nullptr;
  auto& state = stream->second;
  if (state.state != account_stream::phase::live) {
    if (state.held.size() < held_updates_max)
      state.held.push_back(event);
    else
      state.held_overflow = true;
    return nullptr;
  }
  if (event->entry().seq <= state.last_seq)
    return nullptr;  // already sent by the replay
  state.last_seq = event->entry().seq;
  queue_update_locked(event, false);
  if (hub_flush_due_ || write_in_progress_)
    return nullptr;  // asked already, or the write in progress takes it when it ends
  hub_flush_due_ = true;
  return this->weak_from_this().lock();
}

// ---- writing ----

template <class Stream>
void ws_session<Stream>::send(const json& message) {
  queue_own(encode_message(message, setup_.upgrade.format));
}

template <class Stream>
void ws_session<Stream>::send_error(std::string_view request_id, std::string_view code, std::string_view message) {
  send(error_message(request_id, code, message));
}

template <class Stream>
void ws_session<Stream>::queue_own(std::string frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_own_locked(std::move(frame));
}

template <class Stream>
void ws_session<Stream>::queue_own_locked(std::string frame) {
  if (close_queued_)
    return;  // nothing may follow the close frame
  queued_frame queued;
  queued.own = std::make_shared<const std::string>(std::move(frame));
  pending_.push_back(std::move(queued));
  schedule_flush_locked();
}

template <class Stream>
void ws_session<Stream>::queue_update_locked(const push_event_ptr& event, bool schedule) {
  queued_frame queued;
  queued.event = event;
  if (pending_.size() >= config_.send_queue_frames_max) {
    // Behind: the newest queued update of the same bucket gives way to this one, which
    // says so (the client sees that bucket's seq jump, marked). Taking the newest keeps
    // every other jump marked too, and the queue holds at most one update a bucket beyond
    // the limit.
    if (behind_since_ == clock::time_point{})
      behind_since_ = clock::now();
    const auto& entry = event->entry();
    for (auto each = pending_.rbegin(); each != pending_.rend(); ++each) {
      if (each->event && each->event->entry().account == entry.account && each->event->entry().bucket == entry.bucket) {
        pending_.erase(std::next(each).base());
        queued.coalesced = true;
        setup_.context->metrics->count_websocket_coalesced();
        break;
      }
    }
  }
  pending_.push_back(std::move(queued));
  if (schedule)
    schedule_flush_locked();
}

template <class Stream>
void ws_session<Stream>::release_held_locked(account_stream& stream) {
  stream.state = account_stream::phase::live;
  for (const auto& event : stream.held) {
    if (event->entry().seq <= stream.last_seq)
      continue;
    stream.last_seq = event->entry().seq;
    queue_update_locked(event, true);
  }
  stream.held.clear();
  stream.held.shrink_to_fit();
}

template <class Stream>
void ws_session<Stream>::schedule_flush_locked() {
  if (write_in_progress_ || flush_posted_)
    return;  // on_write or the posted flush will take it
  auto self = this->weak_from_this().lock();
  if (!self)
    return;  // being destroyed
  flush_posted_ = true;
  net::post(stream_.get_executor(), [self = std::move(self)] { self->flush(); });
}

// Moves every queued frame into writing_ and claims the socket's write side; false when
// there is nothing to write or a write is already in progress.
template <class Stream>
bool ws_session<Stream>::take_pending_locked() {
  if (write_in_progress_ || pending_.empty() || socket_closed_)
    return false;
  writing_.swap(pending_);
  write_in_progress_ = true;
  write_started_ = clock::now();
  behind_since_ = clock::time_point{};
  close_in_write_ = close_queued_;
  return true;
}

template <class Stream>
void ws_session<Stream>::flush() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    flush_posted_ = false;
    if (finished_ || !take_pending_locked())
      return;
  }
  write_taken(0);
}

// Writes writing_ with Asio, on the strand, leaving out its first `skip_bytes` (what a direct
// write already sent).
template <class Stream>
void ws_session<Stream>::write_taken(size_t skip_bytes) {
  write_buffers_.clear();
  for (const auto& frame : writing_) {
    const std::string* bytes = frame.own ? frame.own.get() : nullptr;
    if (!bytes && frame.event)
      bytes = &frame.event->frame(setup_.upgrade.format, frame.coalesced);
    if (!bytes || bytes->empty())
      continue;
    if (skip_bytes >= bytes->size()) {
      skip_bytes -= bytes->size();
      continue;
    }
    write_buffers_.emplace_back(bytes->data() + skip_bytes, bytes->size() - skip_bytes);
    skip_bytes = 0;
  }
  setup_.context->metrics->count_websocket_write();
  net::async_write(stream_, write_buffers_,
                   [self = this->shared_from_this()](error_code_type ec, size_t bytes) { self->on_write(ec, bytes); });
}

// The hub's thread, after a round: a plain socket gets its new frames in one non-blocking
// sendmsg right here (no hop through the io threads); what the kernel does not take at once,
// and everything on TLS, goes on through Asio on the strand.
template <class Stream>
void ws_session<Stream>::flush_pushed() {
  if constexpr (!std::is_same_v<Stream, net::ip::tcp::socket>) {
    std::lock_guard<std::mutex> lock(mutex_);
    hub_flush_due_ = false;
    schedule_flush_locked();
  } else {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hub_flush_due_ = false;
      if (!take_pending_locked())
        return;
      direct_writing_ = true;
    }
    auto sent = write_directly();
    bool close = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      direct_writing_ = false;
      close = close_after_write_;
    }
    auto self = this->shared_from_this();
    if (close)
      return net::post(stream_.get_executor(), [self] { self->close_socket(); });
    if (sent == SIZE_MAX)
      return net::post(stream_.get_executor(), [self] { self->on_write(net::error::broken_pipe, 0); });
    size_t total = 0;
    for (const auto& frame : writing_)
      total += frame.own ? frame.own->size() : (frame.event ? frame.event->frame(setup_.upgrade.format, frame.coalesced).size() : 0);
    if (sent < total)
      return net::post(stream_.get_executor(), [self, sent] { self->write_taken(sent); });
    // All taken: the write ends here, with no hop to the strand unless something waits there.
    setup_.context->metrics->count_websocket_frames(writing_.size());
    writing_.clear();
    if (writing_.capacity() > writing_keep)
      std::vector<queued_frame>().swap(writing_);
    bool close_written = false;
    bool replay_paused = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      write_in_progress_ = false;
      close_written = close_in_write_;
      replay_paused = replay_paused_;
      if (!close_written && !pending_.empty())
        schedule_flush_locked();
    }
    if (close_written || replay_paused)
      net::post(stream_.get_executor(), [self, close_written] {
        if (!close_written)
          return self->resume_replays();
        error_code_type ignored;  // then wait (bounded) for the client's close
        self->raw_socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
      });
  }
}

// One sendmsg of writing_ (up to IOV_MAX frames; the rest goes through Asio). Returns the
// bytes the kernel took, or SIZE_MAX when the connection is broken.
template <class Stream>
size_t ws_session<Stream>::write_directly() {
  if constexpr (std::is_same_v<Stream, net::ip::tcp::socket>) {
    std::array<iovec, direct_write_iov_max> vectors;
    size_t count = 0;
    for (const auto& frame : writing_) {
      if (count == vectors.size())
        break;
      const std::string* bytes = frame.own ? frame.own.get() : nullptr;
      if (!bytes && frame.event)
        bytes = &frame.event->frame(setup_.upgrade.format, frame.coalesced);
      if (!bytes || bytes->empty())
        continue;
      vectors[count].iov_base = const_cast<char*>(bytes->data());
      vectors[count].iov_len = bytes->size();
      ++count;
    }
    if (count == 0)
      return 0;
    msghdr message{};
    message.msg_iov = vectors.data();
    message.msg_iovlen = count;
    setup_.context->metrics->count_websocket_write();
    for (;;) {
      auto sent = ::sendmsg(stream_.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent >= 0)
        return static_cast<size_t>(sent);
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
      return SIZE_MAX;
    }
  } else {
    return 0;
  }
}

template <class Stream>
void ws_session<Stream>::on_write(error_code_type ec, size_t) {
  // writing_ is emptied before the write side is given up: the hub's thread may take it next.
  setup_.context->metrics->count_websocket_frames(writing_.size());
  writing_.clear();
  if (writing_.capacity() > writing_keep)
    std::vector<queued_frame>().swap(writing_);
  write_buffers_.clear();
  if (write_buffers_.capacity() > writing_keep)
    std::vector<net::const_buffer>().swap(write_buffers_);
  bool close_written = false;
  bool more = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    write_in_progress_ = false;
    close_written = close_in_write_;
    more = !pending_.empty();
  }
  if (ec)
    return finish();
  if (close_written) {
    // Wait (bounded by the tick) for the client's close; it ends the connection.
    error_code_type ignored;
    raw_socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  if (more)
    flush();
  resume_replays();
}

// ---- lifetime ----

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
