// One HTTP/1.1 connection: read a request (bounded header, body and time), hand it to the
// router, wait (bounded) for the answer, write it, repeat while keep-alive. All of it runs on
// the connection's strand; the session lives only while an operation or the ledger wait holds
// shared_from_this(). With TLS configured the session first completes the TLS handshake
// (bounded by the read timeout) and ends with a TLS shutdown. Once the server drains, the request in hand is still answered, with
// Connection: close, and a connection waiting for its next request closes at once.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "gateway/callback_gate.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/http_message.hpp"
#include "gateway/router.hpp"
#include "gateway/session_registry.hpp"

namespace ledgerflow {

namespace ws {
struct ws_context;
}

// What every session of one listener shares. The router and metrics belong to http_server
// and outlive its io_context, hence every session.
struct session_settings {
  const router* routes = nullptr;
  gateway_metrics* metrics = nullptr;
  std::shared_ptr<callback_gate> gate;
  std::shared_ptr<session_registry> sessions;
  listener_role role = listener_role::combined;
  size_t body_bytes_max = 0;
  size_t header_bytes_max = 0;
  std::chrono::milliseconds read_timeout{0};
  std::chrono::milliseconds ledger_timeout{0};
  // Set when the listener speaks TLS only.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Upgrades to /v1/ws go to the WebSocket stream; null: refused like any unknown route.
  std::shared_ptr<ws::ws_context> ws;
};

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Stream is plain_stream or tls_stream (both instantiated in http_session.cpp).
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  // The caller has taken a connection slot (gateway_metrics::try_open_connection); the
  // session gives it back when it ends.
  http_session(boost::asio::ip::tcp::socket&& socket, session_settings settings);
  ~http_session();

  http_session(const http_session&) = delete;
  http_session& operator=(const http_session&) = delete;

  void run();

private:
  using error_code_type = boost::beast::error_code;

  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  boost::beast::tcp_stream& transport() { return boost::beast::get_lowest_layer(stream_); }
  void on_handshake(error_code_type ec);
  void on_drain();
  bool between_requests();

  void do_read_header();
  void on_read_header(error_code_type ec, size_t bytes);
  void do_continue();
  void on_continue(error_code_type ec, size_t bytes);
  void do_read_body();
  void on_read_body(error_code_type ec, size_t bytes);
  void reject_unreadable(error_code_type ec);
  bool is_websocket_upgrade() const;
  void upgrade_to_websocket();

  void dispatch_request();
  responder make_responder(uint64_t request_id);
  void on_response(uint64_t request_id, http_response response);
  void on_ledger_timeout(uint64_t request_id, error_code_type ec);

  void reply(http_response response);
  void on_write(bool close, error_code_type ec, size_t bytes);

  void do_linger();
  void do_linger_read();
  void on_linger_read(error_code_type ec, size_t bytes);
  void do_close();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::asio::steady_timer ledger_timer_;
  session_settings settings_;

  session_registry::session_id registry_id_ = 0;
  // The socket (and its connection slot) went to a WebSocket session.
  bool handed_off_ = false;
  // async_read_header is waiting for a next request (it may have received part of one).
  bool awaiting_request_ = false;

  // The request being answered; at most one, since HTTP/1.1 answers in order.
  uint64_t request_id_ = 0;
  bool request_pending_ = false;
  std::string_view route_ = unmatched_route;
  http_method method_ = http_method::other;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool linger_after_write_ = false;

  std::array<char, 4096> linger_buffer_{};
  size_t linger_bytes_ = 0;
};

} // namespace ledgerflow
