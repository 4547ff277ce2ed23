// What the two stores' saga logs share: the `sagas` table's column list, the SQL of a
// list_sagas filter, the condition for a saga that still runs, and the batch's dedupe (one
// record per saga, the highest version) that both need before their upserts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "protocols/saga_record.hpp"

namespace ledgerflow {

// The columns of `sagas`, in saga_record's order (the stores' decoders read them so).
inline constexpr const char* saga_columns =
  "id, type, state, account, idempotency_key, request_hash, version, created_us, updated_us, document";
inline constexpr size_t saga_column_count = 10;

// The SQL twin of !is_terminal_saga_state. Both stores' partial index sagas_unfinished is
// declared WHERE exactly this, so unfinished_sagas reads only the sagas that still run. Not
// "NOT IN (...)": SQLite evaluates a list of three through a temporary B-tree, built and freed
// for every row an upsert writes (measured: 0.5 ms a row with the writer's big page cache).
inline constexpr const char* saga_unfinished_condition =
  "state <> 'completed' AND state <> 'compensated' AND state <> 'failed'";

// Which of a filter's fields are set, as a number below saga_filter_shapes (state 1, type 2,
// account 4). Each shape has a statement of its own, so each can use an index: one statement
// with "(? = '' OR state = ?)" would be planned for none.
inline constexpr size_t saga_filter_shapes = 8;
size_t saga_filter_shape(const saga_filter& filter);

// "SELECT <saga_columns> FROM sagas [WHERE ...] ORDER BY created_us DESC, id LIMIT <p>". The
// parameters are numbered from 1 in the order state, type, account (those the shape has), the
// limit last; `marker` is the store's ('?' for SQLite, '$' for PostgreSQL). `table_suffix`
// follows "FROM sagas" (an SQLite INDEXED BY clause).
std::string saga_list_sql(size_t shape, char marker, const char* table_suffix = "");

// The batch's records, one per saga id (the highest version; the first of equal ones),
// sorted by id, as pointers into `records`. `newest` is scratch, reused between batches.
// Throws journal_error for a record without an id or with a version beyond int64 (what the
// stores' columns hold), before anything is written.
void newest_saga_records(const std::vector<saga_record>& records, std::vector<const saga_record*>& newest);

} // namespace ledgerflow
