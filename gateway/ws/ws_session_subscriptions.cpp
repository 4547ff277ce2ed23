// ws_session: the client's operations: subscribe (the durable view or a journal replay,
// then live with no gap), unsubscribe, ping.
#include "gateway/ws/ws_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/auth.hpp"
#include "gateway/ws/ws_messages.hpp"
#include "protocols/json_views.hpp"
#include "protocols/limits.hpp"

namespace ledgerflow::ws {

namespace net = boost::asio;
using nlohmann::json;

template <class Stream>
void ws_session<Stream>::handle_op(const client_op& op) {
  switch (op.type) {
    case client_op::kind::ping: return send(reply_message("pong", op.id));
    case client_op::kind::subscribe: return subscribe(op);
    case client_op::kind::unsubscribe: return unsubscribe(op);
  }
}

template <class Stream>
void ws_session<Stream>::subscribe(const client_op& op) {
  for (const auto& each : op.accounts) {
    if (!may_read_account(setup_.claims, each.account))
      return send_error(op.id, "forbidden", "the token does not allow account " + each.account);
  }
  auto request = std::make_shared<subscribe_request>();
  request->id = op.id;
  std::vector<std::string> to_register;
  bool over_limit = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t added = 0;
    for (const auto& each : op.accounts)
      added += streams_.count(each.account) == 0 ? 1 : 0;
    over_limit = streams_.size() + added > config_.subscriptions_max;
    if (!over_limit) {
      for (const auto& each : op.accounts) {
        subscribe_item item;
        item.account = each.account;
        item.generation = ++next_generation_;
        item.replay = each.since_seq.has_value();
        item.seq = each.since_seq.value_or(0);
        auto [place, inserted] = streams_.try_emplace(each.account);
        if (inserted)
          to_register.push_back(each.account);
        place->second = account_stream{};
        place->second.generation = item.generation;
        request->items.push_back(std::move(item));
      }
    }
  }
  if (over_limit)  // answered after unlocking: send takes the lock too
    return send_error(op.id, too_many_subscriptions,
                      "at most " + std::to_string(config_.subscriptions_max) + " accounts per connection");
  // Registered before any state is read, so no update falls between the read and the stream.
  for (const auto& account : to_register)
    setup_.context->hub->add(account, this);
  for (size_t i = 0; i < request->items.size(); ++i) {
    if (request->items[i].replay)
      continue;
    ++request->waiting;
    auto gate = setup_.context->gate;
    setup_.context->ledger->get_account(
      request->items[i].account,
      [gate, weak = this->weak_from_this(), executor = stream_.get_executor(), request, i](outcome<account_view> view) {
        gate->run_if_open([&] {
          if (auto self = weak.lock())
            net::post(executor, [self, request, i, view = std::move(view)]() mutable {
              self->on_account_view(request, i, std::move(view));
            });
        });
      });
  }
  if (request->waiting == 0)
    finish_subscribe(request);
}

template <class Stream>
void ws_session<Stream>::on_account_view(const std::shared_ptr<subscribe_request>& request, size_t index,
                                 outcome<account_view> view) {
  auto& item = request->items[index];
  if (view) {
    item.seq = view->seq;
    item.balances = json::array();
    for (const auto& balance : view->balances)
      if (auto rendered = balance_json(balance, setup_.context->ledger->assets()))
        item.balances.push_back(std::move(*rendered));
  } else if (view.error().code == error_code::not_found) {
    item.seq = 0;  // no entries yet: every change will be new
    item.balances = json::array();
  } else {
    item.failed = true;
    send_error(request->id, to_string(view.error().code), "cannot subscribe to " + item.account + ": " + view.error().message);
    drop_stream(item.account, item.generation);
  }
  if (--request->waiting == 0)
    finish_subscribe(request);
}

