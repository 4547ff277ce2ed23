// An in-memory journal that stores whatever it is given, unchecked: the way to build broken
// ledgers on purpose, to see that `check` notices. Not for anything that needs durability.
#pragma once

#include <algorithm>
#include <map>

#include "persistence/journal.hpp"

namespace ledgerflow::testing {

class memory_journal : public journal {
public:
  void append(const append_batch& batch) override {
    for (const auto& entry : batch.entries)
      entries_[entry.account].push_back(entry);
    for (const auto& record : batch.idempotency_records)
      records_[record.key] = record;
    for (const auto& snapshot : batch.snapshots)
      snapshots_[snapshot.account] = snapshot;
    for (const auto& leg : batch.opened_legs)
      legs_[leg.transfer_id] = leg;
    for (const auto& id : batch.closed_transfer_ids)
      legs_.erase(id);
    for (const auto& record : batch.saga_records) {
      auto [stored, added] = sagas_.try_emplace(record.id, record);
      if (!added && record.version > stored->second.version)
        stored->second = record;
    }
  }
  std::vector<journal_entry> read_entries(const std::string& account, uint64_t after_seq, size_t limit) override {
    std::vector<journal_entry> out;
    for (const auto& entry : entries_[account])
      if (entry.seq > after_seq && out.size() < limit)
        out.push_back(entry);
    return out;
  }
  uint64_t last_seq(const std::string& account) override {
    auto& list = entries_[account];
    return list.empty() ? 0 : list.back().seq;
  }
  std::optional<account_snapshot> latest_snapshot(const std::string& account) override {
    auto found = snapshots_.find(account);
    if (found == snapshots_.end())
      return std::nullopt;
    return found->second;
  }
  std::optional<idempotency_record> find_idempotency(const std::string& key) override {
    auto found = records_.find(key);
    if (found == records_.end())
      return std::nullopt;
    return found->second;
  }
  std::vector<inflight_leg> inflight_legs() override {
    std::vector<inflight_leg> out;
    for (const auto& [id, leg] : legs_)
      out.push_back(leg);
    return out;
  }
  std::optional<saga_record> find_saga(const std::string& id) override {
    auto found = sagas_.find(id);
    if (found == sagas_.end())
      return std::nullopt;
    return found->second;
  }
  std::vector<saga_record> list_sagas(const saga_filter& filter) override {
    std::vector<saga_record> out;
    for (const auto& [id, record] : sagas_)
      if ((filter.state.empty() || record.state == filter.state) && (filter.type.empty() || record.type == filter.type)
          && (filter.account.empty() || record.account == filter.account))
        out.push_back(record);
    std::sort(out.begin(), out.end(), [](const saga_record& a, const saga_record& b) {
      return a.created_us != b.created_us ? a.created_us > b.created_us : a.id < b.id;
    });
    if (out.size() > filter.limit)
      out.resize(filter.limit);
    return out;
  }
  std::vector<saga_record> unfinished_sagas() override {
    std::vector<saga_record> out;
    for (const auto& [id, record] : sagas_)
      if (!is_terminal_saga_state(record.state))
        out.push_back(record);
    return out;
  }
  std::vector<saga_count> saga_counts() override {
    std::map<std::pair<std::string, std::string>, uint64_t> counted;
    for (const auto& [id, record] : sagas_)
      ++counted[{record.type, record.state}];
    std::vector<saga_count> out;
    for (const auto& [key, count] : counted)
      out.push_back({key.first, key.second, count});
    return out;
  }
  std::vector<std::string> accounts() override {
    std::vector<std::string> out;
    for (const auto& [account, list] : entries_)
      if (!list.empty())
        out.push_back(account);
    return out;
  }
  void scan_entries(const std::function<bool(const journal_entry&)>& visit) override {
    for (const auto& [account, list] : entries_)
      for (const auto& entry : list)
        if (!visit(entry))
          return;
  }
  bool healthy() override { return true; }

private:
  std::map<std::string, std::vector<journal_entry>> entries_;
  std::map<std::string, idempotency_record> records_;
  std::map<std::string, account_snapshot> snapshots_;
  std::map<std::string, inflight_leg> legs_;
  std::map<std::string, saga_record> sagas_;
};

} // namespace ledgerflow::testing
