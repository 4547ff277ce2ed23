"""The sagas' reliability run (issue 5): the real `ledgerflow serve` with HTTP providers of
all four kinds on scripts/fake_provider.py processes that keep injecting 500s, resets, hangs
and slow answers past the provider timeout, and "fail after doing the work"; a mixed load of
deposit_to_invest and invest_to_defi sagas started by a few threads; the server killed with
SIGKILL several times during it and restarted on the same data dir. Clients repeat a start
under the same idempotency key until it is acknowledged (202). Then, once every saga is
terminal:
  - every acknowledged saga exists and is completed or compensated (none failed);
  - `ledgerflow check` passes;
  - at the fakes, no idempotency key did its work twice, no key was reused for another
    request, and each saga's side effects match its end: a completed deposit collected and
    bought once, a compensated one refunded what it collected and sold what it bought (and
    likewise withdraw/withdraw_back, supply/supply_back for invest_to_defi);
  - every user's balances are what the sagas say: deposits' investing/BTC is the sum of their
    completed buys, defi positions the sum of their completed supplies, nothing held;
  - both ends happened (completed and compensated sagas), and a restart resumed unfinished
    sagas (a saga kept paused through every restart guarantees there is one).

Usage: sagas_reliability_e2e.py LEDGERFLOW_BINARY [--postgresql-test-server STATE_DIR]

With --postgresql-test-server the server (and `check`) use a fresh database on the test server
scripts/pg-test-server.sh started, instead of SQLite in the temp dir.
"""
import argparse
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal

import providers_e2e
from lf_server import Server, request, transfer_body

Failure = providers_e2e.Failure
expect = providers_e2e.expect

SEED = 5
DEPOSIT_USERS, DEPOSITS_PER_USER = 30, 5
DEFI_USERS, DEFI_PER_USER = 20, 5
DEFI_FUNDING, DEFI_AMOUNT = "0.01000000", "0.00150000"
CLIENT_THREADS = 4
KILLS = 3
ABORT_SHARE = 0.08
START_WAIT_S = 30    # bound on getting one start acknowledged across restarts
TERMINAL_WAIT_S = 40  # bound on every saga ending once the load is in
TERMINAL = ("completed", "compensated", "failed")
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, TimeoutError, OSError)
# What the chaos thread tells each fake, in turn, with ok spells between: each mode lasts for
# `count` calls of the fake. Hangs and slow answers outlast timeout_ms below.
CHAOS = [{"mode": "fail", "status": 500, "count": 3},
         {"mode": "hang", "count": 2},
         {"mode": "fail_after_effect", "status": 502, "count": 3},
         {"mode": "reset", "count": 2},
         {"mode": "slow", "delay_ms": 700, "count": 2},
         {"mode": "fail", "status": 503, "count": 2}]


def config_toml(fakes):
    providers = ""
    for kind, fake in fakes.items():
        providers += f"""
[[providers]]
name = "fake-{kind}"
kind = "{kind}"
type = "http"
base_url = "{fake.url}"
timeout_ms = 300
workers = 16
queue_max = 512
[providers.retry]
attempts_max = 2
backoff_initial_ms = 10
backoff_max_ms = 50
[providers.breaker]
consecutive_failures_max = 1000
failure_rate_percent = 100
minimum_calls = 1000
window_size = 1000
slow_call_rate_percent = 100
"""
    # Short retries; a deadline long enough that injected faults never exhaust it.
    return f"""
[sagas]
confirmations = 2
step_timeout_ms = 20000
confirmation_timeout_ms = 20000
compensation_timeout_ms = 60000
retry_backoff_ms = 20
retry_backoff_max_ms = 200
waiting_poll_ms = 50
confirmation_poll_ms = 50
{providers}"""


def call(server, method, path, token, body=None, wait_s=START_WAIT_S):
    """A request that outlives server restarts: repeated (same body, same keys) while the
    connection fails or the server answers 5xx, until another answer or `wait_s`."""
    deadline = time.time() + wait_s
    while True:
        try:
            status, answer = request(server.port, method, path, token, body, timeout=10)
            if status < 500:
                return status, answer
        except CONNECTION_ERRORS as failure:
            status, answer = None, repr(failure)
        expect(time.time() < deadline, f"{method} {path} got no answer within {wait_s} s: {status} {answer}")
        time.sleep(0.05)


