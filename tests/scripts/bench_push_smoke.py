"""`ledgerflow bench push` with tiny numbers (50 WebSocket clients, 2 s windows) prints, last on
stdout, one JSON object with every figure API.md names, and its clients really received balance
events. Timing is not asserted (shared machine); shape and sanity are.

Usage: bench_push_smoke.py LEDGERFLOW_BINARY [--expect-node]
  --expect-node: node and tests/node/node_modules are set up, so the Node baseline must run too.
"""
import json
import subprocess
import sys

FIELDS = ["connections", "delivered_per_s", "p50_ms", "p99_ms", "p999_ms", "rss_per_idle_conn_kib",
          "node_ws_delivered_per_s", "ratio_to_node", "accounts", "subscribers_per_account", "transfers_per_s",
          "messages_lost", "full_load", "half_load"]


def main():
    binary = sys.argv[1]
    expect_node = "--expect-node" in sys.argv[2:]
    result = subprocess.run([binary, "bench", "push", "--connections", "50", "--accounts", "10",
                             "--subscriptions-per-connection", "2", "--rate", "50", "--duration", "2",
                             "--warmup", "0.5", "--idle-settle", "0.5", "--http-connections", "4"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"bench exited {result.returncode}: {result.stderr[-3000:]}")
    last = result.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    if figures.get("bench") != "push":
        raise AssertionError(f"not a push bench object: {last}")
    missing = [field for field in FIELDS if field not in figures]
    if missing:
        raise AssertionError(f"missing fields {missing}: {last}")
    if figures["connections"] != 50 or figures["subscribers_per_account"] != 10:
        raise AssertionError(f"the workload is not the one asked for: {last}")
    if not figures["delivered_per_s"] > 0 or not figures["transfers_per_s"] > 0:
        raise AssertionError(f"nothing delivered: {last}")
    for phase in ("full_load", "half_load"):
        window = figures[phase]
        if window["transfers_failed"] != 0 or window["error_frames"] != 0 or window["connections_closed"] != 0:
            raise AssertionError(f"{phase}: failures: {last}")
        if window["seq_repeated"] != 0:
            raise AssertionError(f"{phase}: a client saw a seq twice or out of order: {last}")
        if not window["latency_samples"] > 0 or not window["p50_ms"] <= window["p99_ms"] <= window["p999_ms"]:
            raise AssertionError(f"{phase}: latencies are missing or inconsistent: {last}")
    if not figures["p50_ms"] <= figures["p99_ms"] <= figures["p999_ms"]:
        raise AssertionError(f"latencies are inconsistent: {last}")
    if expect_node:
        if not (figures["node_ws_delivered_per_s"] or 0) > 0 or figures["ratio_to_node"] is None:
            raise AssertionError(f"the Node baseline did not run: {last}")
    elif figures["node_ws_delivered_per_s"] is None and not figures.get("node_ws_unavailable_reason"):
        raise AssertionError(f"no Node figures and no reason why: {last}")
    print("ok:", last)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
