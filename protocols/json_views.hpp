// JSON renderings of ledger values for clients (REST now, WebSocket frames later), so every
// surface shows the same field names and formats:
// - amounts are decimal strings in major units with the asset's decimals ("12.50");
// - times ("ts") are RFC 3339 / ISO-8601 UTC with microseconds ("2026-11-22T10:15:30.123456Z"),
//   the precision the journal keeps;
// - sequence numbers are JSON integers.
// A bucket whose asset is no longer configured cannot be rendered truthfully: that is an
// error (internal), never a guess at the decimals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocols/account_book.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/journal_entry.hpp"
#include "protocols/outcome.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

// "2026-11-22T10:15:30.123456Z" for unix microseconds.
std::string format_timestamp(int64_t unix_us);

// The asset decimals of a bucket name ("banking/USD" -> 2).
outcome<int> bucket_decimals(std::string_view bucket_name, const asset_registry& assets);

// {"bucket","available","held"}
outcome<nlohmann::json> balance_json(const bucket_balance& balance, const asset_registry& assets);

// {"account","seq","holds":[{"hold_id","bucket","amount"}]}, as of the account's seq.
outcome<nlohmann::json> holds_json(std::string_view account, uint64_t seq, const std::vector<open_hold>& holds,
                                   const asset_registry& assets);

// {"id","seq","balances":[...]}
outcome<nlohmann::json> account_json(std::string_view id, uint64_t seq, const std::vector<bucket_balance>& balances,
                                     const asset_registry& assets);

// {"seq","kind","bucket","amount","available_after","held_after","cause":{"kind","id"},
//  "counterparty":{"account","bucket"}|null,"hold_id":string|null,"ts"}
outcome<nlohmann::json> journal_entry_json(const journal_entry& entry, const asset_registry& assets);

// {"transfer_id","from":{"account","bucket","seq"},"to":{...},"amount","asset","ts"}
outcome<nlohmann::json> transfer_receipt_json(const transfer_receipt& receipt, const asset_registry& assets);

// The receipt of a hold or a release (protocols/hold.hpp) with the state it left the hold in:
// {"hold_id","account","bucket","amount","asset","seq","state":"held"|"released","ts"}
outcome<nlohmann::json> hold_receipt_json(const transfer_receipt& receipt, std::string_view state,
                                          const asset_registry& assets);

// The WebSocket push for one durable change (API.md):
// {"type":"balance","account","bucket","available","held","seq","cause":{"kind","id"},"ts"}
outcome<nlohmann::json> balance_event_json(const journal_entry& entry, const asset_registry& assets);

// {"error":{"code","message"}}
nlohmann::json error_json(const error& failure);

} // namespace ledgerflow
