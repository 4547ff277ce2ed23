#include "persistence/postgresql/postgresql_schema.hpp"

#include <optional>
#include <string>
#include <vector>

#include "persistence/postgresql/postgresql_errors.hpp"

namespace ledgerflow {

namespace {

// Append only: a database at version N has run the first N of these, and never runs them again.
// Text ids compare as bytes (COLLATE "C"), the order std::string and the SQLite store use.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> all{
    // 1: the journal, idempotency records, snapshots, in-flight legs, leases and fencing.
    R"sql(
CREATE TABLE entries (
  account text COLLATE "C" NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
  bucket text NOT NULL,
  amount numeric(39, 0) NOT NULL,
  available_after numeric(39, 0) NOT NULL,
  held_after numeric(39, 0) NOT NULL,
  cause_kind text NOT NULL,
  cause_id text NOT NULL,
  counterparty_account text NOT NULL,
  counterparty_bucket text NOT NULL,
  hold_id text NOT NULL,
  ts_us bigint NOT NULL,
  PRIMARY KEY (account, seq)  -- no duplicate
);

-- No gap: every inserted entry but an account's first follows a stored one (or one of the same
-- statement). Checked once per statement over all its rows (a foreign key would check and lock
-- row by row, at twice the cost of the insert). Sound because entries are never updated or
-- deleted (entries_append_only) and a transaction never sees another's uncommitted rows, so a
-- concurrent writer's entry cannot be taken as the predecessor.
CREATE FUNCTION entries_check_no_gap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing record;
BEGIN
  SELECT n.account, n.seq INTO missing FROM inserted n
   WHERE n.seq > 1
     AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.account = n.account AND e.seq = n.seq - 1)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'gap: entry % seq % does not follow a stored entry', missing.account, missing.seq
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER entries_no_gap AFTER INSERT ON entries
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION entries_check_no_gap();

CREATE FUNCTION entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'entries are append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION entries_refuse_change();

CREATE TABLE idempotency (
  key text COLLATE "C" PRIMARY KEY,
  request_hash text NOT NULL,
  response text NOT NULL,
  created_us bigint NOT NULL
);

CREATE TABLE snapshots (
  account text COLLATE "C" PRIMARY KEY,
  seq bigint NOT NULL,
  body text NOT NULL
);

CREATE TABLE inflight_legs (
  transfer_id text COLLATE "C" PRIMARY KEY,
  from_account text NOT NULL,
  from_bucket text NOT NULL,
  from_seq bigint NOT NULL,
  to_account text NOT NULL,
  to_bucket text NOT NULL,
  asset_code text NOT NULL,
  amount numeric(39, 0) NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  ts_us bigint NOT NULL
);

-- A lease names what a node owns (for the cluster: a share of the accounts). The epoch is the
-- fencing token: it grows at every takeover, and a batch that carries an older one is refused.
-- Times are the database server's clock, so nodes need no synchronised clocks.
CREATE TABLE leases (
  name text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL CHECK (epoch > 0),
  expires_at timestamptz NOT NULL
);

-- The first statement of a fenced batch. FOR SHARE holds the lease row until the batch commits:
-- a takeover (an UPDATE of the row) waits for it, and a batch that starts after a takeover
-- re-reads the row and fails. So no batch with an old epoch commits after a newer one exists.
CREATE FUNCTION ledgerflow_check_fence(lease_name text, lease_epoch bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM leases WHERE name = lease_name AND epoch = lease_epoch FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fenced: lease % is no longer at epoch %', lease_name, lease_epoch USING ERRCODE = 'LF409';
  END IF;
END $$;
)sql",
    // 2: the saga log, one row per saga (its newest record, replaced by a higher version). The
    // indexes serve list_sagas (each filter, newest first) and, partial, unfinished_sagas: its
    // WHERE is saga_log_sql.hpp's saga_unfinished_condition, word for word.
    R"sql(
CREATE TABLE sagas (
  id text COLLATE "C" PRIMARY KEY,
  type text COLLATE "C" NOT NULL,
  state text COLLATE "C" NOT NULL,
  account text COLLATE "C" NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  version bigint NOT NULL CHECK (version >= 0),
  created_us bigint NOT NULL,
  updated_us bigint NOT NULL,
  document text NOT NULL
);
CREATE INDEX sagas_by_created ON sagas (created_us DESC, id);
CREATE INDEX sagas_by_state ON sagas (state, created_us DESC, id);
CREATE INDEX sagas_by_account ON sagas (account, created_us DESC, id);
CREATE INDEX sagas_unfinished ON sagas (id) WHERE state <> 'completed' AND state <> 'compensated' AND state <> 'failed';
)sql",
  };
  return all;
}

int applied_version(pqxx::work& transaction) {
  transaction.exec0("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
  auto rows = transaction.exec("SELECT version FROM schema_version");
  if (rows.empty()) {
    transaction.exec0("INSERT INTO schema_version (version) VALUES (0)");
    return 0;
  }
  if (rows.size() != 1)
    throw journal_error("postgresql: schema_version has " + std::to_string(rows.size()) + " rows, not one");
  return rows[0][0].as<int>();
}

} // namespace

int postgresql_schema_version() {
  return static_cast<int>(migrations().size());
}

// The version recorded, read without a lock or a write; nullopt when there is no schema yet.
std::optional<int> recorded_version(pqxx::connection& connection) {
  pqxx::nontransaction read(connection);
  if (read.exec1("SELECT to_regclass('schema_version') IS NULL")[0].as<bool>())
    return std::nullopt;
  auto rows = read.exec("SELECT version FROM schema_version");
  if (rows.size() != 1)
    return std::nullopt;  // let the migration below say what is wrong
  return rows[0][0].as<int>();
}

void migrate_postgresql_schema(pqxx::connection& connection) {
  try {
    // Up to date, the common case: nothing is locked or written, so a read-only user (`check`
    // on a hot standby, a read-only role) can open the journal.
    if (auto version = recorded_version(connection); version && *version == postgresql_schema_version())
      return;
    pqxx::work transaction(connection);
    // One migrator per schema at a time; the lock ends with the transaction.
    transaction.exec1("SELECT pg_advisory_xact_lock(hashtext('ledgerflow.migrate.' || current_schema()))");
    auto version = applied_version(transaction);
    if (version > postgresql_schema_version())
      throw journal_error("postgresql: the schema is at version " + std::to_string(version)
                          + ", newer than this binary's " + std::to_string(postgresql_schema_version()));
    if (version == postgresql_schema_version())
      return;  // nothing written: the transaction rolls back
    for (auto next = static_cast<size_t>(version); next < migrations().size(); ++next)
      transaction.exec0(migrations()[next]);
    transaction.exec0("UPDATE schema_version SET version = " + std::to_string(postgresql_schema_version()));
    transaction.commit();
  } catch (...) {
    rethrow_as_journal_error("postgresql: cannot migrate the schema");
  }
}

} // namespace ledgerflow
