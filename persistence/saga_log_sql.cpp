#include "persistence/saga_log_sql.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "persistence/journal.hpp"

namespace ledgerflow {

size_t saga_filter_shape(const saga_filter& filter) {
  return (filter.state.empty() ? 0 : 1) | (filter.type.empty() ? 0 : 2) | (filter.account.empty() ? 0 : 4);
}

std::string saga_list_sql(size_t shape, char marker, const char* table_suffix) {
  std::string sql = std::string("SELECT ") + saga_columns + " FROM sagas" + table_suffix;
  int parameter = 0;
  auto add_condition = [&](const char* column) {
    sql += parameter == 0 ? " WHERE " : " AND ";
    sql += column;
    sql += " = ";
    sql += marker;
    sql += std::to_string(++parameter);
  };
  if (shape & 1)
    add_condition("state");
  if (shape & 2)
    add_condition("type");
  if (shape & 4)
    add_condition("account");
  sql += " ORDER BY created_us DESC, id LIMIT ";
  sql += marker;
  sql += std::to_string(++parameter);
  return sql;
}

void newest_saga_records(const std::vector<saga_record>& records, std::vector<const saga_record*>& newest) {
  constexpr auto version_stored_max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  newest.clear();
  for (const auto& record : records) {
    if (record.id.empty())
      throw journal_error("append: a saga record has no id");
    if (record.version > version_stored_max)
      throw journal_error("append: saga " + record.id + " has an out-of-range version");
    newest.push_back(&record);
  }
  // By id, and within an id from the highest version down, equal ones in arrival order
  // (stable): the first of each run is kept, as a later record of an equal version changes
  // nothing in the store either.
  std::stable_sort(newest.begin(), newest.end(), [](const saga_record* a, const saga_record* b) {
    return a->id != b->id ? a->id < b->id : a->version > b->version;
  });
  newest.erase(std::unique(newest.begin(), newest.end(),
                           [](const saga_record* a, const saga_record* b) { return a->id == b->id; }),
               newest.end());
}

} // namespace ledgerflow
