// What the saga routes accept, checked before the engine sees it: the start body (type, key,
// params whose values are all strings) and the list's query filter. Pure functions, so the
// rules are tested without a server or an engine.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocols/outcome.hpp"
#include "protocols/saga_record.hpp"
#include "sagas/saga_api.hpp"

namespace ledgerflow {

inline constexpr size_t saga_params_max = 32;
inline constexpr size_t saga_param_name_length_max = 64;
inline constexpr size_t saga_param_value_length_max = 1024;
inline constexpr size_t saga_type_length_max = 64;
inline constexpr size_t saga_list_limit_default = 100;
inline constexpr size_t saga_list_limit_max = 1000;

// {"type","idempotency_key","params":{name: string}} with params.account a valid account id
// (the route's owner check needs it); which types and params exist is the engine's to say.
// bad_request naming the field otherwise.
outcome<saga_start_request> parse_saga_start_body(std::string_view body);

// The account a start request moves money for (params.account; present after parsing).
std::string saga_start_account(const saga_start_request& request);

// ?state=&type=&account=&limit=: state one of the seven, account a valid id, limit in
// 1..saga_list_limit_max (default saga_list_limit_default).
outcome<saga_filter> parse_saga_filter(std::string_view query);

bool is_saga_state(std::string_view state);

} // namespace ledgerflow