def plan_load(rng):
    """Every saga to start: (idempotency key, body, seconds after its acknowledgement to
    abort it, or None). The delays spread aborts over the steps, so that deeper
    compensations (sell, withdraw back, supply back) run too."""
    load = []
    for user in range(DEPOSIT_USERS):
        for index in range(DEPOSITS_PER_USER):
            # One in five pays in EUR, which the fake exchange has no price for: it refuses the
            # quote and the saga compensates (the collected payment refunded).
            amount = f"{rng.randint(10, 500)}.{rng.randint(0, 99):02d}"
            currency = "EUR" if index == 4 else "USD"
            params = {"account": f"user:dep{user}", "amount": amount, "currency": currency, "asset": "BTC"}
            load.append((f"rel-dep-{user}-{index}", {"type": "deposit_to_invest", "params": params}))
    for user in range(DEFI_USERS):
        for index in range(DEFI_PER_USER):
            params = {"account": f"user:defi{user}", "asset": "BTC", "amount": DEFI_AMOUNT,
                      "protocol": "aave" if index % 2 else "compound"}
            load.append((f"rel-defi-{user}-{index}", {"type": "invest_to_defi", "params": params}))
    rng.shuffle(load)
    return [(key, dict(body, idempotency_key=key), rng.uniform(0, 0.3) if rng.random() < ABORT_SHARE else None)
            for key, body in load]


class Load:
    """Client threads that start the planned sagas, each repeated until acknowledged."""

    def __init__(self, server, token, plan):
        self.server, self.token, self.plan = server, token, plan
        self.lock = threading.Lock()
        self.next = 0
        self.acknowledged = {}  # idempotency key -> saga id
        self.aborted = set()
        self.errors = []

    def worker(self):
        try:
            while True:
                with self.lock:
                    if self.next >= len(self.plan):
                        return
                    key, body, abort = self.plan[self.next]
                    self.next += 1
                status, answer = call(self.server, "POST", "/v1/sagas", self.token, body)
                expect(status == 202, f"start {key}: {status} {answer}")
                with self.lock:
                    self.acknowledged[key] = answer["id"]
                if abort is not None:
                    time.sleep(abort)
                    status, answer = call(self.server, "POST", f"/v1/sagas/{answer['id']}/abort", self.token)
                    expect(status in (200, 409), f"abort {key}: {status} {answer}")
                    if status == 200:
                        with self.lock:
                            self.aborted.add(key)
        except Exception as failure:  # reported by the main thread
            self.errors.append(f"{type(failure).__name__}: {failure}")

    def progress(self):
        with self.lock:
            return len(self.acknowledged)


class Chaos:
    """Keeps telling the fakes to misbehave, one spell after another, until stopped."""

    def __init__(self, fakes, rng):
        self.fakes, self.rng = list(fakes.values()), rng
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopped.wait(0.05):
            fake = self.rng.choice(self.fakes)
            try:
                fake.mode(**self.rng.choice(CHAOS))
            except (Failure, *CONNECTION_ERRORS) as failure:
                print(f"chaos: could not steer a fake: {failure}")

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=10)
        for fake in self.fakes:
            fake.mode(mode="ok")


def fund_defi_users(server, token):
    for user in range(DEFI_USERS):
        body = transfer_body(f"rel-fund-{user}", "system:treasury", f"user:defi{user}", DEFI_FUNDING, "investing/BTC")
        status, answer = call(server, "POST", "/v1/transfers", token, body)
        expect(status == 201, f"funding defi{user}: {status} {answer}")


