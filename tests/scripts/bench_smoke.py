"""`ledgerflow bench ledger` runs briefly and prints, last on stdout, one JSON object with every
figure API.md names. Timing is not asserted (shared machine); shape and sanity are.

Usage: bench_smoke.py LEDGERFLOW_BINARY [--postgresql-test-server STATE_DIR]

With --postgresql-test-server the bench runs on a fresh database of that test server
(scripts/pg-test-server.sh) and must report the naive SQL baseline beside the ledger.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FIELDS = ["transfers_per_s", "p50_ms", "p99_ms", "batch_avg", "fsync_p50_ms", "fsync_p99_ms",
          "raw_sqlite_rows_per_s", "ratio_to_raw"]
POSTGRESQL_FIELDS = ["transfers_per_s", "p50_ms", "p99_ms", "batch_avg", "commit_p50_ms", "commit_p99_ms",
                     "baseline_transfers_per_s", "baseline_p50_ms", "baseline_p99_ms", "ratio_to_baseline"]


def check_postgresql(binary, state_dir):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")
    url = subprocess.run([script, "createdb", state_dir, "bench_smoke"], check=True, capture_output=True,
                         text=True).stdout.strip()
    result = subprocess.run([binary, "bench", "ledger", "--db", url, "--duration", "1", "--warmup", "0.2",
                             "--accounts", "200", "--clients", "8", "--window", "4"],
                            capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise AssertionError(f"bench exited {result.returncode}: {result.stderr}")
    last = result.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    missing = [field for field in POSTGRESQL_FIELDS if field not in figures]
    if figures.get("bench") != "ledger" or figures.get("store") != "postgresql" or missing:
        raise AssertionError(f"not a PostgreSQL ledger bench object (missing {missing}): {last}")
    if figures["transfers_per_s"] <= 0 or figures["baseline_transfers_per_s"] <= 0 or figures["failed"] != 0:
        raise AssertionError(f"no transfers or failures: {last}")
    if figures["baseline_clients"] != figures["clients"] or figures["fsync"] != "on":
        raise AssertionError(f"the baseline must run as many clients, with fsync on: {last}")
    expected_ratio = figures["transfers_per_s"] / figures["baseline_transfers_per_s"]
    if abs(figures["ratio_to_baseline"] - expected_ratio) > 0.01 * expected_ratio + 0.01:
        raise AssertionError(f"the ratio does not follow from the figures: {last}")
    print("ok:", last)
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--postgresql-test-server", metavar="STATE_DIR")
    args = parser.parse_args()
    binary = args.binary
    if args.postgresql_test_server:
        return check_postgresql(binary, args.postgresql_test_server)
    with tempfile.TemporaryDirectory(prefix="ledgerflow-bench-") as work_dir:
        result = subprocess.run([binary, "bench", "ledger", "--duration", "1", "--warmup", "0.2", "--accounts", "200",
                                 "--clients", "16", "--window", "4", "--raw-transfers", "20000",
                                 "--work-dir", work_dir], capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise AssertionError(f"bench exited {result.returncode}: {result.stderr}")
    last = result.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    if figures.get("bench") != "ledger":
        raise AssertionError(f"not a ledger bench object: {last}")
    missing = [field for field in FIELDS if field not in figures]
    if missing:
        raise AssertionError(f"missing fields {missing}: {last}")
    if figures["transfers_per_s"] <= 0 or figures["failed"] != 0:
        raise AssertionError(f"no transfers or failures: {last}")
    if not figures["p50_ms"] <= figures["p99_ms"] or figures["batch_avg"] < 1:
        raise AssertionError(f"figures are inconsistent: {last}")
    runs = figures.get("raw_sqlite_runs_transfers_per_s", [])
    if len(runs) != 3 or figures["raw_sqlite_transfers_per_s"] != max(runs):
        raise AssertionError(f"the raw ceiling must be the best of the 3 default raw runs: {last}")
    by_thread = figures.get("cpu_us_per_transfer_by_thread", {})
    if not figures.get("cpu_cores_busy", 0) > 0 or not figures.get("cpu_us_per_transfer", 0) > 0:
        raise AssertionError(f"no CPU time measured: {last}")
    if "caf.multiplexer" not in by_thread or sum(by_thread.values()) > figures["cpu_us_per_transfer"] * 1.001:
        raise AssertionError(f"CPU by thread is missing the scheduler threads or exceeds the total: {last}")
    print("ok:", last)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
