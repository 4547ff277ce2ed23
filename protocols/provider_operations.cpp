#include "protocols/provider_operations.hpp"

namespace ledgerflow {

const std::vector<provider_operation_spec>& provider_operations() {
  using k = provider_kind;
  static const std::vector<provider_operation_spec> table = {
    {k::payments, "collect", true, {"account", "amount", "currency"}, {"payment_id", "amount", "currency"}},
    {k::payments, "refund", true, {"payment_id", "amount", "currency"}, {"refund_id"}},
    {k::exchange, "quote", false, {"asset", "currency", "side", "amount"},
     {"quote_id", "price", "asset_amount", "fiat_amount"}},
    {k::exchange, "buy", true, {"asset", "currency", "fiat_amount"}, {"trade_id", "asset_amount", "fiat_amount", "price"}},
    {k::exchange, "sell", true, {"asset", "currency", "asset_amount"},
     {"trade_id", "asset_amount", "fiat_amount", "price"}},
    {k::chain, "withdraw", true, {"asset", "amount", "address"}, {"tx_id"}},
    {k::chain, "confirmations", false, {"tx_id"}, {"tx_id", "confirmations"}},
    {k::defi, "supply", true, {"protocol", "asset", "amount"}, {"position_id", "amount"}},
    {k::defi, "withdraw", true, {"protocol", "asset", "amount"}, {"amount"}},
  };
  return table;
}

const provider_operation_spec* find_operation(provider_kind kind, std::string_view operation) {
  for (const auto& spec : provider_operations())
    if (spec.kind == kind && spec.name == operation)
      return &spec;
  return nullptr;
}

namespace {

std::optional<std::string> first_missing(const std::vector<std::string_view>& names, const provider_fields& fields,
                                         std::string_view what) {
  for (auto name : names)
    if (find_field(fields, name) == nullptr)
      return std::string(what) + " lacks the field \"" + std::string(name) + "\"";
  return std::nullopt;
}

} // namespace

std::optional<std::string> check_call(provider_kind kind, const provider_call& call) {
  const auto* spec = find_operation(kind, call.operation);
  if (spec == nullptr)
    return "a " + std::string(to_string(kind)) + " provider has no operation \"" + call.operation + "\"";
  if (spec->mutating && call.idempotency_key.empty())
    return "\"" + call.operation + "\" changes money and needs an idempotency key";
  return first_missing(spec->call_fields, call.fields, "the call");
}

std::optional<std::string> check_result(const provider_operation_spec& spec, const provider_fields& fields) {
  return first_missing(spec.result_fields, fields, "the result of \"" + std::string(spec.name) + "\"");
}

} // namespace ledgerflow
