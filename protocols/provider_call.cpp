#include "protocols/provider_call.hpp"

namespace ledgerflow {

std::string_view to_string(provider_kind kind) {
  switch (kind) {
    case provider_kind::payments: return "payments";
    case provider_kind::exchange: return "exchange";
    case provider_kind::chain: return "chain";
    case provider_kind::defi: return "defi";
  }
  return "unknown";
}

std::optional<provider_kind> provider_kind_from_string(std::string_view name) {
  for (auto kind : {provider_kind::payments, provider_kind::exchange, provider_kind::chain, provider_kind::defi})
    if (to_string(kind) == name)
      return kind;
  return std::nullopt;
}

const std::string* find_field(const provider_fields& fields, std::string_view name) {
  for (const auto& [field_name, value] : fields)
    if (field_name == name)
      return &value;
  return nullptr;
}

std::string_view to_string(failure_kind kind) {
  switch (kind) {
    case failure_kind::transient: return "transient";
    case failure_kind::timeout: return "timeout";
    case failure_kind::rejected: return "rejected";
    case failure_kind::unavailable: return "unavailable";
  }
  return "unknown";
}

bool is_retryable(failure_kind kind) {
  return kind == failure_kind::transient || kind == failure_kind::timeout;
}

call_outcome call_outcome::success(provider_fields fields) {
  call_outcome result;
  result.fields_ = std::move(fields);
  return result;
}

call_outcome call_outcome::failure(failure_kind kind, std::string code, std::string message) {
  call_outcome result;
  result.failure_ = provider_failure{kind, std::move(code), std::move(message)};
  return result;
}

} // namespace ledgerflow
