// A child process for benchmarks that drive a separate server (`bench push` runs `ledgerflow
// serve` and a Node.js server): started with its output going to a log file, watched for a
// log line, and stopped at the end (bench/proc_stats.hpp measures it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ledgerflow {

class child_process {
public:
  // Starts `argv[0]` (looked up on PATH when it has no '/') with this process's environment
  // plus `environment` ("NAME=value", overriding same-named variables); stdout and stderr are
  // appended to `log_path`. Throws std::runtime_error when it cannot be started.
  child_process(std::vector<std::string> argv, const std::vector<std::string>& environment, std::string log_path);
  ~child_process();  // stop()
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // Waits until the log holds `needle`. Returns false when the process exited first or the
  // timeout passed (see exit_reason()).
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout);
  // Whether the process is still running; reaps it when it has exited.
  bool running();
  std::string exit_reason() const { return exit_reason_; }
  // The last `bytes` of the log, for error messages.
  std::string log_tail(size_t bytes = 2000) const;

  // SIGTERM, then SIGKILL when it has not exited within `grace`. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000));

private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::string exit_reason_;
};

// Raises this process's RLIMIT_NOFILE soft limit to its hard limit; returns the new soft limit.
size_t raise_open_files_limit();
// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
uint16_t free_loopback_port();

} // namespace ledgerflow
