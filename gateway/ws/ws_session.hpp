// One WebSocket connection after its upgrade (docs/websocket.md): reads and answers the
// client's frames on the connection's strand, and writes pushed balance updates that the
// push_hub queues from the ledger's thread.
//
// Writing: updates and replies wait in one queue (the only state shared with the hub's
// thread, under `mutex_`); one write at a time takes everything queued, many frames per
// system call, the update frames' bytes shared with every other subscriber. A client that
// reads too slowly fills the queue: from then on an update replaces the queued one of the
// same bucket (marked coalesced), and if the queue stays full for behind_close_ms the
// connection is closed with 1013 so the client resumes from the journal instead.
//
// Subscribing: the account is registered with the hub first (its updates are held), then
// its state is read (the durable view, or the journal after since_seq, page by page); held
// updates newer than what was read follow, so there is no gap and no duplicate.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "gateway/jwt.hpp"
#include "gateway/ws/connection_quota.hpp"
#include "gateway/ws/push_hub.hpp"
#include "gateway/ws/ws_context.hpp"
#include "gateway/ws/ws_frame.hpp"
#include "gateway/ws/ws_handshake.hpp"
#include "gateway/ws/ws_ops.hpp"

namespace ledgerflow::ws {

struct ws_session_setup {
  std::shared_ptr<ws_context> context;
  accepted_upgrade upgrade;
  token_claims claims;
  connection_quota::ticket ip_ticket;
  connection_quota::ticket subject_ticket;
  std::string leftover;  // bytes the client sent right after its upgrade request
};

// Stream is a plain boost::asio::ip::tcp::socket or the TLS stream the HTTP session had
// (both instantiated in ws_session.cpp).
template <class Stream>
class ws_session final : public std::enable_shared_from_this<ws_session<Stream>>, public push_subscriber {
public:
  // Takes over the connection slot the HTTP session held (gateway_metrics).
  ws_session(Stream stream, ws_session_setup setup);
  ~ws_session();

  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  // Writes the 101 answer, then serves the stream.
  void start();

  std::shared_ptr<push_subscriber> deliver(const push_event_ptr& event) override;
  void flush_pushed() override;

private:
  using clock = std::chrono::steady_clock;
  using error_code_type = boost::system::error_code;

  struct queued_frame {
    push_event_ptr event;  // a pushed update, bytes shared with every subscriber...
    bool coalesced = false;
    std::shared_ptr<const std::string> own;  // ...or this connection's own frame
  };

  struct account_stream {
    enum class phase : uint8_t { starting, replaying, live };
    phase state = phase::starting;
    uint64_t last_seq = 0;    // the client has (or is sent) every change up to here
    uint64_t generation = 0;  // the subscribe request that owns it
    std::vector<push_event_ptr> held;  // updates that came while starting or replaying
    bool held_overflow = false;        // some were dropped: read the journal again
  };

  struct subscribe_item {
    std::string account;
    uint64_t generation = 0;
    bool replay = false;
    uint64_t seq = 0;
    nlohmann::json balances;
    bool failed = false;
  };

  struct subscribe_request {
    std::string id;
    std::vector<subscribe_item> items;
    size_t waiting = 0;
  };

  // Reading.
  void do_read();
  void on_read(error_code_type ec, size_t bytes);
  bool process_frames();
  bool handle_frame(const frame_header& header, char* payload, size_t bytes);
  void on_message(opcode op, std::string& payload);
  bool take_rate_token();

  // Operations.
  void handle_op(const client_op& op);
  void subscribe(const client_op& op);
  void on_account_view(const std::shared_ptr<subscribe_request>& request, size_t index, outcome<account_view> view);
  void finish_subscribe(const std::shared_ptr<subscribe_request>& request);
  void request_replay(const std::string& account, uint64_t generation, uint64_t after_seq);
  void on_replay_page(const std::string& account, uint64_t generation, outcome<std::vector<journal_entry>> page);
  void unsubscribe(const client_op& op);
  void drop_stream(const std::string& account, uint64_t generation);

  // Writing. The *_locked functions run with mutex_ held.
  void send(const nlohmann::json& message);
  void send_error(std::string_view request_id, std::string_view code, std::string_view message);
  void queue_own(std::string frame);
  void queue_own_locked(std::string frame);
  void queue_update_locked(const push_event_ptr& event, bool schedule);
  void release_held_locked(account_stream& stream);
  void schedule_flush_locked();
  void flush();
  bool take_pending_locked();
  void write_taken(size_t skip_bytes);
  void on_write(error_code_type ec, size_t bytes);
  std::pair<size_t, size_t> write_directly();
  const std::string& bytes_of(const queued_frame& frame) const;
  void release_written();
  void resume_replays();

  // Lifetime.
  void arm_tick();
  void on_tick(error_code_type ec);
  void begin_close(close_code code, std::string_view reason);
  void unregister_all();
  void finish();
  void close_socket();

  boost::asio::ip::tcp::socket& raw_socket();

  Stream stream_;
  boost::asio::steady_timer tick_timer_;
  ws_session_setup setup_;
  const websocket_config& config_;
  session_registry::session_id registry_id_ = 0;

  // Strand only.
  std::string read_buffer_;
  size_t read_used_ = 0;
  bool input_stopped_ = false;  // after a fatal frame: discard input until the close ends
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
  std::string message_;
  std::vector<queued_frame> writing_;
  std::vector<boost::asio::const_buffer> write_buffers_;
  clock::time_point write_started_{};
  clock::time_point last_received_{};
  clock::time_point last_ping_{};
  clock::time_point close_deadline_{};
  bool close_queued_ = false;
  bool finished_ = false;
  uint64_t rate_tokens_milli_ = 0;
  clock::time_point rate_refilled_{};
  uint64_t rate_violations_ = 0;
  uint64_t next_generation_ = 0;
  std::vector<std::pair<std::string, uint64_t>> replays_waiting_;

  // Shared with deliver(), under mutex_.
  std::mutex mutex_;
  std::vector<queued_frame> pending_;
  std::unordered_map<std::string, account_stream> streams_;
  bool flush_posted_ = false;
  bool write_in_progress_ = false;
  bool closing_ = false;      // no update is queued any more
  bool close_in_write_ = false;
  bool hub_flush_due_ = false;   // deliver() asked the hub for a flush_pushed() call
  bool direct_writing_ = false;  // the hub's thread is in a write on this socket
  bool socket_closed_ = false;   // never write to the descriptor again (it may be reused)
  bool close_after_write_ = false;
  bool replay_paused_ = false;   // a replay waits for the queue to drain (replays_waiting_)
  clock::time_point behind_since_{};
};

} // namespace ledgerflow::ws
