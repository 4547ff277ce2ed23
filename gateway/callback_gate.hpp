// Ledger callbacks arrive on foreign threads and may come after the server stopped (or never).
// They reach the io_context only through this gate: open while the io_context runs, closed by
// http_server::stop() before the io_context goes away, so a late callback is dropped instead
// of posting into a destroyed executor. Responders hold it by shared_ptr so it outlives them.
#pragma once

#include <mutex>

namespace ledgerflow {

class callback_gate {
public:
  // Runs `deliver` (which must only post, never block) while the gate is open.
  template <class Deliver>
  void run_if_open(Deliver&& deliver) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_)
      deliver();
  }

  // Waits for a delivery in progress, then drops every later one.
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
  }

private:
  std::mutex mutex_;
  bool open_ = true;
};

} // namespace ledgerflow
