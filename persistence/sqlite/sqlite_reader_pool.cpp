#include "persistence/sqlite/sqlite_reader_pool.hpp"

#include <cassert>
#include <chrono>
#include <utility>

namespace ledgerflow {

sqlite_reader_pool::sqlite_reader_pool(std::string path, sqlite_options options)
  : path_(std::move(path)), options_(options) {
  assert(options_.read_connections_max > 0);
}

sqlite_reader_pool::lease sqlite_reader_pool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto can_proceed = [this] { return !idle_.empty() || opened_ < options_.read_connections_max; };
  if (!given_back_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms), can_proceed))
    throw journal_error("sqlite: no read connection became free within "
                        + std::to_string(options_.busy_timeout_ms) + " ms");
  if (!idle_.empty()) {
    auto reader = std::move(idle_.back());
    idle_.pop_back();
    return lease(*this, std::move(reader));
  }
  ++opened_;
  lock.unlock();  // opening a file and preparing statements need not block other readers
  try {
    return lease(*this, std::make_unique<sqlite_journal_reader>(path_, options_));
  } catch (...) {
    lock.lock();
    --opened_;
    given_back_.notify_one();
    throw;
  }
}

void sqlite_reader_pool::give_back(std::unique_ptr<sqlite_journal_reader> reader) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    idle_.push_back(std::move(reader));
  }
  given_back_.notify_one();
}

} // namespace ledgerflow
