"""The sagas' failure paths (issue 5) that sagas_flows_e2e and sagas_reliability_e2e do not
reach, against the real `ledgerflow serve` with short saga deadlines and HTTP providers on
scripts/fake_provider.py processes (one payments fake, one exchange fake):

  deadline       the exchange hangs on buy: once step_timeout_ms has passed the saga
                 compensates with error "deadline", the buy "uncertain" (it reached the
                 exchange); the exchange healed, the buy is resolved and sold back; collect
                 refunded once; banking/USD 0 available, 0 held
  comp_failed    the exchange refuses the buy and the payments fake refuses refunds: the saga
                 ends "failed", its error naming the collect step's compensation; resume,
                 pause and abort of it are 409; the fake healed, `ledgerflow saga retry ID`
                 brings it to compensated, refunded exactly once; retry of it then is 409
  breaker        the exchange's breaker forced open and left so: the saga waits at the
                 quote, then compensates with "deadline" (the quote "failed": never reached)
  pause_back     a waiting saga aborted while refunds are slow, paused while its refund is
                 in flight: the refund's answer is recorded, the saga stays paused
                 (direction backward); resumed, it ends compensated, refunded once
  concurrency    20 threads POST the same start at once: one id for all, one saga listed
                 for the account, one collect at the fake; retry of the completed saga is 409
  bad_input      amounts 1e5, -1, 0, abc, 0.001 USD, an unknown asset, a system account, an
                 unknown provider, a provider of the wrong kind: each a 4xx with its code;
                 no saga listed, no entry, and the idempotency key is still free

Usage: sagas_failures_e2e.py LEDGERFLOW_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import providers_e2e
import sagas_flows_e2e
from lf_server import Server, request

ALL_FAILURES = sagas_flows_e2e.ALL_FAILURES
expect = sagas_flows_e2e.expect
step = sagas_flows_e2e.step
WAIT_S = sagas_flows_e2e.WAIT_S  # bound on waiting for a saga to reach a state; never a timing assertion
TERMINAL = sagas_flows_e2e.TERMINAL
STARTERS = 20
REFUND_DELAY_MS = 1500

LENIENT_BREAKER = """[providers.breaker]
consecutive_failures_max = 1000
failure_rate_percent = 100
minimum_calls = 1000
window_size = 1000
slow_call_rate_percent = 100
"""


def config_toml(pay, exchange):
    # compensation_timeout_ms leaves the test time to heal the exchange once a hung buy's
    # deadline has passed (its resolution must get an answer); nothing here waits it out.
    return f"""
[sagas]
deposit_fee_bps = 25
step_timeout_ms = 1500
compensation_timeout_ms = 5000
retry_backoff_ms = 50
retry_backoff_max_ms = 200
waiting_poll_ms = 50

[[providers]]
name = "pay"
kind = "payments"
type = "http"
base_url = "{pay.url}"
timeout_ms = 3000
[providers.retry]
attempts_max = 1
{LENIENT_BREAKER}
[[providers]]
name = "exchange"
kind = "exchange"
type = "http"
base_url = "{exchange.url}"
timeout_ms = 300
[providers.retry]
attempts_max = 1
{LENIENT_BREAKER}
[[providers]]
name = "exchange-stuck"
kind = "exchange"
type = "sandbox"

