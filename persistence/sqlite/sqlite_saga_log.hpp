// The SQLite journal's saga log: the `sagas` table (one row per saga, its newest record;
// schema step 4), written in the append's transaction and read on the readers' connections.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/journal.hpp"
#include "persistence/saga_log_sql.hpp"
#include "persistence/sqlite/sqlite_handle.hpp"

namespace ledgerflow {

// On the writer's connection, inside its transaction. check() comes with the batch's other
// checks (it throws before anything is written), write() after them.
class sqlite_saga_writer {
public:
  explicit sqlite_saga_writer(sqlite3* connection);

  // Keeps one record per saga (the highest version) for write(); throws journal_error for a
  // record the table cannot hold.
  void check(const std::vector<saga_record>& records);
  // One upsert per kept record; a stored row with a version as high or higher stays.
  void write();

private:
  sqlite_statement upsert_;
  std::vector<const saga_record*> newest_;  // scratch, reused between batches
};

// On a reader's connection; each query is its own read transaction.
class sqlite_saga_reader {
public:
  explicit sqlite_saga_reader(sqlite3* connection);

  std::optional<saga_record> find(const std::string& id);
  std::vector<saga_record> list(const saga_filter& filter);
  std::vector<saga_record> unfinished();
  std::vector<saga_count> counts();
  void ids(const std::function<void(const std::string&)>& visit);

private:
  sqlite_statement& list_statement(size_t shape);

  sqlite3* connection_;
  sqlite_statement find_;
  sqlite_statement unfinished_;
  sqlite_statement counts_;
  sqlite_statement ids_;
  // Prepared at a shape's first use: most readers only ever see one or two shapes.
  std::array<std::unique_ptr<sqlite_statement>, saga_filter_shapes> list_;
};

} // namespace ledgerflow
