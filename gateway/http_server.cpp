#include "gateway/http_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <spdlog/spdlog.h>

#include "gateway/callback_gate.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/http_listener.hpp"
#include "gateway/router.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/ws/push_hub.hpp"
#include "gateway/ws/ws_context.hpp"

namespace ledgerflow {

namespace net = boost::asio;

// Declaration order is destruction order in reverse: the io_context (and with it every
// session) goes before the router and metrics the sessions point at.
struct http_server::state {
  state(gateway_config config_in, ledger_api& ledger_in, unix_seconds_clock clock, provider_api* providers,
        saga_api* sagas)
    : config(std::move(config_in)), ledger(ledger_in),
      routes(ledger_in, providers, sagas, token_keys{config.jwt_secret}, metrics, clock),
      io(static_cast<int>(std::clamp<size_t>(config.io_threads, 1, gateway_io_threads_max))) {
    websocket = std::make_shared<ws::ws_context>();
    websocket->config = config.websocket;
    websocket->keys = token_keys{config.jwt_secret};
    websocket->clock = std::move(clock);
    websocket->ledger = &ledger;
    websocket->metrics = &metrics;
    websocket->hub = std::make_shared<ws::push_hub>(ledger.assets());
    websocket->gate = gate;
    websocket->sessions = sessions;
  }

  gateway_config config;
  ledger_api& ledger;
  gateway_metrics metrics;
  std::shared_ptr<callback_gate> gate = std::make_shared<callback_gate>();
  std::shared_ptr<session_registry> sessions = std::make_shared<session_registry>();
  router routes;
  std::shared_ptr<ws::ws_context> websocket;
  std::shared_ptr<net::ssl::context> tls;
  net::io_context io;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<http_listener> client_listener;
  std::shared_ptr<http_listener> admin_listener;
  std::vector<std::thread> threads;
  bool started = false;
  bool stopped = false;

  status check_config() const;
  status load_tls();
  session_settings settings_for(listener_role role);
  void run_io();
  void drain();
};

status http_server::state::check_config() const {
  auto invalid = [](const std::string& why) { return make_error(error_code::bad_request, "gateway config: " + why); };
  if (config.jwt_secret.empty())
    return invalid("jwt secret is empty");
  if (config.io_threads == 0 || config.io_threads > gateway_io_threads_max)
    return invalid("io_threads must be 1 to " + std::to_string(gateway_io_threads_max));
  if (config.body_bytes_max == 0 || config.header_bytes_max == 0 || config.connections_max == 0)
    return invalid("body, header and connection limits must be above zero");
  if (config.header_bytes_max > UINT32_MAX)
    return invalid("header limit must fit 32 bits");
  if (config.read_timeout_ms == 0 || config.ledger_timeout_ms == 0)
    return invalid("timeouts must be above zero");
  if (config.admin_listen && config.admin_listen->port != 0 && config.admin_listen->port == config.listen.port
      && config.admin_listen->host == config.listen.host)
    return invalid("admin listener must not share the client listener's address");
  const auto& ws = config.websocket;
  if (ws.message_bytes_max == 0 || ws.subscriptions_max == 0 || ws.connections_per_ip_max == 0
      || ws.connections_per_subject_max == 0 || ws.messages_per_second == 0 || ws.send_queue_frames_max == 0)
    return invalid("websocket limits must be above zero");
  if (ws.idle_timeout_ms == 0 || ws.ping_interval_ms == 0 || ws.behind_close_ms == 0)
    return invalid("websocket timeouts must be above zero");
  if (config.tls_certificate_file.empty() != config.tls_private_key_file.empty())
    return invalid("TLS needs both a certificate and a private key");
  return done{};
}

// TLS 1.2 and later only; the certificate file may hold the chain.
status http_server::state::load_tls() {
  if (config.tls_certificate_file.empty())
    return done{};
  for (const auto* file : {&config.tls_certificate_file, &config.tls_private_key_file}) {
    std::error_code missing;
    if (!std::filesystem::is_regular_file(*file, missing))
      return make_error(error_code::bad_request, "gateway config: TLS file " + *file + " does not exist or is not a file");
  }
  try {
    auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2
                         | net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1
                         | net::ssl::context::single_dh_use);
    context->use_certificate_chain_file(config.tls_certificate_file);
    context->use_private_key_file(config.tls_private_key_file, net::ssl::context::pem);
    tls = std::move(context);
    return done{};
  } catch (const boost::system::system_error& failure) {
    return make_error(error_code::bad_request, "gateway config: cannot load TLS certificate " + config.tls_certificate_file
                                                 + " and key " + config.tls_private_key_file + ": " + failure.what());
  }
}