[[providers]]
name = "sandbox-chain"
kind = "chain"
type = "sandbox"
"""


class Sagas(sagas_flows_e2e.Sagas):
    """sagas_flows_e2e's REST calls (show, steer, wait_for, balances, breakers) plus starts
    through the named HTTP providers, any wait, the list by account and the CLI."""

    def __init__(self, server):
        super().__init__(server)
        self.server = server

    def start_body(self, key, account, amount="40.00", exchange="exchange", **extra):
        params = {"account": account, "amount": amount, "currency": "USD", "asset": "BTC",
                  "payment_provider": "pay", "exchange": exchange, **extra}
        return {"type": "deposit_to_invest", "idempotency_key": key, "params": params}

    def post_start(self, body):
        return request(self.port, "POST", "/v1/sagas", self.token, body)

    def deposit(self, key, account, **params):
        status, body = self.post_start(self.start_body(key, account, **params))
        expect(status == 202, f"start {key}: {status} {body}")
        return body["id"]

    def wait_until(self, saga_id, what, test):
        deadline = time.time() + WAIT_S
        while True:
            saga = self.show(saga_id)
            if test(saga):
                return saga
            expect(time.time() < deadline, f"saga {saga_id}: not {what} within {WAIT_S} s: {saga}")
            time.sleep(0.02)

    def listed(self, account):
        status, body = request(self.port, "GET", f"/v1/sagas?account={account}", self.token)
        expect(status == 200, f"list sagas of {account}: {status} {body}")
        return body["sagas"]

    def cli(self, *args):
        env = dict(self.server.env, LEDGERFLOW_URL=f"http://127.0.0.1:{self.port}")
        env.pop("LEDGERFLOW_TOKEN", None)  # the CLI signs an admin token with the secret
        return subprocess.run([self.server.binary, "saga", *args], env=env, capture_output=True, text=True,
                              timeout=60)


def compensation_status(saga, name):
    return (step(saga, name).get("compensation") or {}).get("status")


def effects(fake, saga_id):
    """{operation: times performed} of one saga at a fake (keys are `<saga id>:<operation>`)."""
    by_key = fake.side_effects()["by_key"]
    return {key.partition(":")[2]: count for key, count in by_key.items() if key.startswith(saga_id + ":")}


def expect_money_back(sagas, account):
    balances = sagas.balances(account)
    expect(balances.get("banking/USD") == ("0.00", "0.00"), f"{account}: banking/USD back to 0/0: {balances}")
    expect(balances.get("investing/BTC", ("0.00000000", "0.00000000")) == ("0.00000000", "0.00000000"),
           f"{account}: no BTC delivered: {balances}")


def expect_conflict(answer, what):
    status, body = answer
    expect(status == 409 and body["error"]["code"] == "conflict", f"{what}: wanted 409 conflict, got {status} {body}")


def check_step_deadline(sagas, pay, exchange):
    exchange.mode(mode="hang", operations=["buy"])
    saga_id = sagas.deposit("fail-deadline", "user:dina")
    # Seen compensating, the buy's deadline has passed while the exchange hung: the buy reached
    # the exchange, so it may have happened (its resolution hangs too until the exchange heals).
    saga = sagas.wait_until(saga_id, "compensating", lambda s: s["state"] != "running")
    exchange.mode(mode="ok")
    expect(saga["state"] == "compensating" and saga["direction"] == "backward", f"compensating: {saga}")
    expect(saga["error"]["code"] == "deadline" and "buy" in saga["error"]["message"],
           f"the error names the buy's deadline: {saga['error']}")
    expect(step(saga, "buy")["status"] == "uncertain", f"a hung buy is uncertain: {step(saga, 'buy')}")
    hung = [call for call in exchange.calls(f"{saga_id}:buy") if call["mode"] == "hang"]
    expect(len(hung) >= 2, f"the buy was retried under its key until the deadline: {hung}")

    saga = sagas.wait_for(saga_id, "compensated")
    expect(saga["error"]["code"] == "deadline", f"the error still says deadline: {saga['error']}")
    expect(step(saga, "buy")["status"] == "succeeded" and compensation_status(saga, "buy") == "succeeded",
           f"the healed exchange answered the buy, which was sold back: {step(saga, 'buy')}")
    for name in ("collect", "credit", "hold"):
        expect(compensation_status(saga, name) == "succeeded", f"{name} undone: {step(saga, name)}")
    expect(effects(exchange, saga_id) == {"buy": 1, "sell": 1}, f"bought once, sold once: {effects(exchange, saga_id)}")
    expect(effects(pay, saga_id) == {"collect": 1, "refund": 1}, f"refunded once: {effects(pay, saga_id)}")
    expect_money_back(sagas, "user:dina")
    print(f"deadline: hung buy ({len(hung)} attempts) -> uncertain, deadline -> resolved, sold, refunded once")


def check_failed_compensation(sagas, pay, exchange):
    exchange.mode(mode="fail", status=400, operations=["buy"])
    pay.mode(mode="fail", status=400, operations=["refund"])
    saga_id = sagas.deposit("fail-compensation", "user:fred")
    saga = sagas.wait_until(saga_id, "terminal", lambda s: s["state"] in TERMINAL)
    expect(saga["state"] == "failed", f"a refused refund fails the saga: {saga}")
    expect("compensation" in saga["error"]["message"] and "collect" in saga["error"]["message"],
           f"the error names the collect step's compensation: {saga['error']}")
    expect(step(saga, "buy")["status"] == "failed", f"the refused buy failed: {step(saga, 'buy')}")
    expect(compensation_status(saga, "collect") == "failed", f"the refund failed: {step(saga, 'collect')}")
    for name in ("credit", "hold"):
        expect(compensation_status(saga, name) == "succeeded", f"{name} undone: {step(saga, name)}")
    expect(effects(pay, saga_id) == {"collect": 1}, f"collected, not refunded: {effects(pay, saga_id)}")
    for action in ("resume", "pause", "abort"):
        expect_conflict(sagas.steer(saga_id, action), f"{action} of a failed saga")

    pay.mode(mode="ok")
    exchange.mode(mode="ok")
    retried = sagas.cli("retry", saga_id)
    expect(retried.returncode == 0 and f'"id":"{saga_id}"' in retried.stdout.replace(" ", ""),
           f"ledgerflow saga retry: {retried.returncode} {retried.stdout} {retried.stderr}")
    saga = sagas.wait_for(saga_id, "compensated")
    expect(saga["error"] == saga["cause"] and saga["cause"]["code"] == "http_400",
           f"healed: the error is again why it compensated (the refused buy): {saga['error']} {saga['cause']}")
    expect(compensation_status(saga, "collect") == "succeeded", f"the refund retried: {step(saga, 'collect')}")
    expect(effects(pay, saga_id) == {"collect": 1, "refund": 1}, f"refunded exactly once: {effects(pay, saga_id)}")
    expect(effects(exchange, saga_id) == {}, f"the exchange did nothing: {effects(exchange, saga_id)}")
    expect_money_back(sagas, "user:fred")
    expect_conflict(sagas.steer(saga_id, "retry"), "retry of a compensated saga")
    again = sagas.cli("retry", saga_id)
    expect(again.returncode == 1 and "conflict" in again.stderr, f"CLI retry of a compensated saga: "
                                                                 f"{again.returncode} {again.stdout} {again.stderr}")
    print("comp_failed: refused refund -> failed; resume/pause/abort 409; CLI retry -> compensated, one refund; "
          "retry again 409")


def check_open_breaker_deadline(sagas, pay):
    sagas.breaker("exchange-stuck", "force_open")
    saga_id = sagas.deposit("fail-breaker", "user:gina", exchange="exchange-stuck")
    saga = sagas.wait_for(saga_id, "waiting")
    expect("exchange-stuck" in saga["waiting_for"] and saga["step"] == "quote", f"waits at the quote: {saga}")
    saga = sagas.wait_for(saga_id, "compensated")
    expect(saga["error"]["code"] == "deadline", f"compensated for the deadline: {saga['error']}")
    expect(step(saga, "quote")["status"] == "failed", f"the quote never reached the exchange: {step(saga, 'quote')}")
    expect(compensation_status(saga, "collect") == "succeeded", f"refunded: {step(saga, 'collect')}")
    expect(effects(pay, saga_id) == {"collect": 1, "refund": 1}, f"refunded once: {effects(pay, saga_id)}")
    expect_money_back(sagas, "user:gina")
    print("breaker: forced open and left -> waiting at the quote, then compensated (deadline), refunded once")


def check_pause_while_compensating(sagas, pay):
    # exchange-stuck is still forced open (check_open_breaker_deadline).
    pay.mode(mode="slow", delay_ms=REFUND_DELAY_MS, operations=["refund"])
    saga_id = sagas.deposit("fail-pause-back", "user:hugo", exchange="exchange-stuck")
    sagas.wait_for(saga_id, "waiting")
    # Paused first, so the quote's deadline cannot overtake the abort.
    status, body = sagas.steer(saga_id, "pause")
    expect(status == 200 and body["state"] == "paused", f"pause the waiting saga: {status} {body}")
    status, body = sagas.steer(saga_id, "abort")
    expect(status == 200 and body["direction"] == "backward", f"abort the paused saga: {status} {body}")
    deadline = time.time() + WAIT_S
    while not pay.calls(f"{saga_id}:refund"):
        expect(time.time() < deadline, "the refund never reached the payments fake")
        time.sleep(0.02)
    status, body = sagas.steer(saga_id, "pause")  # the slow refund is in flight
    expect(status == 200 and body["state"] == "paused" and body["direction"] == "backward",
           f"pause while compensating: {status} {body}")
    # The attempt in flight finishes and is recorded; the saga does not move on.
    saga = sagas.wait_until(saga_id, "with its refund recorded",
                            lambda s: compensation_status(s, "collect") == "succeeded" or s["state"] != "paused")
    time.sleep(0.5)  # ten waiting polls, five backoffs: room to move, were it to
    saga = sagas.show(saga_id)
    expect(saga["state"] == "paused" and saga["direction"] == "backward", f"it stays paused, backward: {saga}")
    status, body = sagas.steer(saga_id, "resume")
    expect(status == 200, f"resume: {status} {body}")
    saga = sagas.wait_for(saga_id, "compensated")
    expect(saga["error"]["code"] == "aborted", f"the error says aborted: {saga['error']}")
    expect(effects(pay, saga_id) == {"collect": 1, "refund": 1}, f"refunded once: {effects(pay, saga_id)}")
    expect_money_back(sagas, "user:hugo")
    pay.mode(mode="ok")
    sagas.breaker("exchange-stuck", "close")
    print("pause_back: aborted, paused with the refund in flight -> stayed paused backward; resumed -> compensated")


def check_concurrent_starts(sagas, pay):
    body = sagas.start_body("fail-concurrent", "user:ivan", amount="10.00")
    barrier = threading.Barrier(STARTERS)
    answers, errors = [], []

    def starter():
        try:
            barrier.wait(timeout=10)
            answers.append(sagas.post_start(body))
        except Exception as failure:  # reported below
            errors.append(repr(failure))

    threads = [threading.Thread(target=starter) for _ in range(STARTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_S)
    expect(not errors and len(answers) == STARTERS, f"every start answered: {errors} {len(answers)}")
    statuses = sorted({status for status, _ in answers})
    ids = {answer["id"] for _, answer in answers if isinstance(answer, dict) and "id" in answer}
    expect(statuses == [202] and len(ids) == 1, f"every start 202 with one id: {statuses} {ids} {answers[:2]}")
    saga_id = ids.pop()
    listed = sagas.listed("user:ivan")
    expect([saga["id"] for saga in listed] == [saga_id], f"one saga for the account: {listed}")
    sagas.wait_for(saga_id, "completed")
    collects = [call for call in pay.calls() if call["operation"] == "collect"
                and call["body"]["account"] == "user:ivan" and call["side_effect"]]
    expect(len(collects) == 1 and effects(pay, saga_id) == {"collect": 1},
           f"collected once: {collects} {effects(pay, saga_id)}")
    expect_conflict(sagas.steer(saga_id, "retry"), "retry of a completed saga")
    print(f"concurrency: {STARTERS} simultaneous starts -> one saga {saga_id}, one collect; retry of it 409")


BAD_STARTS = [  # (what, params over a valid deposit's, error code)
    ("amount 1e5", {"amount": "1e5"}, "amount_invalid"),
    ("amount -1", {"amount": "-1"}, "amount_invalid"),
    ("amount 0", {"amount": "0"}, "amount_invalid"),
    ("amount abc", {"amount": "abc"}, "amount_invalid"),
    ("amount 0.001 USD", {"amount": "0.001"}, "amount_invalid"),
    ("unknown asset", {"asset": "DOGE"}, "unknown_asset"),
    ("system account", {"account": "system:treasury"}, "bad_request"),
    ("unknown provider", {"payment_provider": "no-such-pay"}, "bad_request"),
    ("provider of the wrong kind", {"exchange": "sandbox-chain"}, "bad_request"),
]


def check_bad_input(sagas, pay):
    calls_before = len(pay.calls())
    for index, (what, overrides, code) in enumerate(BAD_STARTS):
        body = sagas.start_body(f"fail-bad-{index}", "user:jack")
        body["params"].update(overrides)
        status, answer = sagas.post_start(body)
        got = answer.get("error", {}) if isinstance(answer, dict) else {}
        expect(status in (400, 422) and got.get("code") == code and got.get("message"),
               f"{what}: wanted 400/422 {code}, got {status} {answer}")
    for account in ("user:jack", "system:treasury"):
        expect(sagas.listed(account) == [], f"no saga for {account}: {sagas.listed(account)}")
    status, entries = request(sagas.port, "GET", "/v1/accounts/user:jack/entries", sagas.token)
    expect(status == 404 or (status == 200 and not entries.get("entries")), f"no entries: {status} {entries}")
    expect(len(pay.calls()) == calls_before, "no provider was called")
    # Nothing was written under the refused starts' keys either: a valid start may use one.
    saga_id = sagas.deposit("fail-bad-2", "user:jack", amount="5.00")
    sagas.wait_for(saga_id, "completed")
    print(f"bad_input: {len(BAD_STARTS)} refused starts wrote nothing; their key still free")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = tempfile.mkdtemp(prefix="ledgerflow-sagas-failures-e2e-")
    fakes, server = [], None
    try:
        pay = providers_e2e.FakeProvider(directory, "pay")
        fakes.append(pay)
        exchange = providers_e2e.FakeProvider(directory, "exchange")
        fakes.append(exchange)
        config = os.path.join(directory, "sagas.toml")
        with open(config, "w") as f:
            f.write(config_toml(pay, exchange))
        server = Server(sys.argv[1], os.path.join(directory, "data"), extra_env={"LEDGERFLOW_CONFIG": config})
        server.start()
        sagas = Sagas(server)
        check_step_deadline(sagas, pay, exchange)
        check_failed_compensation(sagas, pay, exchange)
        check_open_breaker_deadline(sagas, pay)
        check_pause_while_compensating(sagas, pay)
        check_concurrent_starts(sagas, pay)
        check_bad_input(sagas, pay)
        expect(server.stop() == 0, "the server stops cleanly")
        checked = server.check()
        expect(checked.returncode == 0, f"ledgerflow check: {checked.stdout} {checked.stderr}")
        print("sagas_failures_e2e: OK")
        return 0
    except ALL_FAILURES as failure:
        print(f"sagas_failures_e2e: FAILED: {failure}")
        if server is not None:
            print(server.log()[-4000:])
        return 1
    finally:
        for fake in fakes:
            fake.stop()
        if server is not None and server.process is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
