// scripts/fake_provider.py as a child process on loopback, for tests of the HTTP provider
// adapter: starts it on a free port, tells it how to misbehave and reads what it recorded.
// The process is stopped (SIGTERM, then SIGKILL) when the object goes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/temp_directory.hpp"

namespace ledgerflow::testing {

class fake_provider_process {
public:
  // `arguments` go to the script as they are, e.g. {"--auth-value", "secret"}. Throws
  // std::runtime_error when it does not start listening within 10 s.
  explicit fake_provider_process(const std::vector<std::string>& arguments = {});
  ~fake_provider_process();

  fake_provider_process(const fake_provider_process&) = delete;
  fake_provider_process& operator=(const fake_provider_process&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // POST /_fake/mode, e.g. {{"mode", "fail"}, {"status", 503}}; throws unless it is accepted.
  void set_mode(const nlohmann::json& mode);
  // POST /_fake/reset: no calls, no side effects, mode ok.
  void reset();
  nlohmann::json calls();         // GET /_fake/calls -> its "calls" array
  nlohmann::json side_effects();  // GET /_fake/side_effects -> {"by_key": {...}, "total": n}
  nlohmann::json connections();   // GET /_fake/connections -> {"accepted", "open", "open_max"}

  // The script's path: $LEDGERFLOW_FAKE_PROVIDER, or scripts/fake_provider.py of this source tree.
  static std::string script_path();

private:
  nlohmann::json control(const std::string& method, const std::string& target, const std::string& body);

  temp_directory directory_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

} // namespace ledgerflow::testing
