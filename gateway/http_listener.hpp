// Accepts connections on one address and starts a session for each, up to the connection
// limit shared by every listener; past it a new connection is closed at once (and counted)
// rather than queued, so overload cannot grow memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/gateway_config.hpp"
#include "gateway/http_session.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

class http_listener : public std::enable_shared_from_this<http_listener> {
public:
  http_listener(boost::asio::io_context& io, session_settings settings, size_t connections_max);

  // Binds and listens, synchronously, so a port in use is reported to the caller.
  status open(const listen_address& address);
  uint16_t port() const { return port_; }

  void run();
  // From any thread while the io threads run: closes the acceptor on its strand, so new
  // connections are refused while open ones drain.
  void stop_accepting();
  // Directly, only when no io thread runs (before they start, or after they were joined).
  void close();

private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void on_backoff(boost::system::error_code ec);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_timer_;
  session_settings settings_;
  size_t connections_max_ = 0;
  uint16_t port_ = 0;
  // Set by close(): an accept that completed just before must not start another.
  bool closed_ = false;
};

} // namespace ledgerflow