def run_load_with_kills(server, token, load, fakes, rng):
    """Starts the load and the chaos; kills and restarts the server as the starts go in."""
    chaos = Chaos(fakes, rng)
    chaos.thread.start()
    threads = [threading.Thread(target=load.worker, daemon=True) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    total = len(load.plan)
    deadline = time.time() + 50
    for kill in range(KILLS):
        # The kills fall at 20%, 45% and 70% of the starts, whatever the machine's speed.
        threshold = total * (20 + 25 * kill) // 100
        while load.progress() < threshold and not load.errors:
            expect(time.time() < deadline, f"only {load.progress()} of {total} starts acknowledged in time")
            time.sleep(0.01)
        expect(not load.errors, f"a client failed: {load.errors}")
        server.kill9()
        server.start()
        print(f"kill -9 number {kill + 1} with {load.progress()} of {total} starts acknowledged; restarted")
    for thread in threads:
        thread.join(timeout=max(1, deadline - time.time()))
        expect(not thread.is_alive(), f"the clients did not finish: {load.progress()} of {total} acknowledged")
    expect(not load.errors, f"a client failed: {load.errors}")
    chaos.stop()


def wait_terminal(server, token, ids):
    deadline = time.time() + TERMINAL_WAIT_S
    pending, sagas = set(ids), {}
    while pending:
        for saga_id in sorted(pending):
            status, saga = call(server, "GET", f"/v1/sagas/{saga_id}", token)
            expect(status == 200, f"an acknowledged saga is missing: {saga_id}: {status} {saga}")
            sagas[saga_id] = saga
            if saga["state"] in TERMINAL:
                pending.discard(saga_id)
        if pending:
            expect(time.time() < deadline, f"{len(pending)} sagas not terminal within {TERMINAL_WAIT_S} s, e.g. "
                                           f"{sagas[min(pending)]}")
            time.sleep(0.2)
    return sagas


def step(saga, name):
    return next(record for record in saga["steps"] if record["name"] == name)


# The operation done by each saga step key suffix, and what undoes it.
UNDONE_BY = {"collect": "refund", "buy": "sell", "withdraw": "withdraw_back", "supply": "supply_back"}
COMPLETED_EFFECTS = {"deposit_to_invest": {"collect", "buy"}, "invest_to_defi": {"withdraw", "supply"}}


def check_side_effects(fakes, sagas):
    effects = {}  # saga id -> {operation suffix: count}
    for kind, fake in fakes.items():
        by_key = fake.side_effects()["by_key"]
        twice = {key: count for key, count in by_key.items() if count != 1}
        expect(not twice, f"fake {kind} performed a key more than once: {twice}")
        # Only a quote may be refused (EUR has no price): a refused mutating call would be a
        # key reused for another request, or an undo the provider cannot do.
        refused = [c for c in fake.calls() if 400 <= c["status"] < 500 and c["operation"] != "quote"]
        expect(not refused, f"fake {kind} refused calls: {refused[:3]}")
        for key in by_key:
            saga_id, _, operation = key.partition(":")
            expect(saga_id in sagas, f"fake {kind}: a side effect of an unknown saga: {key}")
            effects.setdefault(saga_id, {})[operation] = by_key[key]
    for saga_id, saga in sagas.items():
        done = set(effects.get(saga_id, {}))
        if saga["state"] == "completed":
            expect(done == COMPLETED_EFFECTS[saga["type"]], f"completed saga {saga_id} did {done}: {saga}")
        else:
            for operation, undo in UNDONE_BY.items():
                expect((operation in done) == (undo in done),
                       f"compensated saga {saga_id}: {operation} and {undo} do not pair up in {done}: {saga}")
    return effects


def check_balances(server, token, sagas):
    deposits, positions = {}, {}
    for saga in sagas.values():
        account = saga["params"]["account"]
        if saga["type"] == "deposit_to_invest":
            bought = Decimal(step(saga, "buy")["result"]["asset_amount"]) if saga["state"] == "completed" else 0
            deposits[account] = deposits.get(account, Decimal(0)) + bought
        else:
            key = (account, f"defi/{saga['params']['protocol']}:BTC")
            net = Decimal(saga["params"]["net"]) if saga["state"] == "completed" else 0
            positions[key] = positions.get(key, Decimal(0)) + net
    for account in sorted(set(deposits) | {account for account, _ in positions}):
        status, body = call(server, "GET", f"/v1/accounts/{account}", token)
        expect(status == 200, f"GET {account}: {status} {body}")
        balances = {line["bucket"]: line for line in body["balances"]}
        for line in balances.values():
            expect(Decimal(line["held"]) == 0 and Decimal(line["available"]) >= 0, f"{account}: {balances}")
        if account in deposits:
            for bucket, line in balances.items():
                expect(not bucket.startswith("banking/") or Decimal(line["available"]) == 0,
                       f"{account} spent or got back its deposits: {balances}")
            got = Decimal(balances.get("investing/BTC", {"available": "0"})["available"])
            expect(got == deposits[account], f"{account}: investing/BTC {got}, bought {deposits[account]}")
        else:
            supplied = Decimal(0)
            for (owner, bucket), amount in positions.items():
                if owner == account:
                    got = Decimal(balances.get(bucket, {"available": "0"})["available"])
                    expect(got == amount, f"{account}: {bucket} {got}, supplied {amount}")
                    supplied += amount
            left = Decimal(balances["investing/BTC"]["available"])
            expect(left == Decimal(DEFI_FUNDING) - supplied, f"{account}: investing/BTC {left}, supplied {supplied}")


def fresh_postgresql_database(state_dir):
    """The URL of a new, empty database on the test server (an earlier run's is dropped)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")
    return subprocess.run([script, "createdb", state_dir, "sagas_reliability"], check=True,
                          capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--postgresql-test-server", metavar="STATE_DIR",
                        help="use a fresh database on this test server (scripts/pg-test-server.sh)")
    args = parser.parse_args()
    rng = random.Random(SEED)
    directory = tempfile.mkdtemp(prefix="ledgerflow-sagas-reliability-e2e-")
    fakes, server = {}, None
    try:
        for kind in ("payments", "exchange", "chain", "defi"):
            fakes[kind] = providers_e2e.FakeProvider(directory, kind, ["--block-ms", "20"])
        config = os.path.join(directory, "sagas.toml")
        with open(config, "w") as f:
            f.write(config_toml(fakes))
        env = {"LEDGERFLOW_CONFIG": config}
        if args.postgresql_test_server:
            # LEDGERFLOW_DB is --db for every command: serve and check both use it.
            env["LEDGERFLOW_DB"] = fresh_postgresql_database(args.postgresql_test_server)
            print(f"database: {env['LEDGERFLOW_DB']}")
        server = Server(args.binary, os.path.join(directory, "data"), extra_env=env)
        server.start()
        token = server.token()
        fund_defi_users(server, token)

        # A saga kept paused through every kill (waiting for 1000 confirmations, 20 s at the
        # fake chain's pace, it cannot end before the pause): each restart has an unfinished
        # saga to resume. Aborted at the end, it compensates.
        status, kept = call(server, "POST", "/v1/sagas", token,
                            {"type": "invest_to_defi", "idempotency_key": "rel-kept-paused",
                             "params": {"account": "user:defi0", "asset": "BTC", "amount": DEFI_AMOUNT,
                                        "protocol": "aave", "confirmations": "1000"}})
        expect(status == 202, f"start the kept saga: {status} {kept}")
        status, paused = call(server, "POST", f"/v1/sagas/{kept['id']}/pause", token)
        expect(status == 200 and paused["state"] == "paused", f"pause the kept saga: {status} {paused}")

        load = Load(server, token, plan_load(rng))
        started = time.time()
        run_load_with_kills(server, token, load, fakes, rng)
        status, kept = call(server, "GET", f"/v1/sagas/{kept['id']}", token)
        expect(status == 200 and kept["state"] == "paused", f"the kept saga stayed paused: {status} {kept}")
        status, aborted = call(server, "POST", f"/v1/sagas/{kept['id']}/abort", token)
        expect(status == 200, f"abort the kept saga: {status} {aborted}")
        ids = {**load.acknowledged, "rel-kept-paused": kept["id"]}
        expect(len(load.acknowledged) == len(load.plan), "every start was acknowledged")
        sagas = wait_terminal(server, token, ids.values())
        elapsed = time.time() - started

        states = {}
        for saga in sagas.values():
            states[(saga["type"], saga["state"])] = states.get((saga["type"], saga["state"]), 0) + 1
        failed = [saga for saga in sagas.values() if saga["state"] == "failed"]
        expect(not failed, f"{len(failed)} sagas failed, e.g. {failed[:1]}")
        for saga_type in ("deposit_to_invest", "invest_to_defi"):
            expect(states.get((saga_type, "completed"), 0) > 0, f"no {saga_type} completed: {states}")
            expect(states.get((saga_type, "compensated"), 0) > 0, f"no {saga_type} compensated: {states}")
        effects = check_side_effects(fakes, sagas)
        undone = {undo: sum(1 for done in effects.values() if undo in done) for undo in UNDONE_BY.values()}
        expect(undone["refund"] > 0, f"some compensation refunded a payment: {undone}")
        check_balances(server, token, sagas)
        resumed_lines = re.findall(r"resumed (\d+) unfinished saga", server.log())
        expect(len(resumed_lines) >= KILLS, f"each restart resumed unfinished sagas: {resumed_lines}")
        calls = {kind: len(fake.calls()) for kind, fake in fakes.items()}
        injected = {}
        for fake in fakes.values():
            for record in fake.calls():
                if record["mode"] != "ok":
                    injected[record["mode"]] = injected.get(record["mode"], 0) + 1
        expect(sum(injected.values()) > 0, "the fakes injected faults")

        expect(server.stop() == 0, "the server stops cleanly")
        checked = server.check()
        expect(checked.returncode == 0, f"ledgerflow check: {checked.stdout} {checked.stderr}")
        print(f"{len(sagas)} sagas in {elapsed:.1f} s through {KILLS} kills: {states}")
        print(f"aborted {len(load.aborted)}; compensations at the fakes {undone}; resumed per restart {resumed_lines}")
        print(f"provider calls {calls}; faults injected {injected}")
        print("sagas_reliability_e2e: OK")
        return 0
    except Failure as failure:
        print(f"sagas_reliability_e2e: FAILED: {failure}")
        if server is not None:
            print(server.log()[-4000:])
        return 1
    finally:
        if server is not None and server.process is not None:
            server.stop()
        for fake in fakes.values():
            fake.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
