#include "bench/transfer_load.hpp"

#include <pthread.h>

#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ledgerflow {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr auto request_timeout = std::chrono::seconds(30);
constexpr auto reconnect_delay = std::chrono::milliseconds(100);

// SplitMix64: cheap and good enough to pick accounts.
struct small_random {
  uint64_t state = 0x2545f4914f6cdd1dull;
  uint64_t operator()() {
    uint64_t mixed = (state += 0x9e3779b97f4a7c15ull);
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ull;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebull;
    return mixed ^ (mixed >> 31);
  }
};

} // namespace

class http_lane;

// Everything below runs on the one io thread, except the atomics and the error string.
struct transfer_load::impl {
  transfer_load_options options;
  net::io_context io{1};
  // Keeps run() going while every lane is parked idle.
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::vector<std::shared_ptr<http_lane>> lanes;
  std::vector<std::shared_ptr<http_lane>> idle_lanes;  // connected, with nothing to send
  std::deque<std::string> fixed_bodies;  // post_all's, sent before any paced transfer
  std::atomic<uint64_t> fixed_answered{0}, fixed_failed{0};
  double rate_per_s = 0;
  steady::time_point next_due;
  uint64_t next_key = 0;
  small_random random;
  std::atomic<uint64_t> ok{0}, failed{0};
  std::atomic<bool> recording{false};
  std::atomic<bool> stopping{false};
  std::vector<float> latencies_ms;
  mutable std::mutex error_mutex;
  std::string first_error;

  void note_error(const std::string& what) {
    std::lock_guard lock(error_mutex);
    if (first_error.empty())
      first_error = what;
  }

  // The time the next paced transfer is due; never more than catch_up_max in the past, so a
  // stall is not followed by a burst.
  steady::time_point claim_slot() {
    auto now = steady::now();
    if (next_due < now - options.catch_up_max)
      next_due = now - options.catch_up_max;
    auto due = next_due;
    next_due += std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / rate_per_s));
    return due;
  }

  void wake_idle_lanes();

  std::string random_transfer() {
    auto count = options.accounts.size();
    auto from = random() % count;
    auto to = (from + 1 + random() % (count - 1)) % count;
    return transfer_load::transfer_body(options.key_prefix + std::to_string(++next_key), options.accounts[from],
                                        options.accounts[to], options.bucket, options.amount);
  }
};

// One keep-alive connection with at most one request in flight.
class http_lane : public std::enable_shared_from_this<http_lane> {
public:
  explicit http_lane(transfer_load::impl& load) : load_(load), stream_(load.io), timer_(load.io) {}

  void start() { do_connect(); }

  void close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    timer_.cancel();
  }

private:
  void do_connect() {
    if (load_.stopping)
      return;
    stream_.expires_after(request_timeout);
    tcp::endpoint endpoint(net::ip::make_address(load_.options.host), load_.options.port);
    stream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return self->fail(ec, "connect");
      self->stream_.socket().set_option(tcp::no_delay(true));
      self->next();
    });
  }

  // What to send next: a fixed body, a paced transfer when its slot is due, or nothing yet.
  void next() {
    if (load_.stopping)
      return;
    if (!load_.fixed_bodies.empty()) {
      is_fixed_ = true;
      auto body = std::move(load_.fixed_bodies.front());
      load_.fixed_bodies.pop_front();
      return send(std::move(body));
    }
    is_fixed_ = false;
    if (load_.rate_per_s <= 0)
      return load_.idle_lanes.push_back(shared_from_this());  // woken by post_all or set_rate
    timer_.expires_at(load_.claim_slot());
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return;
      if (self->load_.rate_per_s <= 0)
        return self->next();
      self->send(self->load_.random_transfer());
    });
  }

public:
  // Called on the io thread for a lane parked in idle_lanes.
  void wake() { next(); }

