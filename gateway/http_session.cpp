#include "gateway/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <spdlog/spdlog.h>

#include "gateway/ws/ws_upgrade.hpp"

namespace ledgerflow {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// After an error response on a connection whose request was not read to its end, keep
// reading (and discarding) a little so the client sees the response instead of a reset.
constexpr std::chrono::milliseconds linger_timeout{limits::http_linger_ms};
constexpr size_t linger_bytes_max = limits::http_linger_bytes_max;

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// Beast reports every malformed or over-limit request in its http error category.
bool is_http_error(beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

void fail(beast::error_code ec, const char* what) {
  // Peers vanish and idle connections time out all the time; not worth more than debug.
  spdlog::debug("gateway: {}: {}", what, ec.message());
}

http_method method_of(http::verb verb) {
  switch (verb) {
    case http::verb::get: return http_method::get;
    case http::verb::head: return http_method::head;
    case http::verb::post: return http_method::post;
    case http::verb::put: return http_method::put;
    case http::verb::delete_: return http_method::delete_;
    case http::verb::patch: return http_method::patch;
    case http::verb::options: return http_method::options;
    default: return http_method::other;
  }
}

http_request to_http_request(http::request<http::string_body>&& message) {
  http_request request;
  request.method = method_of(message.method());
  auto target = message.target();
  auto question = target.find('?');
  auto path = target.substr(0, question);
  request.path.assign(path.data(), path.size());
  if (question != beast::string_view::npos) {
    auto query = target.substr(question + 1);
    request.query.assign(query.data(), query.size());
  }
  auto authorization = message[http::field::authorization];
  request.authorization.assign(authorization.data(), authorization.size());
  request.body = std::move(message.body());
  return request;
}

} // namespace

namespace {

plain_stream make_stream(net::ip::tcp::socket&& socket, const session_settings&, std::false_type) {
  return plain_stream(std::move(socket));
}

tls_stream make_stream(net::ip::tcp::socket&& socket, const session_settings& settings, std::true_type) {
  return tls_stream(std::move(socket), *settings.tls);
}

} // namespace

template <class Stream>
http_session<Stream>::http_session(net::ip::tcp::socket&& socket, session_settings settings)
  : stream_(make_stream(std::move(socket), settings, std::bool_constant<is_tls>{})),
    ledger_timer_(stream_.get_executor()), settings_(std::move(settings)) {}

template <class Stream>
http_session<Stream>::~http_session() {
  if (!handed_off_)
    settings_.metrics->close_connection();
  settings_.sessions->remove(registry_id_);
}

template <class Stream>
void http_session<Stream>::run() {
  // The hook runs on the stopping thread: it only posts to this session's strand.
  registry_id_ = settings_.sessions->add([weak = this->weak_from_this(), executor = stream_.get_executor()] {
    if (auto self = weak.lock())
      net::post(executor, beast::bind_front_handler(&http_session<Stream>::on_drain, std::move(self)));
  });
  // Start on the strand: the session's handlers must never run concurrently.
  if constexpr (is_tls) {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->transport().expires_after(self->settings_.read_timeout);
      self->stream_.async_handshake(net::ssl::stream_base::server,
                                    beast::bind_front_handler(&http_session<Stream>::on_handshake, self));
    });
  } else {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session<Stream>::do_read_header, this->shared_from_this()));
  }
}

template <class Stream>
void http_session<Stream>::on_handshake(beast::error_code ec) {
  if (ec)
    return fail(ec, "TLS handshake");
  do_read_header();
}

template <class Stream>
void http_session<Stream>::on_drain() {
  // Only a connection idle between requests closes now; one in the middle of a request
  // finishes it and closes after the answer (reply and do_read_header look at draining()).
  if (awaiting_request_ && between_requests())
    transport().cancel();  // on_read_header gets operation_aborted and the session ends
}

template <class Stream>
bool http_session<Stream>::between_requests() {
  if (buffer_.size() != 0 || (awaiting_request_ && parser_->got_some()))
    return false;
  // Bytes the kernel holds are a request the client already sent: answer it rather than
  // reset it by closing over unread data.
  beast::error_code ec;
  auto waiting = transport().socket().available(ec);
  return ec || waiting == 0;
}

