"""Crash recovery, end to end: kill -9 the real server in the middle of a load of transfers and
of holds posted to another account, restart it, and prove that every acknowledged transfer and
posted hold is on disk and `ledgerflow check` passes.

Usage: crash_recovery.py LEDGERFLOW_BINARY [--rounds N] [--config TOML] [--db URL | --postgresql-test-server STATE_DIR]

With --config the server runs with that config file: busy_index.toml merges the index and
compacts the idempotency keys' runs every few batches, so the crashes land in those too.
With --db the server (and `check`) use that database instead of SQLite in a temp dir; with
--postgresql-test-server, a fresh database on the test server scripts/pg-test-server.sh started.
"""
import os
import subprocess
import argparse
import random
import shutil
import sys
import tempfile
import threading
import time

from lf_server import Server, request, transfer_body

USERS = [f"user:crash{i}" for i in range(20)]


HOLD_WORKERS = 2  # of the 8 load workers, these hold 0.02 and post 0.01 of it to another user


def transfer_once(port, token, key, source, target):
    """One transfer: its (path, body, receipt) when acknowledged, else None."""
    body = transfer_body(key, source, target, "0.01")
    status, reply = request(port, "POST", "/v1/transfers", token, body, timeout=5)
    return ("/v1/transfers", body, reply) if status == 201 else None


def hold_and_post_once(port, token, key, source, target):
    """Holds 0.02 of `source` and posts 0.01 of it to `target`: the post's (path, body,
    receipt) when both were acknowledged, else None."""
    status, held = request(port, "POST", "/v1/holds", token, {
        "idempotency_key": key + "-hold", "account": source, "bucket": "banking/USD", "amount": "0.02"}, timeout=5)
    if status != 201:
        return None
    path = f"/v1/holds/{held['hold_id']}/post"
    body = {"idempotency_key": key + "-post", "account": source,
            "to": {"account": target, "bucket": "banking/USD"}, "amount": "0.01"}
    status, reply = request(port, "POST", path, token, body, timeout=5)
    return (path, body, reply) if status == 201 else None


def load(port, token, acknowledged, stop, worker):
    """Transfers (or posted holds) between users until stopped; records every acknowledged one."""
    rng = random.Random(worker)
    operation = hold_and_post_once if worker % 8 < HOLD_WORKERS else transfer_once
    n = 0
    while not stop.is_set():
        n += 1
        source, target = rng.sample(USERS, 2)
        try:
            done = operation(port, token, f"load-{worker}-{n}-{time.time_ns()}", source, target)
        except OSError:
            continue  # the server died under us: not acknowledged, so not owed
        if done:
            acknowledged.append(done)


def crash_round(server, token, round_index):
    acknowledged, stop = [], threading.Event()
    workers = [threading.Thread(target=load, args=(server.port, token, acknowledged, stop, round_index * 100 + w))
               for w in range(8)]
    for w in workers:
        w.start()
    time.sleep(1.5 + random.random())
    server.kill9()          # mid-load: requests are in flight
    stop.set()
    for w in workers:
        w.join()
    return acknowledged


def verify(server, token, acknowledged):
    for path, body, first in acknowledged:
        status, again = request(server.port, "POST", path, token, body)
        if status != 201 or again["transfer_id"] != first["transfer_id"]:
            raise AssertionError(f"acknowledged transfer {first['transfer_id']} lost or changed: {status} {again}")
        for leg in ("from", "to"):
            account, seq = first[leg]["account"], first[leg]["seq"]
            status, page = request(server.port, "GET", f"/v1/accounts/{account}/entries?after_seq={seq - 1}&limit=1", token)
            if status != 200 or not page["entries"] or page["entries"][0]["cause"]["id"] != first["transfer_id"]:
                raise AssertionError(f"{leg} leg of {first['transfer_id']} missing at {account} seq {seq}: {page}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--config")
    parser.add_argument("--db", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--postgresql-test-server", metavar="STATE_DIR",
                        help="use a fresh database on this test server (scripts/pg-test-server.sh)")
    args = parser.parse_args()
    if args.postgresql_test_server:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")
        args.db = subprocess.run([script, "createdb", args.postgresql_test_server, "crash_recovery"], check=True,
                                 capture_output=True, text=True).stdout.strip()
    data_dir = tempfile.mkdtemp(prefix="ledgerflow-crash-")
    env = {}
    if args.config:
        env["LEDGERFLOW_CONFIG"] = args.config
    if args.db:
        env["LEDGERFLOW_DB"] = args.db
        print(f"database: {args.db}")
    server = Server(args.binary, data_dir, extra_env=env)
    try:
        server.start()
        token = server.token()
        for i, user in enumerate(USERS):
            status, reply = request(server.port, "POST", "/v1/transfers", token,
                                    transfer_body(f"fund-{i}", "system:bank", user, "1000.00"))
            assert status == 201, reply
        total = 0
        for round_index in range(args.rounds):
            acknowledged = crash_round(server, token, round_index)
            assert acknowledged, "the load made no transfer before the crash"
            server.start()
            verify(server, token, acknowledged)
            total += len(acknowledged)
            posts = sum(1 for path, _, _ in acknowledged if path != "/v1/transfers")
            print(f"round {round_index + 1}: {len(acknowledged)} acknowledged transfers ({posts} posted holds)"
                  " all durable after kill -9")
        assert server.stop() == 0, "graceful stop failed"
        report = server.check()
        print(report.stdout)
        assert report.returncode == 0, "ledgerflow check failed:\n" + report.stdout + report.stderr
        print(f"ok: {total} acknowledged transfers survived {args.rounds} kill -9 crashes; check passes")
        return 0
    except Exception as failure:  # print the server log to make a CI failure readable
        print(f"FAILED: {failure}\n--- server log ---\n{server.log()[-4000:]}", file=sys.stderr)
        return 1
    finally:
        if server.process and server.process.poll() is None:
            server.kill9()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
