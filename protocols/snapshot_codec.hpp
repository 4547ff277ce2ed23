// Text form of an account snapshot, as the journal stores it: compact JSON with amounts as
// decimal minor-unit strings, so 128-bit balances survive any JSON reader.
#pragma once

#include <string>
#include <string_view>

#include "protocols/account_book.hpp"
#include "protocols/outcome.hpp"

namespace ledgerflow {

// {"account":"...","seq":7,"balances":[{"bucket":"banking/USD","available":"1250","held":"0"}],
//  "holds":[{"hold_id":"h1","bucket":"banking/USD","amount":"500"}]}
// Fails (code internal) only when a string is not valid UTF-8, which JSON cannot carry;
// replacing the bad bytes instead would silently change an id.
outcome<std::string> encode_snapshot(const account_snapshot& snapshot);

// Inverse of encode_snapshot. The text comes from storage, so it is validated rather than
// trusted: a malformed body is an error value (code internal), never an exception.
outcome<account_snapshot> decode_snapshot(std::string_view text);

} // namespace ledgerflow
