#include "providers/http/http_provider.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "protocols/limits.hpp"

namespace ledgerflow {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

namespace {

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// One connection to the provider, kept alive between calls. Only the I/O thread touches it.
struct connection {
  connection(net::io_context& io, ssl::context* tls)
      : stream(make_stream(io, tls)), resolver(io) {}

  static std::variant<plain_stream, tls_stream> make_stream(net::io_context& io, ssl::context* tls) {
    if (tls != nullptr)
      return std::variant<plain_stream, tls_stream>(std::in_place_type<tls_stream>, io, *tls);
    return std::variant<plain_stream, tls_stream>(std::in_place_type<plain_stream>, io);
  }

  tcp::socket& socket() {
    return std::visit([](auto& any) -> tcp::socket& { return beast::get_lowest_layer(any).socket(); }, stream);
  }

  // Cancels whatever is pending on it; its handlers then run with an error.
  void close() {
    resolver.cancel();
    beast::error_code ignored;
    socket().close(ignored);
  }

  // An idle connection the provider has closed (or sent stray bytes on) must not carry a call:
  // anything readable while idle, end of stream included, means it is no longer ours to use.
  bool is_stale() {
    if (!socket().is_open() || buffer.size() != 0)
      return true;
    char byte = 0;
    auto received = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  std::variant<plain_stream, tls_stream> stream;
  tcp::resolver resolver;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool dropped = false;
};
using connection_pointer = std::shared_ptr<connection>;

struct pending_call {
  pending_call(net::io_context& io, const provider_operation_spec& spec_in, milliseconds timeout_in, call_completion done_in)
      : spec(spec_in), timeout(timeout_in), deadline_at(std::chrono::steady_clock::now() + timeout_in),
        done(std::move(done_in)), deadline(io) {}

  const provider_operation_spec& spec;
  milliseconds timeout;
  std::chrono::steady_clock::time_point deadline_at;
  http::request<http::string_body> request;
  call_completion done;
  net::steady_timer deadline;
  connection_pointer carrier;  // the connection it travels on, once it has one
  bool finished = false;
};
using call_pointer = std::shared_ptr<pending_call>;

call_outcome transient(std::string code, std::string message) {
  return call_outcome::failure(failure_kind::transient, std::move(code), std::move(message));
}

// Why reading the answer failed: the connection went away, or what came was not HTTP we accept.
call_outcome read_failure(const beast::error_code& error) {
  bool connection_gone = error == http::error::end_of_stream || error == http::error::partial_message
                         || error.category() != http::make_error_code(http::error::end_of_stream).category();
  if (connection_gone)
    return transient("connection_reset", "the connection ended before a complete answer: " + error.message());
  return transient("bad_response", "the answer is not acceptable HTTP: " + error.message());
}

bool is_ip_address(const std::string& host) {
  beast::error_code error;
  net::ip::make_address(host, error);
  return !error;
}

} // namespace

// The I/O thread and everything on it. Calls and connections are touched only on that thread
// (one thread: no strand needed); start() hands a call over with net::post.
struct http_provider::client {
  client(http_provider_settings settings_in, provider_url url_in)
      : settings(std::move(settings_in)), url(std::move(url_in)), work(net::make_work_guard(io)) {
    if (url.tls)
      configure_tls();
    thread = std::thread([this] { io.run(); });
  }

  ~client() {
    net::post(io, [this] { stop(); });
    work.reset();
    thread.join();
  }

  void configure_tls() {
    beast::error_code error;
    if (!settings.ca_file.empty())
      tls_context.load_verify_file(settings.ca_file, error);
    else
      tls_context.set_default_verify_paths(error);
    if (error)
      throw std::invalid_argument("cannot load trusted certificates"
                                  + (settings.ca_file.empty() ? std::string() : " from " + settings.ca_file) + ": "
                                  + error.message());
    tls_context.set_verify_mode(ssl::verify_peer);
  }

  // -- calls

  void submit(const call_pointer& call) {
    if (stopping)
      return finish(call, call_outcome::failure(failure_kind::unavailable, "adapter_stopped", "the adapter is stopping"));
    call->deadline.expires_at(call->deadline_at);
    call->deadline.async_wait([this, call](beast::error_code error) {
      if (!error)
        on_deadline(call);
    });
    dispatch(call);
  }

  void dispatch(const call_pointer& call) {
    if (auto idle_connection = take_idle())
      return send(call, idle_connection);
    if (connections.size() < settings.connections_max)
      return connect(call, open_connection());
    if (waiting.size() >= settings.waiting_calls_max)
      return finish(call, call_outcome::failure(failure_kind::unavailable, "connections_busy",
                                                "all connections are busy and the wait queue is full"));
    waiting.push_back(call);
  }