private:

  void send(std::string body) {
    request_ = {http::verb::post, "/v1/transfers", 11};
    request_.set(http::field::host, load_.options.host + ":" + std::to_string(load_.options.port));
    request_.set(http::field::authorization, "Bearer " + load_.options.token);
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(true);
    request_.body() = std::move(body);
    request_.prepare_payload();
    sent_ = steady::now();
    stream_.expires_after(request_timeout);
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code write_ec, size_t) {
      if (write_ec)
        return self->fail(write_ec, "write");
      self->response_ = {};
      http::async_read(self->stream_, self->buffer_, self->response_,
                       [self](beast::error_code read_ec, size_t) { self->on_response(read_ec); });
    });
  }

  void on_response(beast::error_code ec) {
    if (ec)
      return fail(ec, "read");
    bool ok = response_.result_int() / 100 == 2;
    if (ok) {
      load_.ok.fetch_add(1, std::memory_order_relaxed);
      if (load_.recording.load(std::memory_order_relaxed))
        load_.latencies_ms.push_back(std::chrono::duration<float, std::milli>(steady::now() - sent_).count());
    } else {
      load_.failed.fetch_add(1, std::memory_order_relaxed);
      load_.note_error("POST /v1/transfers answered " + std::to_string(response_.result_int()) + ": " +
                       response_.body().substr(0, 300));
    }
    if (is_fixed_) {
      if (!ok)
        load_.fixed_failed.fetch_add(1);
      load_.fixed_answered.fetch_add(1);
    }
    if (!response_.keep_alive()) {
      close();  // async_connect opens the socket again
      buffer_.consume(buffer_.size());
      return do_connect();
    }
    next();
  }

  void fail(beast::error_code ec, const char* where) {
    if (load_.stopping)
      return;
    load_.failed.fetch_add(1, std::memory_order_relaxed);
    load_.note_error(std::string("transfer connection ") + where + ": " + ec.message());
    if (is_fixed_) {
      load_.fixed_failed.fetch_add(1);
      load_.fixed_answered.fetch_add(1);
      is_fixed_ = false;
    }
    beast::error_code ignored;
    stream_.socket().close(ignored);  // async_connect opens it again
    buffer_.consume(buffer_.size());
    timer_.expires_after(reconnect_delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec)
        self->do_connect();
    });
  }

  transfer_load::impl& load_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  steady::time_point sent_;
  bool is_fixed_ = false;
};

void transfer_load::impl::wake_idle_lanes() {
  auto waking = std::exchange(idle_lanes, {});
  for (auto& lane : waking)
    lane->wake();
}

transfer_load::transfer_load(transfer_load_options options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  for (size_t index = 0; index < std::max<size_t>(1, impl_->options.connections); ++index)
    impl_->lanes.push_back(std::make_shared<http_lane>(*impl_));
  net::post(impl_->io, [this] {
    for (auto& lane : impl_->lanes)
      lane->start();
  });
  impl_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "push.http_load");  // the bench reports CPU by thread name
    impl_->io.run();
  });
}

transfer_load::~transfer_load() {
  impl_->stopping = true;
  net::post(impl_->io, [this] {
    impl_->idle_lanes.clear();
    for (auto& lane : impl_->lanes)
      lane->close();
  });
  impl_->work.reset();
  auto deadline = steady::now() + std::chrono::seconds(3);
  while (!impl_->io.stopped() && steady::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->io.stop();
  impl_->thread.join();
  impl_->lanes.clear();
}

size_t transfer_load::post_all(std::vector<std::string> bodies, std::chrono::milliseconds timeout) {
  auto total = bodies.size();
  auto answered_before = impl_->fixed_answered.load();
  auto failed_before = impl_->fixed_failed.load();
  net::post(impl_->io, [this, bodies = std::move(bodies)]() mutable {
    for (auto& body : bodies)
      impl_->fixed_bodies.push_back(std::move(body));
    impl_->wake_idle_lanes();
  });
  auto deadline = steady::now() + timeout;
  while (impl_->fixed_answered.load() - answered_before < total && steady::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto answered = impl_->fixed_answered.load() - answered_before;
  return static_cast<size_t>(impl_->fixed_failed.load() - failed_before + (total - answered));
}

void transfer_load::set_rate(double transfers_per_s) {
  std::promise<void> applied;
  net::post(impl_->io, [this, transfers_per_s, &applied] {
    impl_->rate_per_s = transfers_per_s;
    impl_->next_due = steady::now();
    impl_->wake_idle_lanes();
    applied.set_value();
  });
  applied.get_future().wait();
}

transfer_load_counts transfer_load::counts() const {
  return {impl_->ok.load(), impl_->failed.load()};
}

std::string transfer_load::first_error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->first_error;
}

void transfer_load::record(bool on) {
  impl_->recording = on;
}

std::vector<float> transfer_load::take_latencies_ms() {
  std::promise<std::vector<float>> taken;
  auto future = taken.get_future();
  net::post(impl_->io, [this, &taken] { taken.set_value(std::exchange(impl_->latencies_ms, {})); });
  return future.get();
}

std::string transfer_load::transfer_body(const std::string& idempotency_key, const std::string& from,
                                         const std::string& to, const std::string& bucket, const std::string& amount) {
  return R"({"idempotency_key":")" + idempotency_key + R"(","from":{"account":")" + from + R"(","bucket":")" + bucket +
         R"("},"to":{"account":")" + to + R"(","bucket":")" + bucket + R"("},"amount":")" + amount + R"("})";
}

} // namespace ledgerflow
