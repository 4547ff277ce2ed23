#include "persistence/postgresql/postgresql_errors.hpp"

#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

namespace {

// Class 23 (integrity constraint violation): unique (23505), foreign key (23503, which the
// entries' gap trigger raises too), check (23514), not null (23502).
bool is_constraint_violation(const std::string& sqlstate) {
  return sqlstate.size() == 5 && sqlstate.compare(0, 2, "23") == 0;
}

} // namespace

void rethrow_as_journal_error(const std::string& doing) {
  try {
    throw;
  } catch (const journal_error&) {
    throw;
  } catch (const pqxx::in_doubt_error& failure) {
    throw journal_error(doing + ": the connection broke during COMMIT, so whether it committed is unknown: "
                        + failure.what());
  } catch (const pqxx::broken_connection& failure) {
    throw journal_error(doing + ": lost the connection to PostgreSQL: " + failure.what());
  } catch (const pqxx::sql_error& failure) {
    auto state = failure.sqlstate();
    if (state == postgresql_fenced_sqlstate)
      throw journal_fenced(doing + ": " + failure.what());
    if (is_constraint_violation(state))
      throw journal_conflict(doing + ": " + failure.what());
    throw journal_error(doing + ": PostgreSQL error " + state + ": " + failure.what());
  } catch (const std::exception& failure) {
    throw journal_error(doing + ": " + failure.what());
  }
}

bool is_connection_failure(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const pqxx::in_doubt_error&) {
    return false;  // not a read's concern, and never to be retried blindly
  } catch (const pqxx::broken_connection&) {
    return true;
  } catch (const pqxx::sql_error& error) {
    // Class 08 (connection exception) and 57P01-57P03 (admin shutdown, crash shutdown, cannot
    // connect now): the server went away or is restarting.
    auto state = error.sqlstate();
    return state.compare(0, 2, "08") == 0 || state == "57P01" || state == "57P02" || state == "57P03";
  } catch (...) {
    return false;
  }
}

} // namespace ledgerflow