  void dispatch_waiting() {
    while (!waiting.empty() && !stopping && (!idle.empty() || connections.size() < settings.connections_max)) {
      auto call = waiting.front();
      waiting.pop_front();
      if (!call->finished)
        dispatch(call);
    }
  }

  void on_deadline(const call_pointer& call) {
    if (call->finished)
      return;
    waiting.erase(std::remove(waiting.begin(), waiting.end(), call), waiting.end());
    auto carrier = call->carrier;
    finish(call, call_outcome::failure(failure_kind::timeout, "timeout",
                                       "no answer within " + std::to_string(call->timeout.count()) + " ms"));
    // Its answer may still come on this connection: close it; the pending handler drops it.
    if (carrier)
      carrier->close();
  }

  void finish(const call_pointer& call, call_outcome outcome) {
    if (call->finished)
      return;
    call->finished = true;
    call->deadline.cancel();
    in_flight.erase(call);
    auto done = std::move(call->done);
    call->done = nullptr;
    done(std::move(outcome), std::chrono::microseconds::zero());
  }

  // A handler of a call that has already finished (timeout, stop) only drops the connection.
  bool abandoned(const call_pointer& call, const connection_pointer& carrier) {
    if (!call->finished)
      return false;
    discard(carrier);
    return true;
  }

  void fail(const call_pointer& call, const connection_pointer& carrier, call_outcome outcome) {
    finish(call, std::move(outcome));
    discard(carrier);
  }

  // -- connections

  connection_pointer open_connection() {
    ++opened_total;
    auto created = std::make_shared<connection>(io, url.tls ? &tls_context : nullptr);
    connections.insert(created);
    open_now = connections.size();
    return created;
  }

  connection_pointer take_idle() {
    while (!idle.empty()) {
      auto candidate = std::move(idle.back());  // the most recently used is the least likely stale
      idle.pop_back();
      if (!candidate->is_stale())
        return candidate;
      drop(candidate);
    }
    return nullptr;
  }

  void release(const connection_pointer& carrier) {
    if (stopping)
      return drop(carrier);
    idle.push_back(carrier);
    dispatch_waiting();
  }

  void drop(const connection_pointer& carrier) {
    if (carrier->dropped)
      return;
    carrier->dropped = true;
    carrier->close();
    connections.erase(carrier);
    open_now = connections.size();
  }

  void discard(const connection_pointer& carrier) {
    drop(carrier);
    dispatch_waiting();
  }

  // -- one call on one connection: resolve, connect, TLS handshake, write, read

  void connect(const call_pointer& call, const connection_pointer& carrier) {
    call->carrier = carrier;
    in_flight.insert(call);
    carrier->resolver.async_resolve(
        url.host, std::to_string(url.port),
        [this, call, carrier](beast::error_code error, const tcp::resolver::results_type& endpoints) {
          if (abandoned(call, carrier))
            return;
          if (error)
            return fail(call, carrier, transient("connect_failed", "cannot resolve " + url.host + ": " + error.message()));
          net::async_connect(carrier->socket(), endpoints, [this, call, carrier](beast::error_code connect_error, const tcp::endpoint&) {
            on_connect(call, carrier, connect_error);
          });
        });
  }

  void on_connect(const call_pointer& call, const connection_pointer& carrier, beast::error_code error) {
    if (abandoned(call, carrier))
      return;
    if (error)
      return fail(call, carrier, transient("connect_failed", "cannot connect to " + host_header(url) + ": " + error.message()));
    auto* tls = std::get_if<tls_stream>(&carrier->stream);
    if (tls == nullptr)
      return send(call, carrier);
    // SNI names a host, never an address (RFC 6066).
    if (!is_ip_address(url.host))
      SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str());
    tls->set_verify_callback(ssl::host_name_verification(url.host));
    tls->async_handshake(ssl::stream_base::client, [this, call, carrier](beast::error_code handshake_error) {
      if (abandoned(call, carrier))
        return;
      if (handshake_error)
        return fail(call, carrier, transient("tls_failed", "TLS handshake with " + host_header(url) + ": " + handshake_error.message()));
      send(call, carrier);
    });
  }

  void send(const call_pointer& call, const connection_pointer& carrier) {
    call->carrier = carrier;
    in_flight.insert(call);
    std::visit(
        [this, call, carrier](auto& stream) {
          http::async_write(stream, call->request, [this, call, carrier](beast::error_code error, size_t) {
            if (abandoned(call, carrier))
              return;
            if (error)
              return fail(call, carrier, transient("connection_reset", "cannot send the call: " + error.message()));
            receive(call, carrier);
          });
        },
        carrier->stream);
  }

