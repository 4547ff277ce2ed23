"""`ledgerflow bench ledger` runs briefly and prints, last on stdout, one JSON object with every
figure API.md names. Timing is not asserted (shared machine); shape and sanity are.

Usage: bench_smoke.py LEDGERFLOW_BINARY
"""
import json
import subprocess
import sys
import tempfile

FIELDS = ["transfers_per_s", "p50_ms", "p99_ms", "batch_avg", "fsync_p50_ms", "fsync_p99_ms",
          "raw_sqlite_rows_per_s", "ratio_to_raw"]


def main():
    binary = sys.argv[1]
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
