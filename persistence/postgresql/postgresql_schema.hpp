// The PostgreSQL journal's schema and its migrations. The tables live in the connection's
// current schema (the first of its search_path), so one database can hold several journals,
// each in its own schema (the tests give every case a fresh one).
//
// schema_version holds the number of migrations applied. Opening a journal applies the missing
// ones in one transaction, under an advisory lock, so nodes that start together migrate once.
#pragma once

#include "persistence/postgresql/postgresql_pqxx.hpp"

namespace ledgerflow {

// The version this binary writes: the number of migrations it knows.
int postgresql_schema_version();

// Brings the schema up to date; an up-to-date schema is only read. Throws journal_error when it cannot, or when the database is at
// a newer version than this binary knows (an older binary must not write to it).
void migrate_postgresql_schema(pqxx::connection& connection);

} // namespace ledgerflow
