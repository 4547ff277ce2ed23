#include "bench/ws_client_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <charconv>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "protocols/clock.hpp"

namespace ledgerflow {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto handshake_timeout = std::chrono::seconds(30);

// The integer after `"key":` in a flat JSON object, or -1. Frames are scanned rather than
// parsed: at hundreds of thousands of frames a second a full parse would make the clients,
// not the server, the thing measured. The keys looked for occur once in a `balance` frame.
int64_t integer_field(std::string_view text, std::string_view quoted_key) {
  auto at = text.find(quoted_key);
  if (at == std::string_view::npos)
    return -1;
  at += quoted_key.size();
  while (at < text.size() && (text[at] == ':' || text[at] == ' '))
    ++at;
  int64_t value = -1;
  std::from_chars(text.data() + at, text.data() + text.size(), value);
  return value;
}

std::string_view string_field(std::string_view text, std::string_view quoted_key) {
  auto at = text.find(quoted_key);
  if (at == std::string_view::npos)
    return {};
  at = text.find('"', at + quoted_key.size());
  if (at == std::string_view::npos)
    return {};
  auto end = text.find('"', at + 1);
  return end == std::string_view::npos ? std::string_view{} : text.substr(at + 1, end - at - 1);
}

// Single-writer counter: only its io thread adds, any thread reads.
void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

} // namespace

class ws_client;

// One io thread and the clients it runs; counters are written by that thread only.
struct ws_shard {
  net::io_context io{1};
  // Keeps run() going even if every client failed, so take_latencies_ms() can still post.
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::vector<std::shared_ptr<ws_client>> clients;
  size_t next_to_start = 0;
  std::vector<float> latencies_ms;
  std::atomic<uint64_t> subscribed{0}, failed{0}, closed{0}, delivered{0}, coalesced{0}, seq_missing{0},
    seq_repeated{0}, errors{0}, bytes{0};
  struct ws_client_pool::impl* pool = nullptr;

  void start_next();
};

struct ws_client_pool::impl {
  ws_pool_options options;
  std::vector<ws_client_spec> specs;
  std::vector<std::unique_ptr<ws_shard>> shards;
  std::atomic<bool> recording{false};
  std::atomic<bool> stopping{false};
  mutable std::mutex error_mutex;
  std::string first_error;

  void note_error(const std::string& what) {
    std::lock_guard lock(error_mutex);
    if (first_error.empty())
      first_error = what;
  }
};

class ws_client : public std::enable_shared_from_this<ws_client> {
public:
  ws_client(ws_shard& shard, const ws_client_spec& spec)
      : shard_(shard), spec_(spec), ws_(shard.io), last_seq_(spec.accounts.size(), -1) {}

