#include "gateway/http_listener.hpp"

#include <chrono>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <spdlog/spdlog.h>

namespace ledgerflow {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// After an accept error such as EMFILE, pause instead of spinning on the same error.
constexpr std::chrono::milliseconds accept_backoff{100};

} // namespace

http_listener::http_listener(net::io_context& io, session_settings settings, size_t connections_max)
  : io_(io), acceptor_(net::make_strand(io)), backoff_timer_(acceptor_.get_executor()), settings_(std::move(settings)),
    connections_max_(connections_max) {}

status http_listener::open(const listen_address& address) {
  auto where = address.host + ":" + std::to_string(address.port);
  auto cannot = [&](const char* step, const boost::system::error_code& ec) {
    return make_error(error_code::unavailable, "cannot listen on " + where + " (" + step + "): " + ec.message());
  };
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty())
    return cannot("resolve", ec);
  auto endpoint = endpoints.begin()->endpoint();
  if (acceptor_.open(endpoint.protocol(), ec); ec)
    return cannot("open", ec);
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec)
    return cannot("set SO_REUSEADDR", ec);
  if (acceptor_.bind(endpoint, ec); ec)
    return cannot("bind", ec);
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec)
    return cannot("listen", ec);
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec)
    return cannot("read the bound port", ec);
  return done{};
}

void http_listener::run() {
  do_accept();
}

void http_listener::stop_accepting() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->close(); });
}

void http_listener::close() {
  boost::system::error_code ec;
  closed_ = true;
  backoff_timer_.cancel();
  acceptor_.close(ec);
}

void http_listener::do_accept() {
  // Each connection gets its own strand: its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(io_), boost::beast::bind_front_handler(&http_listener::on_accept,
                                                                                 shared_from_this()));
}

void http_listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || closed_)
    return;  // closed; a connection accepted just before closes with `socket`
  if (ec) {
    spdlog::warn("gateway: accept on port {} failed: {}", port_, ec.message());
    backoff_timer_.expires_after(accept_backoff);
    return backoff_timer_.async_wait(boost::beast::bind_front_handler(&http_listener::on_backoff, shared_from_this()));
  }
  if (!settings_.metrics->try_open_connection(connections_max_)) {
    socket.close(ec);
    return do_accept();
  }
  socket.set_option(tcp::no_delay(true), ec);  // small JSON responses: latency over batching
  if (settings_.tls)
    std::make_shared<http_session<tls_stream>>(std::move(socket), settings_)->run();
  else
    std::make_shared<http_session<plain_stream>>(std::move(socket), settings_)->run();
  do_accept();
}

void http_listener::on_backoff(boost::system::error_code ec) {
  if (ec || closed_)
    return;
  do_accept();
}

} // namespace ledgerflow