template <class Stream>
void http_session<Stream>::do_read_header() {
  if (settings_.sessions->draining() && between_requests())
    return do_close();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(settings_.header_bytes_max));
  parser_->body_limit(settings_.body_bytes_max);
  route_ = unmatched_route;
  method_ = http_method::other;
  transport().expires_after(settings_.read_timeout);
  awaiting_request_ = true;
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session<Stream>::on_read_header, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_read_header(beast::error_code ec, size_t) {
  awaiting_request_ = false;
  if (ec == http::error::end_of_stream)
    return do_close();
  if (ec && is_http_error(ec))
    return reject_unreadable(ec);
  if (ec)
    return fail(ec, "read header");
  const auto& header = parser_->get();
  method_ = method_of(header.method());
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  if (is_websocket_upgrade())
    return upgrade_to_websocket();
  if (parser_->is_done())
    return dispatch_request();
  // curl and others wait for this before sending a body larger than 1 KiB.
  if (beast::iequals(header[http::field::expect], "100-continue"))
    return do_continue();
  do_read_body();
}

template <class Stream>
bool http_session<Stream>::is_websocket_upgrade() const {
  const auto& header = parser_->get();
  auto target = header.target();
  auto path = target.substr(0, target.find('?'));
  auto upgrade = header[http::field::upgrade];
  return settings_.ws && std::string_view(path.data(), path.size()) == ws::websocket_path
         && ws::wants_websocket(std::string_view(upgrade.data(), upgrade.size()));
}

template <class Stream>
void http_session<Stream>::upgrade_to_websocket() {
  const auto& header = parser_->get();
  auto view = [](beast::string_view text) { return std::string_view(text.data(), text.size()); };
  ws::upgrade_request request;
  request.headers.is_get = header.method() == http::verb::get;
  request.headers.connection = view(header[http::field::connection]);
  request.headers.upgrade = view(header[http::field::upgrade]);
  request.headers.version = view(header[http::field::sec_websocket_version]);
  request.headers.key = view(header[http::field::sec_websocket_key]);
  request.headers.protocols = view(header[http::field::sec_websocket_protocol]);
  request.headers.origin = view(header[http::field::origin]);
  request.headers.host = view(header[http::field::host]);
  request.authorization = view(header[http::field::authorization]);
  auto target = view(header.target());
  if (auto question = target.find('?'); question != std::string_view::npos)
    request.query = target.substr(question + 1);
  beast::error_code ec;
  auto remote = transport().socket().remote_endpoint(ec);
  request.remote_ip = ec ? std::string("unknown") : remote.address().to_string();
  route_ = ws::websocket_path;
  keep_alive_ = false;  // a refused upgrade ends the connection
  if (!parser_->is_done())
    return reject_unreadable(http::error::unexpected_body);
  auto prepared = ws::prepare_upgrade(settings_.ws, request);
  if (!prepared)
    return reply(error_response(prepared.error()));
  prepared->leftover = beast::buffers_to_string(buffer_.data());
  settings_.metrics->count_response(route_, method_, 101);
  handed_off_ = true;
  transport().expires_never();
  if constexpr (is_tls)
    std::make_shared<ws::ws_session<tls_stream>>(std::move(stream_), std::move(*prepared))->start();
  else
    std::make_shared<ws::ws_session<net::ip::tcp::socket>>(stream_.release_socket(), std::move(*prepared))->start();
}

