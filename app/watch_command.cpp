// `ledgerflow watch`: a client of the WebSocket stream /v1/ws (docs/websocket.md) on
// Boost.Beast, async on one thread. It subscribes the accounts, prints every server message
// as one JSON line on stdout, and survives dropped connections: each reconnection resumes
// every account after the last seq it printed (watch_progress), so nothing is lost or doubled.
// The plain and the TLS connection are one template, so all the Beast code stays in this file.
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <type_traits>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "app/commands.hpp"
#include "app/watch_options.hpp"
#include "app/watch_progress.hpp"
#include "app/watch_url.hpp"
#include "protocols/account_id.hpp"
#include "protocols/msgpack_codec.hpp"

namespace ledgerflow {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using milliseconds = std::chrono::milliseconds;

constexpr const char* msgpack_subprotocol = "ledgerflow.v1.msgpack";

// A string field of a server message, or "" (the message is untrusted: any shape may come).
std::string string_at(const nlohmann::json& message, const char* key) {
  if (!message.is_object())
    return {};
  auto found = message.find(key);
  return found != message.end() && found->is_string() ? found->get<std::string>() : std::string{};
}

// How one connection ended; the client decides what comes next.
struct connection_end {
  enum class kind {
    lost,             // network error, timeout, a 5xx answer to the upgrade: reconnect
    failed,           // retrying cannot help (the TLS certificate was refused): exit 1
    refused,          // a 4xx answer to the upgrade: exit 2
    closed_by_server, // a close frame from the server; its code decides
    closed_by_us,     // our close was answered, or the connection was abandoned while closing
  };
  kind how = kind::lost;
  std::string detail;      // for stderr
  uint16_t close_code = 0; // with closed_by_server
};

// A connection as the client drives it: one per attempt, never reused.
class connection {
public:
  virtual ~connection() = default;
  virtual void start() = 0;
  // Close 1000 when open (the end is reported when the server answers), else abandon it.
  virtual void close() = 0;
};

class watch_client {
public:
  watch_client(const watch_options& options, websocket_url url);
  int run();

  // For the connections.
  const watch_options& options() const { return options_; }
  const websocket_url& url() const { return url_; }
  ssl::context& tls_context() { return tls_context_; }
  nlohmann::json subscribe_op() const { return progress_.subscribe_op(subscribe_id_); }
  void on_open() { ever_opened_ = true; }
  void on_message(const nlohmann::json& message);
  void on_end(const connection_end& end);

private:
  bool configure_tls();
  void connect();
  void reconnect_later(const std::string& why);
  void on_subscribe_error(const nlohmann::json& message);
  void finish(int exit_code);
  void stop(int exit_code);
  void wait_for_signal();
  bool print(const nlohmann::json& message);

