// What both flows need to check and normalize their params, and to build their operations.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "protocols/amount.hpp"
#include "protocols/asset_registry.hpp"
#include "protocols/outcome.hpp"
#include "sagas/saga_definition.hpp"

namespace ledgerflow {

// The value of a param that must be there, or bad_request naming it.
outcome<std::string> required_param(const saga_params& params, std::string_view name);
// bad_request for a param not in `known`, a repeated one, or a value with a control byte.
status check_param_names(const saga_params& params, std::initializer_list<std::string_view> known);
// A user account id (sagas move a user's money; system accounts are their counterparts).
status check_user_account(const std::string& account);
outcome<asset> find_asset(const asset_registry& assets, const std::string& code);
// The fee for `amount` at `bps` basis points, rounded down, without overflow.
minor_units fee_of(minor_units amount, uint32_t bps);
// Adds normalized amount, fee and net (amount - fee) to `normalized`; amount_invalid when
// nothing is left after the fee.
status add_amounts(saga_params& normalized, minor_units amount, uint32_t fee_bps, int decimals);

// An amount the saga stored (normalized, so it parses), in minor units.
minor_units stored_amount(const saga_data& saga, std::string_view param, int decimals);

// "<saga id>:<suffix>": the idempotency key of one of the saga's ledger or provider operations.
std::string operation_key(const saga_data& saga, std::string_view suffix);

ledger_op make_transfer(const saga_data& saga, std::string_view key_suffix, std::string from_account,
                        std::string from_bucket, std::string to_account, std::string to_bucket, minor_units amount);
ledger_op make_hold(const saga_data& saga, std::string_view key_suffix, std::string result_name, std::string bucket,
                    minor_units amount);
ledger_op make_release(const saga_data& saga, std::string_view key_suffix, std::string hold_id);
ledger_op make_post(const saga_data& saga, std::string_view key_suffix, std::string hold_id, std::string to_account,
                    std::string to_bucket, minor_units amount);
// A step with its name and nothing else yet.
step_definition named_step(std::string name);

// The "hold" step both flows start their spending with: net and fee held in one bucket of the
// user's (the fee only when above zero); undone by releasing the holds that were placed.
using bucket_of_saga = std::function<std::string(const saga_data&)>;
using amount_of_saga = std::function<minor_units(const saga_data&, std::string_view param)>;
step_definition hold_funds_step(bucket_of_saga bucket, amount_of_saga amount);

provider_op make_call(provider_kind kind, std::string provider, std::string operation, std::string key,
                      provider_fields fields);

} // namespace ledgerflow