  void receive(const call_pointer& call, const connection_pointer& carrier) {
    auto& parser = carrier->parser.emplace();
    parser.body_limit(http_provider_limits::response_body_bytes_max);
    parser.header_limit(static_cast<uint32_t>(http_provider_limits::response_header_bytes_max));
    std::visit(
        [this, call, carrier, &parser](auto& stream) {
          http::async_read(stream, carrier->buffer, parser, [this, call, carrier](beast::error_code error, size_t) {
            on_answer(call, carrier, error);
          });
        },
        carrier->stream);
  }

  void on_answer(const call_pointer& call, const connection_pointer& carrier, beast::error_code error) {
    if (abandoned(call, carrier))
      return;
    if (error)
      return fail(call, carrier, read_failure(error));
    const auto& answer = carrier->parser->get();
    bool reusable = answer.keep_alive();
    finish(call, outcome_of_response(call->spec, answer.result_int(), answer.body()));
    carrier->parser.reset();
    if (reusable)
      release(carrier);
    else
      discard(carrier);
  }

  // -- stop: every call still open completes, every connection closes

  void stop() {
    stopping = true;
    auto queued = std::move(waiting);
    for (const auto& call : queued)
      finish(call, call_outcome::failure(failure_kind::unavailable, "adapter_stopped", "the adapter stopped"));
    auto running = in_flight;  // finish() erases from in_flight
    for (const auto& call : running)
      finish(call, transient("adapter_stopped", "the adapter stopped during the call"));
    // Closing them all (busy, idle, or left by a timed-out call) lets io.run() return.
    auto all = connections;
    for (const auto& carrier : all)
      drop(carrier);
    idle.clear();
  }

  http_provider_settings settings;
  provider_url url;
  net::io_context io{1};
  ssl::context tls_context{ssl::context::tls_client};
  net::executor_work_guard<net::io_context::executor_type> work;
  std::thread thread;

  // I/O thread only.
  std::vector<connection_pointer> idle;
  std::deque<call_pointer> waiting;
  std::unordered_set<call_pointer> in_flight;
  std::unordered_set<connection_pointer> connections;  // open or opening, busy or idle
  bool stopping = false;

  // Read from any thread by connections().
  std::atomic<size_t> open_now{0};
  std::atomic<size_t> opened_total{0};
};

namespace {

provider_url checked_url(const http_provider_settings& settings) {
  auto url = parse_provider_url(settings.base_url);
  if (!url)
    throw std::invalid_argument("base_url must be http://host[:port][/path] or https://..., not \"" + settings.base_url + "\"");
  if (settings.connections_max == 0)
    throw std::invalid_argument("connections_max must be at least 1");
  if (!settings.auth_value.empty()
      && (settings.auth_header.empty() || settings.auth_header.find_first_of(" :") != std::string::npos
          || !is_header_value_safe(settings.auth_header) || !is_header_value_safe(settings.auth_value)))
    throw std::invalid_argument("auth_header and auth_value must be a header name and a single-line value");
  return *url;
}

} // namespace

http_provider::http_provider(provider_kind kind, http_provider_settings settings)
    : kind_(kind) {
  auto url = checked_url(settings);
  client_ = std::make_unique<client>(std::move(settings), std::move(url));
}

http_provider::~http_provider() = default;

void http_provider::start(const provider_call& call, milliseconds timeout, call_completion done) {
  auto why = check_call(kind_, call);
  if (!why && !call.idempotency_key.empty()
      && (call.idempotency_key.size() > limits::idempotency_key_length_max || !is_header_value_safe(call.idempotency_key)))
    why = "the idempotency key must be at most 128 visible ASCII characters";
  if (why)
    return done(call_outcome::failure(failure_kind::rejected, "bad_call", *why), std::chrono::microseconds::zero());

  const auto& settings = client_->settings;
  auto pending = std::make_shared<pending_call>(client_->io, *find_operation(kind_, call.operation), timeout, std::move(done));
  auto& request = pending->request;
  request.method(http::verb::post);
  request.target(request_target(client_->url, kind_, call.operation));
  request.version(11);
  request.set(http::field::host, host_header(client_->url));
  request.set(http::field::user_agent, "ledgerflow");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/json");
  if (!call.idempotency_key.empty())
    request.set("Idempotency-Key", call.idempotency_key);
  if (!settings.auth_value.empty())
    request.set(settings.auth_header, settings.auth_value);
  request.keep_alive(true);
  request.body() = request_body(call.fields);
  request.prepare_payload();
  net::post(client_->io, [client = client_.get(), pending] { client->submit(pending); });
}

http_provider::connection_counts http_provider::connections() const {
  return {client_->open_now.load(), client_->opened_total.load()};
}

} // namespace ledgerflow