template <class Stream>
void http_session<Stream>::do_continue() {
  net::async_write(stream_, net::buffer(continue_response.data(), continue_response.size()),
                   beast::bind_front_handler(&http_session<Stream>::on_continue, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_continue(beast::error_code ec, size_t) {
  if (ec)
    return fail(ec, "write 100-continue");
  do_read_body();
}

template <class Stream>
void http_session<Stream>::do_read_body() {
  transport().expires_after(settings_.read_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session<Stream>::on_read_body, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_read_body(beast::error_code ec, size_t) {
  if (ec && is_http_error(ec))
    return reject_unreadable(ec);
  if (ec)
    return fail(ec, "read body");
  dispatch_request();
}

template <class Stream>
void http_session<Stream>::reject_unreadable(beast::error_code ec) {
  error failure;
  if (ec == http::error::body_limit)
    failure = make_error(error_code::payload_too_large,
                         "request body exceeds " + std::to_string(settings_.body_bytes_max) + " bytes");
  else if (ec == http::error::header_limit)
    failure = make_error(error_code::bad_request,
                         "request headers exceed " + std::to_string(settings_.header_bytes_max) + " bytes");
  else
    failure = make_error(error_code::bad_request, "malformed HTTP request: " + ec.message());
  if (parser_->is_header_done()) {
    method_ = method_of(parser_->get().method());
    version_ = parser_->get().version();
  }
  // The rest of the request is unread: the connection cannot carry another one.
  keep_alive_ = false;
  linger_after_write_ = true;
  reply(error_response(failure));
}

template <class Stream>
void http_session<Stream>::dispatch_request() {
  auto request = to_http_request(parser_->release());
  auto request_id = ++request_id_;
  request_pending_ = true;
  // No stream operation runs while the ledger works; this timer alone bounds the wait and
  // keeps the session alive until the answer or the timeout.
  transport().expires_never();
  ledger_timer_.expires_after(settings_.ledger_timeout);
  ledger_timer_.async_wait(beast::bind_front_handler(&http_session<Stream>::on_ledger_timeout, this->shared_from_this(), request_id));
  // The responder only posts, so nothing below runs before this returns.
  route_ = settings_.routes->handle(request, settings_.role, make_responder(request_id));
}

template <class Stream>
responder http_session<Stream>::make_responder(uint64_t request_id) {
  // Weak: a ledger that keeps a callback must not keep the connection alive; the ledger
  // timer does that while the request is pending.
  return [gate = settings_.gate, weak = this->weak_from_this(), request_id](http_response response) {
    gate->run_if_open([&] {
      auto self = weak.lock();
      if (!self)
        return;
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), request_id, response = std::move(response)]() mutable {
        self->on_response(request_id, std::move(response));
      });
    });
  };
}

template <class Stream>
void http_session<Stream>::on_response(uint64_t request_id, http_response response) {
  if (!request_pending_ || request_id != request_id_)
    return;  // answered already (timeout) or a duplicate answer: drop it
  request_pending_ = false;
  ledger_timer_.cancel();
  reply(std::move(response));
}

template <class Stream>
void http_session<Stream>::on_ledger_timeout(uint64_t request_id, beast::error_code ec) {
  if (ec == net::error::operation_aborted || !request_pending_ || request_id != request_id_)
    return;
  request_pending_ = false;
  settings_.metrics->count_ledger_timeout();
  reply(error_response(make_error(error_code::unavailable, "the ledger did not answer within "
                                                             + std::to_string(settings_.ledger_timeout.count()) + " ms")));
}

template <class Stream>
void http_session<Stream>::reply(http_response response) {
  settings_.metrics->count_response(route_, method_, response.status);
  response_ = {};
  response_.version(version_);
  response_.result(static_cast<unsigned>(response.status));
  response_.set(http::field::server, "ledgerflow");
  response_.set(http::field::content_type, response.content_type);
  response_.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers)
    response_.set(name, value);
  response_.body() = std::move(response.body);
  response_.keep_alive(keep_alive_ && !settings_.sessions->draining());
  response_.prepare_payload();
  // HEAD: the GET answer's status and headers, Content-Length included, but no body (RFC 9110 9.3.2).
  if (method_ == http_method::head)
    response_.body().clear();
  transport().expires_after(settings_.read_timeout);
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&http_session<Stream>::on_write, this->shared_from_this(), response_.need_eof()));
}

template <class Stream>
void http_session<Stream>::on_write(bool close, beast::error_code ec, size_t) {
  if (ec)
    return fail(ec, "write");
  if (linger_after_write_)
    return do_linger();
  if (close)
    return do_close();
  do_read_header();
}

template <class Stream>
void http_session<Stream>::do_linger() {
  beast::error_code ec;
  transport().socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  transport().expires_after(linger_timeout);
  do_linger_read();
}

template <class Stream>
void http_session<Stream>::do_linger_read() {
  stream_.async_read_some(net::buffer(linger_buffer_),
                          beast::bind_front_handler(&http_session<Stream>::on_linger_read, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_linger_read(beast::error_code ec, size_t bytes) {
  linger_bytes_ += bytes;
  if (ec || linger_bytes_ > linger_bytes_max)
    return;  // the socket closes with the session
  do_linger_read();
}

template <class Stream>
void http_session<Stream>::do_close() {
  if constexpr (is_tls) {
    transport().expires_after(linger_timeout);
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ec;
    transport().socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  }
}

template class http_session<plain_stream>;
template class http_session<tls_stream>;

} // namespace ledgerflow