session_settings http_server::state::settings_for(listener_role role) {
  session_settings settings;
  settings.routes = &routes;
  settings.metrics = &metrics;
  settings.gate = gate;
  settings.sessions = sessions;
  settings.role = role;
  settings.body_bytes_max = config.body_bytes_max;
  settings.header_bytes_max = config.header_bytes_max;
  settings.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  settings.ledger_timeout = std::chrono::milliseconds(config.ledger_timeout_ms);
  settings.ws = websocket;
  settings.tls = tls;
  return settings;
}

void http_server::state::run_io() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& failure) {
      // Handlers should not throw; if one does, that request is lost but the thread serves on.
      spdlog::error("gateway: io thread caught: {}", failure.what());
    }
  }
}

http_server::http_server(gateway_config config, ledger_api& ledger, unix_seconds_clock clock, provider_api* providers,
                         saga_api* sagas)
  : state_(std::make_unique<state>(std::move(config), ledger, std::move(clock), providers, sagas)) {}

http_server::~http_server() {
  stop();
}

status http_server::start() {
  auto& s = *state_;
  if (s.started)
    return make_error(error_code::bad_request, "http_server::start called twice");
  if (auto valid = s.check_config(); !valid)
    return valid;
  if (auto loaded = s.load_tls(); !loaded)
    return loaded;
  s.started = true;
  s.ledger.on_durable([hub = s.websocket->hub](const durable_entries& batch) { hub->publish(batch); });
  auto client_role = s.config.admin_listen ? listener_role::client : listener_role::combined;
  s.client_listener = std::make_shared<http_listener>(s.io, s.settings_for(client_role), s.config.connections_max);
  if (auto opened = s.client_listener->open(s.config.listen); !opened)
    return opened;
  if (s.config.admin_listen) {
    s.admin_listener = std::make_shared<http_listener>(s.io, s.settings_for(listener_role::admin), s.config.connections_max);
    if (auto opened = s.admin_listener->open(*s.config.admin_listen); !opened) {
      s.client_listener->close();
      return opened;
    }
    s.admin_listener->run();
  }
  s.client_listener->run();
  s.work.emplace(s.io.get_executor());
  for (size_t i = 0; i < s.config.io_threads; ++i)
    s.threads.emplace_back([&s] { s.run_io(); });
  return done{};
}

// Runs while the io threads still serve, so the sessions can finish their requests.
void http_server::state::drain() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.drain_timeout_ms);
  client_listener->stop_accepting();
  if (admin_listener)
    admin_listener->stop_accepting();
  sessions->begin_drain();
  if (!sessions->wait_until_empty(deadline))
    spdlog::warn("gateway: {} connection(s) still open after the {} ms drain; closing them",
                 metrics.connections_open(), config.drain_timeout_ms);
}

void http_server::stop() {
  auto& s = *state_;
  if (!s.started || s.stopped)
    return;
  if (s.io.get_executor().running_in_this_thread()) {
    std::fputs("http_server::stop called from an io thread: it would wait for itself\n", stderr);
    std::abort();
  }
  s.stopped = true;
  if (!s.threads.empty())
    s.drain();
  s.gate->close();
  s.websocket->hub->close();
  s.work.reset();
  s.io.stop();
  for (auto& thread : s.threads)
    thread.join();
  s.threads.clear();
  // No io thread runs now, so the acceptors can be closed from here.
  if (s.client_listener)
    s.client_listener->close();
  if (s.admin_listener)
    s.admin_listener->close();
}

uint16_t http_server::port() const {
  return state_->client_listener ? state_->client_listener->port() : 0;
}

std::optional<uint16_t> http_server::admin_port() const {
  if (!state_->admin_listener)
    return std::nullopt;
  return state_->admin_listener->port();
}

} // namespace ledgerflow