  void start() {
    const auto& options = shard_.pool->options;
    tcp::endpoint endpoint(net::ip::make_address(options.host), options.port);
    beast::get_lowest_layer(ws_).expires_after(handshake_timeout);
    beast::get_lowest_layer(ws_).async_connect(
      endpoint, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

  void close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

private:
  void on_connect(beast::error_code ec) {
    if (ec)
      return fail(ec, "connect");
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(1 << 20);
    if (!spec_.token.empty())
      ws_.set_option(websocket::stream_base::decorator([token = spec_.token](websocket::request_type& request) {
        request.set(beast::http::field::authorization, "Bearer " + token);
      }));
    const auto& options = shard_.pool->options;
    ws_.async_handshake(options.host + ":" + std::to_string(options.port), options.target,
                        [self = shared_from_this()](beast::error_code handshake_ec) { self->on_handshake(handshake_ec); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec)
      return fail(ec, "handshake");
    nlohmann::json subscribe{{"op", "subscribe"}, {"id", "s"}, {"accounts", spec_.accounts}};
    outgoing_ = subscribe.dump();
    ws_.text(true);
    ws_.async_write(net::buffer(outgoing_),
                    [self = shared_from_this()](beast::error_code write_ec, size_t) { self->on_subscribe_sent(write_ec); });
  }

  void on_subscribe_sent(beast::error_code ec) {
    if (ec)
      return fail(ec, "subscribe");
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (!subscribed_)
        return fail(ec, "read before subscribed");
      if (!shard_.pool->stopping.load(std::memory_order_relaxed)) {
        bump(shard_.closed);
        shard_.pool->note_error("a subscribed connection ended: " + ec.message());
      }
      return;
    }
    std::string_view text(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    bump(shard_.bytes, text.size());
    if (auto durable_us = integer_field(text, "\"durable_us\""); durable_us > 0)
      on_balance(text, durable_us);
    else
      on_answer(text);
    buffer_.consume(buffer_.size());
    do_read();
  }

  void on_balance(std::string_view text, int64_t durable_us) {
    bump(shard_.delivered);
    if (shard_.pool->recording.load(std::memory_order_relaxed) &&
        shard_.latencies_ms.size() < shard_.pool->options.latency_samples_max)
      shard_.latencies_ms.push_back(static_cast<float>(system_clock().now_us() - durable_us) / 1000.0f);
    bool coalesced = text.find("\"coalesced\":true") != std::string_view::npos;
    if (coalesced)
      bump(shard_.coalesced);
    auto account = string_field(text, "\"account\"");
    auto seq = integer_field(text, "\"seq\"");
    for (size_t index = 0; index < spec_.accounts.size(); ++index)
      if (spec_.accounts[index] == account)
        return check_seq(index, seq);
  }

  void check_seq(size_t index, int64_t seq) {
    auto& last = last_seq_[index];
    if (last >= 0 && seq <= last)
      return bump(shard_.seq_repeated);
    if (last >= 0 && seq > last + 1)
      bump(shard_.seq_missing, static_cast<uint64_t>(seq - last - 1));
    last = seq;
  }

  void on_answer(std::string_view text) {
    auto type = string_field(text, "\"type\"");
    if (type == "error") {
      bump(shard_.errors);
      shard_.pool->note_error("error frame: " + std::string(text));
      if (!subscribed_)
        finish_connecting(false);
    } else if (type == "subscribed" && !subscribed_) {
      remember_subscribed_seqs(text);
      subscribed_ = true;
      finish_connecting(true);
    }
  }

  // The answer's `seq` per account is where each stream starts, so the first event's seq
  // can already be checked for a gap.
  void remember_subscribed_seqs(std::string_view text) {
    auto answer = nlohmann::json::parse(text, nullptr, false);
    if (!answer.is_object() || !answer.contains("accounts") || !answer["accounts"].is_array())
      return;
    for (const auto& item : answer["accounts"]) {
      if (!item.is_object() || !item.contains("account") || !item.contains("seq") || !item["seq"].is_number())
        continue;
      for (size_t index = 0; index < spec_.accounts.size(); ++index)
        if (item["account"] == spec_.accounts[index])
          last_seq_[index] = item["seq"].get<int64_t>();
    }
  }

  void fail(beast::error_code ec, const char* where) {
    if (shard_.pool->stopping.load(std::memory_order_relaxed))
      return;
    shard_.pool->note_error(std::string(where) + ": " + ec.message());
    finish_connecting(false);
  }

  void finish_connecting(bool ok) {
    if (connecting_done_)
      return;
    connecting_done_ = true;
    bump(ok ? shard_.subscribed : shard_.failed);
    shard_.start_next();
  }

  ws_shard& shard_;
  const ws_client_spec& spec_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::string outgoing_;
  std::vector<int64_t> last_seq_;  // per subscribed account; -1 until known
  bool subscribed_ = false;
  bool connecting_done_ = false;
};

void ws_shard::start_next() {
  if (next_to_start < clients.size())
    clients[next_to_start++]->start();
}

ws_client_pool::ws_client_pool(ws_pool_options options, std::vector<ws_client_spec> clients)
    : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  impl_->specs = std::move(clients);
  auto threads = std::max<size_t>(1, impl_->options.io_threads);
  for (size_t index = 0; index < threads; ++index) {
    auto shard = std::make_unique<ws_shard>();
    shard->pool = impl_.get();
    impl_->shards.push_back(std::move(shard));
  }
  for (size_t index = 0; index < impl_->specs.size(); ++index) {
    auto& shard = *impl_->shards[index % threads];
    shard.clients.push_back(std::make_shared<ws_client>(shard, impl_->specs[index]));
  }
}

ws_client_pool::~ws_client_pool() {
  impl_->stopping = true;
  for (auto& shard : impl_->shards) {
    // Close every socket on its own thread, then let the aborted operations finish.
    net::post(shard->io, [&shard = *shard] {
      for (auto& client : shard.clients)
        client->close();
    });
    shard->work.reset();
    if (!shard->thread.joinable())
      shard->thread = std::thread([&io = shard->io] { io.run(); });
  }
  // Aborted operations end at once; a handshake timer could linger, so stop the rest after a while.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (auto& shard : impl_->shards) {
    while (!shard->io.stopped() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    shard->io.stop();
    shard->thread.join();
    shard->clients.clear();
  }
}

void ws_client_pool::connect_all(std::chrono::milliseconds timeout) {
  auto threads = impl_->shards.size();
  auto per_shard = std::max<size_t>(1, impl_->options.connecting_max / threads);
  for (auto& shard : impl_->shards) {
    net::post(shard->io, [&shard = *shard, per_shard] {
      for (size_t started = 0; started < per_shard; ++started)
        shard.start_next();
    });
    shard->thread = std::thread([&io = shard->io] {
      pthread_setname_np(pthread_self(), "push.ws_clients");  // the bench reports CPU by thread name
      io.run();
    });
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = counts();
    if (now.subscribed + now.failed >= impl_->specs.size())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ws_pool_counts ws_client_pool::counts() const {
  ws_pool_counts total;
  for (const auto& shard : impl_->shards) {
    total.subscribed += shard->subscribed.load(std::memory_order_relaxed);
    total.failed += shard->failed.load(std::memory_order_relaxed);
    total.closed += shard->closed.load(std::memory_order_relaxed);
    total.delivered += shard->delivered.load(std::memory_order_relaxed);
    total.coalesced += shard->coalesced.load(std::memory_order_relaxed);
    total.seq_missing += shard->seq_missing.load(std::memory_order_relaxed);
    total.seq_repeated += shard->seq_repeated.load(std::memory_order_relaxed);
    total.errors += shard->errors.load(std::memory_order_relaxed);
    total.bytes += shard->bytes.load(std::memory_order_relaxed);
  }
  return total;
}

std::string ws_client_pool::first_error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->first_error;
}

void ws_client_pool::record(bool on) {
  impl_->recording = on;
}

std::vector<float> ws_client_pool::take_latencies_ms() {
  std::vector<float> all;
  for (auto& shard : impl_->shards) {
    std::promise<std::vector<float>> taken;
    auto future = taken.get_future();
    net::post(shard->io, [&shard = *shard, &taken] { taken.set_value(std::exchange(shard.latencies_ms, {})); });
    auto samples = future.get();
    all.insert(all.end(), samples.begin(), samples.end());
  }
  return all;
}

} // namespace ledgerflow
