"""`ledgerflow bench providers` with tiny numbers, three times (worker actors, --inline, and
--operation quote): every stdout line is a JSON object, calls went through and none failed,
the breaker decision was timed and allocated nothing (bytes_allocated 0, or null when jemalloc
is absent). Timing is not asserted (shared machine); shape and sanity are.

Usage: bench_providers_smoke.py LEDGERFLOW_BINARY
"""
import json
import subprocess
import sys

BASE = ["bench", "providers", "--duration", "0.5", "--warmup", "0.1", "--decisions", "100000"]
RUNS = [("workers", []), ("inline", ["--inline"]), ("quote", ["--operation", "quote"])]


def objects_of(stdout, label):
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"{label}: nothing on stdout")
    objects = []
    for line in lines:
        try:
            objects.append(json.loads(line))
        except json.JSONDecodeError as failure:
            raise AssertionError(f"{label}: a stdout line is not JSON ({failure}): {line!r}")
    by_bench = {obj.get("bench"): obj for obj in objects if isinstance(obj, dict)}
    if len(by_bench) != len(objects):
        raise AssertionError(f"{label}: every line must be an object with a distinct 'bench': {lines}")
    for part in ("breaker_decision", "provider_calls", "providers"):
        if part not in by_bench:
            raise AssertionError(f"{label}: no '{part}' object: {lines}")
    return by_bench


def check_run(binary, label, flags):
    result = subprocess.run([binary] + BASE + flags, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"{label}: bench exited {result.returncode}: {result.stderr[-3000:]}")
    parts = objects_of(result.stdout, label)
    breaker, calls, summary = parts["breaker_decision"], parts["provider_calls"], parts["providers"]
    if breaker["decisions"] != 100000:
        raise AssertionError(f"{label}: --decisions not honoured: {breaker}")
    for field in ("ns_per_decision", "ns_per_decision_and_record"):
        if not breaker[field] > 0:
            raise AssertionError(f"{label}: {field} is not positive: {breaker}")
    if breaker["bytes_allocated"] not in (0, None):
        raise AssertionError(f"{label}: the breaker decision allocated: {breaker}")
    if not calls["calls"] > 0 or not calls["calls_per_s"] > 0:
        raise AssertionError(f"{label}: no calls went through: {calls}")
    if calls["failed"] != 0 or summary["failed"] != 0:
        raise AssertionError(f"{label}: calls failed: {calls}")
    if calls["breaker_state"] != "closed":
        raise AssertionError(f"{label}: the breaker left closed: {calls}")
    expected_execution = "inline" if "--inline" in flags else "workers"
    expected_operation = "quote" if "quote" in flags else "collect"
    if calls["execution"] != expected_execution or calls["operation"] != expected_operation:
        raise AssertionError(f"{label}: not the workload asked for: {calls}")
    if expected_operation == "collect" and not calls["sandbox_side_effects"] > 0:
        raise AssertionError(f"{label}: the sandbox did no work: {calls}")
    if not 0 < calls["p50_us"] <= calls["p99_us"]:
        raise AssertionError(f"{label}: latencies missing or inconsistent: {calls}")
    if summary["calls_per_s"] != calls["calls_per_s"] or summary["breaker_bytes_allocated"] != breaker["bytes_allocated"]:
        raise AssertionError(f"{label}: the summary disagrees with its parts: {summary}")
    print(f"ok {label}: {calls['calls']} calls, {breaker['ns_per_decision']:.1f} ns/decision, "
          f"bytes_allocated={breaker['bytes_allocated']}")


def main():
    binary = sys.argv[1]
    for label, flags in RUNS:
        check_run(binary, label, flags)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
