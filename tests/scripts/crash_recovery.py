"""Crash recovery, end to end: kill -9 the real server in the middle of a transfer load, restart
it, and prove that every acknowledged transfer is on disk and `ledgerflow check` passes.

Usage: crash_recovery.py LEDGERFLOW_BINARY [--rounds N]
"""
import argparse
import random
import shutil
import sys
import tempfile
import threading
import time

from lf_server import Server, request, transfer_body

USERS = [f"user:crash{i}" for i in range(20)]


def load(port, token, acknowledged, stop, worker):
    """Transfers between users until stopped; records every 201 it receives."""
    rng = random.Random(worker)
    n = 0
    while not stop.is_set():
        n += 1
        source, target = rng.sample(USERS, 2)
        key = f"load-{worker}-{n}-{time.time_ns()}"
        body = transfer_body(key, source, target, "0.01")
        try:
            status, reply = request(port, "POST", "/v1/transfers", token, body, timeout=5)
        except OSError:
            continue  # the server died under us: not acknowledged, so not owed
        if status == 201:
            acknowledged.append((body, reply))


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
    for body, first in acknowledged:
        status, again = request(server.port, "POST", "/v1/transfers", token, body)
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
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="ledgerflow-crash-")
    server = Server(args.binary, data_dir)
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
            print(f"round {round_index + 1}: {len(acknowledged)} acknowledged transfers all durable after kill -9")
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
