// libpqxx exceptions turned into the journal's error types at the layer that calls libpqxx:
// a constraint the batch broke (gap, duplicate, repeated key) is journal_conflict, a stale
// fencing epoch is journal_fenced, everything else (a lost connection, a failed commit, an
// unexpected SQL error) is journal_error, which the caller treats as fail-stop.
#pragma once

#include <exception>
#include <string>

#include "persistence/journal.hpp"

namespace ledgerflow {

// The SQLSTATE the fencing check raises (see postgresql_schema.cpp).
inline constexpr const char* postgresql_fenced_sqlstate = "LF409";

// Rethrows the exception in flight as a journal error whose message starts with `doing`.
// Call only inside a catch block.
[[noreturn]] void rethrow_as_journal_error(const std::string& doing);

// Whether the exception in flight means the server is unreachable (worth a reconnect).
bool is_connection_failure(const std::exception_ptr& failure);

} // namespace ledgerflow