template <class Stream>
void ws_session<Stream>::finish_subscribe(const std::shared_ptr<subscribe_request>& request) {
  std::vector<std::pair<std::string, uint64_t>> replays;  // account, from seq
  std::vector<uint64_t> generations;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_)
      return;
    json accounts = json::array();
    for (const auto& item : request->items) {
      auto stream = streams_.find(item.account);
      if (item.failed || stream == streams_.end() || stream->second.generation != item.generation)
        continue;  // failed, or unsubscribed or re-subscribed meanwhile
      json entry{{"account", item.account}, {"seq", item.seq}};
      if (!item.replay)
        entry["balances"] = item.balances;
      accounts.push_back(std::move(entry));
    }
    auto reply = reply_message("subscribed", request->id);
    reply["accounts"] = std::move(accounts);
    queue_own_locked(encode_message(reply, setup_.upgrade.format));
    // The answer is queued before any update of these accounts can be.
    for (const auto& item : request->items) {
      auto stream = streams_.find(item.account);
      if (item.failed || stream == streams_.end() || stream->second.generation != item.generation)
        continue;
      auto& state = stream->second;
      state.last_seq = item.seq;
      if (!item.replay && !state.held_overflow) {
        release_held_locked(state);
        continue;
      }
      // Replaying, or updates were dropped while the view was read: the journal fills in.
      state.state = account_stream::phase::replaying;
      state.held.clear();
      state.held_overflow = false;
      replays.emplace_back(item.account, item.seq);
      generations.push_back(item.generation);
    }
  }
  for (size_t i = 0; i < replays.size(); ++i)
    request_replay(replays[i].first, generations[i], replays[i].second);
}

template <class Stream>
void ws_session<Stream>::request_replay(const std::string& account, uint64_t generation, uint64_t after_seq) {
  auto gate = setup_.context->gate;
  setup_.context->ledger->get_entries(
    account, after_seq, limits::entries_page_max,
    [gate, weak = this->weak_from_this(), executor = stream_.get_executor(), account, generation](
      outcome<std::vector<journal_entry>> page) {
      gate->run_if_open([&] {
        if (auto self = weak.lock())
          net::post(executor, [self, account, generation, page = std::move(page)]() mutable {
            self->on_replay_page(account, generation, std::move(page));
          });
      });
    });
}

template <class Stream>
void ws_session<Stream>::on_replay_page(const std::string& account, uint64_t generation,
                                outcome<std::vector<journal_entry>> page) {
  if (!page) {
    send_error("", "unavailable", "cannot replay " + account + ": " + page.error().message);
    return drop_stream(account, generation);
  }
  bool more = false;
  uint64_t next_after = 0;
  bool wait_for_writes = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto stream = streams_.find(account);
    if (closing_ || stream == streams_.end() || stream->second.generation != generation)
      return;
    auto& state = stream->second;
    for (const auto& entry : *page) {
      if (entry.seq <= state.last_seq)
        continue;
      auto frame = encode_balance_frame(entry, entry.timestamp_us, setup_.context->ledger->assets(),
                                        setup_.upgrade.format, false);
      if (!frame.empty())
        queue_own_locked(std::move(frame));
      state.last_seq = entry.seq;
    }
    more = page->size() >= limits::entries_page_max;
    if (!more && !state.held_overflow) {
      release_held_locked(state);
      return;
    }
    if (state.held_overflow) {
      // Updates were dropped while this page was read; the next read covers them.
      state.held.clear();
      state.held_overflow = false;
    }
    next_after = state.last_seq;
    // Do not read the journal faster than the client takes it.
    wait_for_writes = pending_.size() > config_.send_queue_frames_max;
    replay_paused_ = replay_paused_ || wait_for_writes;
  }
  if (wait_for_writes)
    replays_waiting_.emplace_back(account, generation);
  else
    request_replay(account, generation, next_after);
}

template <class Stream>
void ws_session<Stream>::resume_replays() {
  if (replays_waiting_.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    replay_paused_ = false;
  }
  std::vector<std::pair<std::string, uint64_t>> waiting;
  waiting.swap(replays_waiting_);
  for (auto& [account, generation] : waiting) {
    uint64_t after = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto stream = streams_.find(account);
      if (closing_ || stream == streams_.end() || stream->second.generation != generation)
        continue;
      after = stream->second.last_seq;
    }
    request_replay(account, generation, after);
  }
}

template <class Stream>
void ws_session<Stream>::unsubscribe(const client_op& op) {
  json accounts = json::array();
  for (const auto& each : op.accounts) {
    bool removed = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      removed = streams_.erase(each.account) > 0;
    }
    if (removed)
      setup_.context->hub->remove(each.account, this);
    accounts.push_back(each.account);
  }
  auto reply = reply_message("unsubscribed", op.id);
  reply["accounts"] = std::move(accounts);
  send(reply);
}

template <class Stream>
void ws_session<Stream>::drop_stream(const std::string& account, uint64_t generation) {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto stream = streams_.find(account);
    if (stream != streams_.end() && stream->second.generation == generation) {
      streams_.erase(stream);
      removed = true;
    }
  }
  if (removed)
    setup_.context->hub->remove(account, this);
}


template class ws_session<net::ip::tcp::socket>;
template class ws_session<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

} // namespace ledgerflow::ws