  watch_options options_;
  websocket_url url_;
  ssl::context tls_context_{ssl::context::tls_client}; // before io_: the streams refer to it
  net::io_context io_{1};
  net::signal_set signals_{io_, SIGINT, SIGTERM};
  net::steady_timer deadline_{io_};
  net::steady_timer reconnect_timer_{io_};
  watch_progress progress_;
  std::shared_ptr<connection> current_;
  std::string subscribe_id_;
  std::string reconnect_reason_; // why we closed a working connection ourselves
  uint64_t attempts_ = 0;
  uint64_t reconnect_delay_ms_ = watch_limits::reconnect_delay_first_ms;
  std::minstd_rand jitter_{std::random_device{}()};
  bool ever_opened_ = false;
  bool subscribed_ = false;       // the current connection's subscribe was answered...
  bool subscribe_failed_ = false; // ...and not with an error too
  bool finishing_ = false;
  int exit_code_ = watch_exit::done;
};

// One attempt: resolve, connect, (TLS,) upgrade, subscribe, then read until it ends.
// Handlers hold the connection through shared_from_this only while I/O is pending.
template <bool use_tls>
class websocket_connection final : public connection,
                                   public std::enable_shared_from_this<websocket_connection<use_tls>> {
  using next_layer = std::conditional_t<use_tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

public:
  websocket_connection(net::io_context& io, watch_client& client) : client_(client), resolver_(io) {
    if constexpr (use_tls)
      ws_.emplace(io, client.tls_context());
    else
      ws_.emplace(io);
  }

  void start() override {
    resolver_.async_resolve(client_.url().host, client_.url().port,
                            beast::bind_front_handler(&websocket_connection::on_resolve, this->shared_from_this()));
  }

  void close() override {
    if (phase_ == phase::connecting) {
      // Abandon: whatever is pending fails with operation_aborted and reports the end.
      phase_ = phase::closing;
      resolver_.cancel();
      beast::get_lowest_layer(*ws_).cancel();
    } else if (phase_ == phase::open) {
      if (writing_)
        close_after_write_ = true;
      else
        do_close();
    }
  }

private:
  enum class phase { connecting, open, closing, ended };

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& endpoints) {
    if (abandoned())
      return;
    if (ec)
      return fail(ec, "resolve");
    beast::get_lowest_layer(*ws_).expires_after(milliseconds(watch_limits::connect_timeout_ms));
    beast::get_lowest_layer(*ws_).async_connect(
      endpoints, beast::bind_front_handler(&websocket_connection::on_connect, this->shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint&) {
    if (abandoned())
      return;
    if (ec)
      return fail(ec, "connect");
    if constexpr (use_tls)
      do_tls_handshake();
    else
      do_upgrade();
  }

  void do_tls_handshake() {
    auto& tls = ws_->next_layer();
    const auto& host = client_.url().host;
    // SNI names a host, never an address (RFC 6066).
    if (!host_is_ip_address(host))
      SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());
    if (client_.options().insecure) {
      tls.set_verify_mode(ssl::verify_none);
    } else {
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_verify_callback(ssl::host_name_verification(host));
    }
    beast::get_lowest_layer(*ws_).expires_after(milliseconds(watch_limits::connect_timeout_ms));
    tls.async_handshake(ssl::stream_base::client,
                        beast::bind_front_handler(&websocket_connection::on_tls_handshake, this->shared_from_this()));
  }

  void on_tls_handshake(beast::error_code ec) {
    if (abandoned())
      return;
    // A refused certificate is refused again on every attempt.
    if (ec && ec.category() == net::error::get_ssl_category())
      return end({connection_end::kind::failed, "TLS handshake: " + describe_tls_failure(ec)});
    if (ec)
      return fail(ec, "TLS handshake");
    do_upgrade();
  }

  void do_upgrade() {
    // From here Beast's own timeouts apply: the upgrade and closing handshakes, and silence.
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = milliseconds(watch_limits::handshake_timeout_ms);
    timeouts.idle_timeout = milliseconds(watch_limits::idle_timeout_ms);
    timeouts.keep_alive_pings = true;
    ws_->set_option(timeouts);
    ws_->read_message_max(watch_limits::message_bytes_max);
    ws_->set_option(websocket::stream_base::decorator(
      [token = client_.options().token, offer_msgpack = client_.options().msgpack](websocket::request_type& request) {
        request.set(http::field::user_agent, "ledgerflow-watch");
        request.set(http::field::authorization, "Bearer " + token);
        if (offer_msgpack)
          request.set(http::field::sec_websocket_protocol, msgpack_subprotocol);
      }));
    ws_->async_handshake(response_, host_header(client_.url()), client_.url().target,
                         beast::bind_front_handler(&websocket_connection::on_upgrade, this->shared_from_this()));
  }

  void on_upgrade(beast::error_code ec) {
    if (abandoned())
      return;
    if (ec == websocket::error::upgrade_declined) {
      auto status = response_.result_int();
      std::string detail = "upgrade answered HTTP " + std::to_string(status) + ": " + response_.body();
      return end({status >= 400 && status < 500 ? connection_end::kind::refused : connection_end::kind::lost, detail});
    }
    if (ec)
      return fail(ec, "upgrade");
    phase_ = phase::open;
    // Only an echoed subprotocol switches the encoding; a server may decline the offer.
    msgpack_ = response_[http::field::sec_websocket_protocol] == msgpack_subprotocol;
    client_.on_open();
    do_subscribe();
  }

  void do_subscribe() {
    auto op = client_.subscribe_op();
    outgoing_ = msgpack_ ? json_to_msgpack(op) : op.dump();
    ws_->binary(msgpack_);
    writing_ = true;
    ws_->async_write(net::buffer(outgoing_),
                     beast::bind_front_handler(&websocket_connection::on_subscribe_written, this->shared_from_this()));
  }

  void on_subscribe_written(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec)
      return fail(ec, "send subscribe");
    if (close_after_write_)
      return do_close();
    do_read();
  }

