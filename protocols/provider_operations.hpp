// The operations each kind of provider offers: their names, which change anything (and so
// need an idempotency key), and the fields a call and its result carry. The sandbox, the HTTP
// adapter, the fake provider server and the sagas all follow this one table.
//
//   payments  collect   account amount currency          -> payment_id amount currency
//             refund    payment_id amount currency       -> refund_id
//   exchange  quote     asset currency side amount       -> quote_id price asset_amount fiat_amount
//             buy       asset currency fiat_amount       -> trade_id asset_amount fiat_amount price
//             sell      asset currency asset_amount      -> trade_id asset_amount fiat_amount price
//   chain     withdraw  asset amount address             -> tx_id
//             confirmations  tx_id                       -> tx_id confirmations
//   defi      supply    protocol asset amount            -> position_id amount
//             withdraw  protocol asset amount            -> amount
//
// Amounts are decimal strings in major units; prices are fiat per one unit of the asset.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/provider_call.hpp"

namespace ledgerflow {

struct provider_operation_spec {
  provider_kind kind;
  std::string_view name;
  bool mutating;
  std::vector<std::string_view> call_fields;
  std::vector<std::string_view> result_fields;
};

// The spec of `operation` for `kind`, or nullptr when the kind has no such operation.
const provider_operation_spec* find_operation(provider_kind kind, std::string_view operation);
// Every operation of every kind, in the table's order.
const std::vector<provider_operation_spec>& provider_operations();

// Why `call` is not a well-formed call to a provider of `kind` (unknown operation, missing
// field, missing idempotency key on a mutating call), or nothing when it is.
std::optional<std::string> check_call(provider_kind kind, const provider_call& call);
// Why `fields` is not a complete result of `operation`, or nothing when it is.
std::optional<std::string> check_result(const provider_operation_spec& spec, const provider_fields& fields);

} // namespace ledgerflow
