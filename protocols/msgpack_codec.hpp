// msgpack encodings of the protocol value types, for WebSocket binary frames
// (`ledgerflow.v1.msgpack`) and for messages between cluster nodes.
// - Every value is a map with string keys named after the struct's fields, so the format
//   describes itself: readers ignore keys they do not know, and optional keys may be missing.
// - Amounts are decimal strings of minor units ("-1250"): 128 bits survive, floats never appear.
// - Decoders take untrusted bytes: anything malformed, oversized, nested too deeply, of the
//   wrong type, or followed by trailing bytes is an error value (bad_request; payload_too_large
//   for a message over limits::msgpack_message_bytes_max), never an exception.
// msgpack-c stays inside the .cpp so that including this header costs little to compile.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocols/account_book.hpp"
#include "protocols/journal_entry.hpp"
#include "protocols/outcome.hpp"
#include "protocols/transfer.hpp"

namespace ledgerflow {

// Keys: account, seq, kind ("credit", ...), bucket, amount, available_after, held_after,
// cause_kind, cause_id, counterparty_account, counterparty_bucket, hold_id, timestamp_us.
// The counterparty and hold_id keys are optional (missing or nil reads as empty).
std::string encode(const journal_entry& entry);
outcome<journal_entry> decode_journal_entry(std::string_view bytes);

// Keys: the field names of inflight_leg, all required.
std::string encode(const inflight_leg& leg);
outcome<inflight_leg> decode_inflight_leg(std::string_view bytes);

// Keys: bucket, available, held.
std::string encode(const bucket_balance& balance);
outcome<bucket_balance> decode_bucket_balance(std::string_view bytes);

// Keys: hold_id, bucket, amount.
std::string encode(const open_hold& hold);
outcome<open_hold> decode_open_hold(std::string_view bytes);

// Keys: account, seq, balances (maps as above, sorted by bucket, no repeats), holds (sorted
// by hold_id, no repeats); at most limits::buckets_per_account_max balances and
// limits::open_holds_per_account_max holds.
std::string encode(const account_snapshot& snapshot);
outcome<account_snapshot> decode_account_snapshot(std::string_view bytes);

// Keys: the field names of transfer_request, all required. Only the shape is checked here;
// validate_transfer still decides whether the transfer makes sense.
std::string encode(const transfer_request& request);
outcome<transfer_request> decode_transfer_request(std::string_view bytes);

// Keys: the field names of transfer_receipt, all required.
std::string encode(const transfer_receipt& receipt);
outcome<transfer_receipt> decode_transfer_receipt(std::string_view bytes);

// The same objects as the JSON text frames (json_views.hpp), as msgpack: objects become maps
// with string keys, amounts stay whatever strings the JSON holds. Binary JSON values become
// msgpack bin, which msgpack_to_json refuses (a text frame cannot carry it).
std::string json_to_msgpack(const nlohmann::json& value);
// Refuses what JSON cannot hold: non-string or repeated map keys, strings that are not UTF-8,
// bin and ext values, NaN and infinities.
outcome<nlohmann::json> msgpack_to_json(std::string_view bytes);

} // namespace ledgerflow