  void do_read() {
    ws_->async_read(incoming_, beast::bind_front_handler(&websocket_connection::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (phase_ != phase::open)
      return; // closing: on_close reports the end
    if (ec == websocket::error::closed)
      return end({connection_end::kind::closed_by_server, describe_close(ws_->reason()), ws_->reason().code});
    if (ec)
      return fail(ec, "read");
    auto bytes = beast::buffers_to_string(incoming_.data());
    incoming_.consume(incoming_.size());
    auto message = decode(bytes);
    if (message)
      client_.on_message(*message);
    else
      std::cerr << "watch: skipped a frame: " << message.error().message << "\n";
    if (phase_ == phase::open)
      do_read();
  }

  void do_close() {
    phase_ = phase::closing;
    ws_->async_close(websocket::close_code::normal,
                     beast::bind_front_handler(&websocket_connection::on_close, this->shared_from_this()));
  }

  void on_close(beast::error_code ec) {
    end({connection_end::kind::closed_by_us, ec ? "closing: " + describe(ec) : "closed"});
  }

  outcome<nlohmann::json> decode(const std::string& bytes) const {
    if (ws_->got_binary())
      return msgpack_to_json(bytes);
    auto parsed = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded())
      return make_error(error_code::bad_request, "a text frame that is not JSON");
    return parsed;
  }

  // close() came while connecting: stop at the next step (a completion may already have been
  // queued when it cancelled, so its handler sees no error).
  bool abandoned() {
    if (phase_ != phase::closing)
      return false;
    end({connection_end::kind::closed_by_us, "abandoned while connecting"});
    return true;
  }

  void fail(beast::error_code ec, const char* what) {
    if (phase_ == phase::closing)
      return end({connection_end::kind::closed_by_us, std::string(what) + ": " + describe(ec)});
    end({connection_end::kind::lost, std::string(what) + ": " + describe(ec)});
  }

  void end(connection_end how) {
    if (phase_ == phase::ended)
      return;
    phase_ = phase::ended;
    client_.on_end(how);
  }

  std::string describe_tls_failure(beast::error_code ec) {
    auto text = describe(ec);
    auto verified = SSL_get_verify_result(ws_->next_layer().native_handle());
    if (verified != X509_V_OK)
      text += std::string(": ") + X509_verify_cert_error_string(verified);
    return text + " (the certificate must be trusted, --cafile PATH for a self-signed one, and name " +
           client_.url().host + ")";
  }

  static std::string describe(beast::error_code ec) {
    return ec == beast::error::timeout ? "timed out" : ec.message();
  }

  static std::string describe_close(const websocket::close_reason& reason) {
    auto text = "server closed with " + std::to_string(reason.code);
    if (!reason.reason.empty())
      text += " (" + std::string(reason.reason.data(), reason.reason.size()) + ")";
    return text;
  }

  watch_client& client_;
  tcp::resolver resolver_;
  std::optional<websocket::stream<next_layer>> ws_;
  websocket::response_type response_;
  beast::flat_buffer incoming_;
  std::string outgoing_;
  phase phase_ = phase::connecting;
  bool msgpack_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;
};

watch_client::watch_client(const watch_options& options, websocket_url url)
  : options_(options), url_(std::move(url)), progress_(options.accounts, options.since_seq) {}

int watch_client::run() {
  if (url_.tls && !configure_tls())
    return watch_exit::failed;
  wait_for_signal();
  if (options_.timeout_ms) {
    deadline_.expires_after(milliseconds(*options_.timeout_ms));
    deadline_.async_wait([this](beast::error_code ec) {
      if (ec)
        return;
      std::cerr << "watch: timed out after " << *options_.timeout_ms << " ms\n";
      stop(watch_exit::timed_out);
    });
  }
  connect();
  io_.run();
  current_.reset();
  return exit_code_;
}

bool watch_client::configure_tls() {
  beast::error_code ec;
  if (!options_.ca_file.empty())
    tls_context_.load_verify_file(options_.ca_file, ec);
  else
    tls_context_.set_default_verify_paths(ec);
  if (ec)
    std::cerr << "watch: cannot load trusted certificates"
              << (options_.ca_file.empty() ? "" : " from " + options_.ca_file) << ": " << ec.message() << "\n";
  return !ec;
}

void watch_client::connect() {
  subscribed_ = false;
  subscribe_failed_ = false;
  subscribe_id_ = "watch-" + std::to_string(++attempts_);
  if (url_.tls)
    current_ = std::make_shared<websocket_connection<true>>(io_, *this);
  else
    current_ = std::make_shared<websocket_connection<false>>(io_, *this);
  current_->start();
}

void watch_client::on_message(const nlohmann::json& message) {
  if (finishing_ || !print(message))
    return;
  auto type = string_at(message, "type");
  bool answers_subscribe = string_at(message, "id") == subscribe_id_;
  if (type == "subscribed" && answers_subscribe)
    subscribed_ = true;
  else if (type == "error" && answers_subscribe)
    on_subscribe_error(message);
  else if (type == "balance" && options_.balance_events_max &&
           progress_.balance_events_taken() >= *options_.balance_events_max)
    finish(watch_exit::done);
}

// Prints the message unless it repeats one already printed; false when it was not printed.
bool watch_client::print(const nlohmann::json& message) {
  if (!progress_.take(message))
    return false;
  std::cout << message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n' << std::flush;
  if (!std::cout) {
    stop(watch_exit::failed); // stdout is gone; nobody reads what follows
    return false;
  }
  return true;
}

void watch_client::on_subscribe_error(const nlohmann::json& message) {
  auto code = string_at(message, "code");
  subscribe_failed_ = true; // some account is missing: no working connection to reset the backoff
  if (subscribe_error_is_transient(code)) {
    reconnect_reason_ = "subscribe answered " + code;
    current_->close(); // on_end reconnects
    return;
  }
  std::cerr << "watch: subscribe refused: " << code << ": " << string_at(message, "message") << "\n";
  finish(watch_exit::refused);
}

void watch_client::on_end(const connection_end& end) {
  current_.reset();
  if (finishing_)
    return stop(exit_code_);
  using kind = connection_end::kind;
  switch (end.how) {
  case kind::refused:
    std::cerr << "watch: " << end.detail << "\n";
    return stop(watch_exit::refused);
  case kind::failed:
    std::cerr << "watch: " << end.detail << "\n";
    return stop(watch_exit::failed);
  case kind::closed_by_server:
    // 1008: the token expired or we were cut off for flooding: a new connection gets the same.
    if (end.close_code == websocket::close_code::policy_error) {
      std::cerr << "watch: " << end.detail << "\n";
      return stop(watch_exit::refused);
    }
    // 1009, 1002, 1003, 1007: the server refused what this client sends; it would again.
    if (end.close_code == websocket::close_code::too_big || end.close_code == websocket::close_code::protocol_error ||
        end.close_code == websocket::close_code::unknown_data || end.close_code == websocket::close_code::bad_payload) {
      std::cerr << "watch: " << end.detail << "\n";
      return stop(watch_exit::failed);
    }
    return reconnect_later(end.detail); // 1001 going away or idle, 1013 behind, 1011 ...
  case kind::closed_by_us:
    return reconnect_later(reconnect_reason_.empty() ? end.detail : reconnect_reason_);
  case kind::lost:
    if (!ever_opened_) {
      std::cerr << "watch: cannot connect to " << options_.url << ": " << end.detail << "\n";
      return stop(watch_exit::failed);
    }
    return reconnect_later(end.detail);
  }
}

void watch_client::reconnect_later(const std::string& why) {
  reconnect_reason_.clear();
  if (subscribed_ && !subscribe_failed_) // the connection that ended had worked: start over
    reconnect_delay_ms_ = watch_limits::reconnect_delay_first_ms;
  // Jittered exponential backoff, so many watchers of a restarted server do not come back at once.
  auto delay_ms = reconnect_delay_ms_ / 2 + jitter_() % (reconnect_delay_ms_ / 2 + 1);
  reconnect_delay_ms_ = std::min(reconnect_delay_ms_ * 2, watch_limits::reconnect_delay_max_ms);
  std::cerr << "watch: " << why << "; reconnecting in " << delay_ms << " ms\n";
  reconnect_timer_.expires_after(milliseconds(delay_ms));
  reconnect_timer_.async_wait([this](beast::error_code ec) {
    if (!ec && !finishing_)
      connect();
  });
}

// Ends the watch cleanly: closes the connection (1000) first when there is one.
void watch_client::finish(int exit_code) {
  if (finishing_)
    return;
  finishing_ = true;
  exit_code_ = exit_code;
  reconnect_timer_.cancel();
  if (current_)
    current_->close(); // on_end stops
  else
    stop(exit_code);
}

void watch_client::stop(int exit_code) {
  exit_code_ = exit_code;
  io_.stop();
}

void watch_client::wait_for_signal() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (ec)
      return;
    if (finishing_)
      return stop(exit_code_); // a second Ctrl-C does not wait for the server
    finish(watch_exit::done);
    wait_for_signal();
  });
}

} // namespace

int run_watch(const watch_options& options) {
  auto url = parse_websocket_url(options.url);
  if (!url) {
    std::cerr << "watch: " << url.error().message << "\n";
    return watch_exit::failed;
  }
  for (const auto& account : options.accounts)
    if (auto valid = parse_account_id(account); !valid) {
      std::cerr << "watch: " << valid.error().message << "\n";
      return watch_exit::failed;
    }
  if (!url->tls && (options.insecure || !options.ca_file.empty()))
    std::cerr << "watch: --cafile and --insecure apply to wss:// only\n";
  watch_client client(options, std::move(*url));
  return client.run();
}

} // namespace ledgerflow
