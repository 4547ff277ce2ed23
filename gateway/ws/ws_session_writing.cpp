// ws_session: the send queue (updates from the hub's thread, the connection's own replies),
// coalescing for a client that falls behind, and the writes: one non-blocking sendmsg from the
// hub's thread when it can, Asio on the strand otherwise.
#include "gateway/ws/ws_session.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <type_traits>

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/ws/ws_messages.hpp"

namespace ledgerflow::ws {

namespace net = boost::asio;
using nlohmann::json;

namespace {

constexpr size_t held_updates_max = 4096;      // per account while its state is read
constexpr size_t writing_keep = 256;           // frames a write vector keeps room for
constexpr size_t direct_write_iov_max = 256;   // frames in one sendmsg (IOV_MAX is 1024)

} // namespace

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


template <class Stream>
void ws_session<Stream>::send(const json& message) {
  queue_own(encode_message(message, setup_.upgrade.format));
}

template <class Stream>
void ws_session<Stream>::send_error(std::string_view request_id, std::string_view code, std::string_view message) {
  setup_.context->metrics->count_websocket_error(code);
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
const std::string& ws_session<Stream>::bytes_of(const queued_frame& frame) const {
  static const std::string nothing;
  if (frame.own)
    return *frame.own;
  if (frame.event)
    return frame.event->frame(setup_.upgrade.format, frame.coalesced);
  return nothing;  // an update that gave way to a newer one
}

template <class Stream>
void ws_session<Stream>::release_written() {
  setup_.context->metrics->count_websocket_frames(writing_.size());
  writing_.clear();
  if (writing_.capacity() > writing_keep)
    std::vector<queued_frame>().swap(writing_);
}

template <class Stream>
void ws_session<Stream>::write_taken(size_t skip_bytes) {
  write_buffers_.clear();
  for (const auto& frame : writing_) {
    const auto& bytes = bytes_of(frame);
    if (skip_bytes >= bytes.size()) {
      skip_bytes -= bytes.size();
      continue;
    }
    write_buffers_.emplace_back(bytes.data() + skip_bytes, bytes.size() - skip_bytes);
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
    auto [sent, total] = write_directly();
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
    if (sent < total)
      return net::post(stream_.get_executor(), [self, sent = sent] { self->write_taken(sent); });
    // All taken: the write ends here, with no hop to the strand unless something waits there.
    release_written();
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

// One sendmsg of writing_ (its first direct_write_iov_max frames; the rest goes through
// Asio). Returns the bytes the kernel took (SIZE_MAX when the connection is broken) and the
// bytes of all of writing_.
template <class Stream>
std::pair<size_t, size_t> ws_session<Stream>::write_directly() {
  if constexpr (std::is_same_v<Stream, net::ip::tcp::socket>) {
    std::array<iovec, direct_write_iov_max> vectors;
    size_t count = 0;
    size_t total = 0;
    for (const auto& frame : writing_) {
      const auto& bytes = bytes_of(frame);
      total += bytes.size();
      if (bytes.empty() || count == vectors.size())
        continue;
      vectors[count].iov_base = const_cast<char*>(bytes.data());
      vectors[count].iov_len = bytes.size();
      ++count;
    }
    if (count == 0)
      return {0, total};
    msghdr message{};
    message.msg_iov = vectors.data();
    message.msg_iovlen = count;
    setup_.context->metrics->count_websocket_write();
    for (;;) {
      auto sent = ::sendmsg(stream_.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent >= 0)
        return {static_cast<size_t>(sent), total};
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return {0, total};
      return {SIZE_MAX, total};
    }
  } else {
    return {0, 0};  // TLS never writes directly (flush_pushed)
  }
}

template <class Stream>
void ws_session<Stream>::on_write(error_code_type ec, size_t) {
  // writing_ is emptied before the write side is given up: the hub's thread may take it next.
  release_written();
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


template class ws_session<net::ip::tcp::socket>;
template class ws_session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace ledgerflow::ws
