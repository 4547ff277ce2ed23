// The HTTP(S) provider adapter: each call is `POST {base_url}/v1/{kind}/{operation}` with the
// call's fields as a JSON object and its idempotency key in `Idempotency-Key`, so a retry after
// a timeout can never pay twice (providers/http/http_provider_wire.hpp has the mapping of
// answers to outcomes).
//
// It runs its own I/O thread. Connections are kept alive and reused, at most connections_max
// of them; calls beyond that wait in a bounded queue (waiting_calls_max) for a free connection,
// their timeout running. A call that times out has its connection closed, never reused, since
// its answer may still arrive on it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "protocols/provider_adapter.hpp"
#include "providers/http/http_provider_wire.hpp"

namespace ledgerflow {

struct http_provider_settings {
  std::string base_url;                  // http://host:port[/path] or https://...
  std::string auth_header = "Authorization";
  std::string auth_value;                // sent only when not empty
  std::string ca_file;                   // PEM file of trusted CAs for https; empty: the system's
  size_t connections_max = 16;
  size_t waiting_calls_max = http_provider_limits::waiting_calls_max;
};

class http_provider final : public provider_adapter {
public:
  // Throws std::invalid_argument when the settings are unusable (bad URL, unsafe header
  // value, unreadable ca_file, zero connections), naming what is wrong.
  http_provider(provider_kind kind, http_provider_settings settings);
  // Closes every connection; calls still open complete with "adapter_stopped" first.
  ~http_provider() override;

  http_provider(const http_provider&) = delete;
  http_provider& operator=(const http_provider&) = delete;

  provider_kind kind() const override { return kind_; }
  std::string type() const override { return "http"; }
  // Calls `done` on the adapter's I/O thread, or at once on this thread for a malformed call.
  void start(const provider_call& call, std::chrono::milliseconds timeout, call_completion done) override;

  struct connection_counts {
    size_t open = 0;          // connected or connecting now, busy or idle
    size_t opened_total = 0;  // since the start
  };
  connection_counts connections() const;

private:
  struct client;  // Beast and Asio live in the .cpp only
  provider_kind kind_;
  std::unique_ptr<client> client_;
};

} // namespace ledgerflow
