"""Sagas end to end with the in-process sandbox providers (plus one HTTP exchange on
scripts/fake_provider.py that refuses every buy), through the real `ledgerflow serve`:

  deposit      deposit_to_invest completes: banking/USD back to 0, investing/BTC = the bought
               amount, the 0.25% fee in system:fees banking/USD; `ledgerflow watch` of the user
               gets balance lines whose cause is {"kind":"saga","id":<saga id>}
  defi         invest_to_defi completes: defi/aave:BTC credited, investing/BTC debited
  breaker      with sandbox-exchange forced open a deposit waits (waiting_for names the
               provider); closed again, it completes
  pause        a waiting saga paused stays paused after the breaker closes; resumed, it completes
  abort        a waiting saga aborted compensates: banking/USD 0 available and 0 held, the
               payment refunded (the collect step's compensation succeeded)
  rejected     an exchange answering 400 to buy: the saga compensates, refund included
  steering     retry of a completed saga: 409; /metrics has ledgerflow_sagas{type,state}

Usage: sagas_flows_e2e.py LEDGERFLOW_BINARY
"""
import os
import shutil
import sys
import tempfile
import time

import providers_e2e
import ws_watch_e2e
from lf_server import Server, request

WAIT_S = 30  # bound on waiting for a saga to reach a state; never a timing assertion
ALL_FAILURES = (providers_e2e.Failure, ws_watch_e2e.Failure)
Failure = ws_watch_e2e.Failure
expect = ws_watch_e2e.expect
TERMINAL = ("completed", "compensated", "failed")


def config_toml(rejecting):
    return f"""
[sagas]
deposit_fee_bps = 25
confirmations = 1
waiting_poll_ms = 50

[[providers]]
name = "sandbox-exchange"
kind = "exchange"
type = "sandbox"

[[providers]]
name = "exchange-rejecting"
kind = "exchange"
type = "http"
base_url = "{rejecting.url}"
timeout_ms = 5000
[providers.retry]
attempts_max = 1

[[providers]]
name = "sandbox-chain"
kind = "chain"
type = "sandbox"
[providers.sandbox]
block_ms = 50
"""


class Sagas(providers_e2e.Admin):
    """The admin's REST calls (providers_e2e.Admin steers breakers) plus the saga routes."""

    def start(self, key, saga_type, **params):
        status, body = request(self.port, "POST", "/v1/sagas", self.token,
                               {"type": saga_type, "idempotency_key": key, "params": params})
        expect(status == 202, f"start {saga_type} {key}: {status} {body}")
        return body["id"]

    def deposit(self, key, account, amount, **extra):
        return self.start(key, "deposit_to_invest", account=account, amount=amount, currency="USD", asset="BTC",
                          **extra)

    def show(self, saga_id):
        status, body = request(self.port, "GET", f"/v1/sagas/{saga_id}", self.token)
        expect(status == 200, f"GET saga {saga_id}: {status} {body}")
        return body

    def steer(self, saga_id, action):
        return request(self.port, "POST", f"/v1/sagas/{saga_id}/{action}", self.token)

    def wait_for(self, saga_id, *states):
        deadline = time.time() + WAIT_S
        while True:
            saga = self.show(saga_id)
            if saga["state"] in states:
                return saga
            expect(saga["state"] not in TERMINAL, f"saga {saga_id} ended {saga['state']}, wanted {states}: {saga}")
            expect(time.time() < deadline, f"saga {saga_id} not {states} within {WAIT_S} s: {saga}")
            time.sleep(0.05)

    def balances(self, account):
        status, body = request(self.port, "GET", f"/v1/accounts/{account}", self.token)
        if status == 404:
            return {}
        expect(status == 200, f"GET {account}: {status} {body}")
        return {line["bucket"]: (line["available"], line["held"]) for line in body["balances"]}


def step(saga, name):
    return next(record for record in saga["steps"] if record["name"] == name)


def check_deposit(server, sagas):
    admin = sagas.token
    watch = ws_watch_e2e.Watch(server, admin, ["user:dora"])
    try:
        watch.next_of_type("subscribed")
        saga_id = sagas.deposit("flows-deposit", "user:dora", "100.00")
        saga = sagas.wait_for(saga_id, "completed")
        bought = step(saga, "buy")["result"]["asset_amount"]
        expect(bought == "0.00199500", f"99.75 USD at 50000.00 buys 0.00199500 BTC: {step(saga, 'buy')}")
        balances = sagas.balances("user:dora")
        expect(balances.get("banking/USD") == ("0.00", "0.00"), f"banking/USD spent: {balances}")
        expect(balances.get("investing/BTC") == (bought, "0.00000000"), f"investing/BTC: {balances}")
        expect(sagas.balances("system:fees").get("banking/USD") == ("0.25", "0.00"), "the fee in system:fees")
        # The saga moved dora's account four times: credit, two holds, two posts, the delivery.
        seen = []
        while not seen or seen[-1]["seq"] < saga_steps_seq(sagas, "user:dora"):
            line = watch.next_of_type("balance")
            expect(line["cause"] == {"kind": "saga", "id": saga_id}, f"a saga's change names the saga: {line}")
            seen.append(line)
        last = {line["bucket"]: (line["available"], line["held"]) for line in seen}
        expect(last == balances, f"the pushed balances end where the account is: {last} vs {balances}")
    finally:
        watch.kill()
    status, again = request(sagas.port, "POST", "/v1/sagas", sagas.token,
                            {"type": "deposit_to_invest", "idempotency_key": "flows-deposit",
                             "params": {"account": "user:dora", "amount": "100.00", "currency": "USD", "asset": "BTC"}})
    expect(status == 202 and again["id"] == saga_id and again["state"] == "completed",
           f"a repeated start answers the saga: {status} {again}")
    print(f"deposit: completed, {len(seen)} balance events with cause saga {saga_id}, bought {bought} BTC")
    return saga_id, bought


def saga_steps_seq(sagas, account):
    status, body = request(sagas.port, "GET", f"/v1/accounts/{account}", sagas.token)
    expect(status == 200, f"GET {account}: {status} {body}")
    return body["seq"]


def check_defi(sagas, bought):
    saga_id = sagas.start("flows-defi", "invest_to_defi", account="user:dora", asset="BTC", amount="0.00100000",
                          protocol="aave")
    saga = sagas.wait_for(saga_id, "completed")
    expect([record["status"] for record in saga["steps"]] == ["succeeded"] * 5, f"every step succeeded: {saga}")
    balances = sagas.balances("user:dora")
    expect(balances.get("defi/aave:BTC") == ("0.00100000", "0.00000000"), f"the position credited: {balances}")
    left = f"{float(bought) - 0.001:.8f}"
    expect(balances.get("investing/BTC") == (left, "0.00000000"), f"investing/BTC debited: {balances}")
    print("defi: invest_to_defi completed, defi/aave:BTC = 0.00100000")


def waiting_deposit(sagas, key, account):
    """A deposit through the forced-open sandbox exchange, once it waits."""
    saga_id = sagas.deposit(key, account, "10.00", exchange="sandbox-exchange")
    saga = sagas.wait_for(saga_id, "waiting")
    expect("sandbox-exchange" in saga["waiting_for"], f"waiting_for names the provider: {saga}")
    expect(saga["step"] == "quote", f"it waits at the quote: {saga}")
    return saga_id


def check_breaker_pause_abort(sagas):
    sagas.breaker("sandbox-exchange", "force_open")
    waits = waiting_deposit(sagas, "flows-wait", "user:erin")
    paused = waiting_deposit(sagas, "flows-paused", "user:fay")
    aborted = waiting_deposit(sagas, "flows-aborted", "user:gus")
    status, body = sagas.steer(paused, "pause")
    expect(status == 200 and body["state"] == "paused", f"pause a waiting saga: {status} {body}")
    status, body = sagas.steer(aborted, "abort")
    expect(status == 200, f"abort a waiting saga: {status} {body}")
    saga = sagas.wait_for(aborted, "compensated")
    expect(sagas.balances("user:gus").get("banking/USD") == ("0.00", "0.00"), f"gus: {sagas.balances('user:gus')}")
    for name in ("collect", "credit", "hold"):
        expect(step(saga, name)["compensation"]["status"] == "succeeded", f"{name} undone: {step(saga, name)}")
    expect(saga["error"]["code"] == "aborted", f"the error says aborted: {saga['error']}")

    sagas.breaker("sandbox-exchange", "close")
    sagas.wait_for(waits, "completed")
    # The other saga, closed on the same breaker, has completed: had the paused one moved,
    # it would have by now too (both poll the breaker every 50 ms).
    saga = sagas.show(paused)
    expect(saga["state"] == "paused" and step(saga, "quote")["status"] != "succeeded",
           f"a paused saga stays paused after the breaker closes: {saga}")
    status, body = sagas.steer(paused, "resume")
    expect(status == 200, f"resume: {status} {body}")
    sagas.wait_for(paused, "completed")
    expect(sagas.balances("user:fay").get("banking/USD") == ("0.00", "0.00"), "fay's deposit was spent")
    print("breaker: forced open -> waiting, closed -> completed; paused stayed paused until resumed; "
          "aborted -> compensated (refund, transfer back, release)")


def check_rejected(sagas, fake):
    fake.mode(mode="fail", status=400, operations=["buy"])
    saga_id = sagas.deposit("flows-rejected", "user:hal", "20.00", exchange="exchange-rejecting")
    saga = sagas.wait_for(saga_id, "compensated")
    expect(step(saga, "buy")["status"] == "failed", f"the refused buy failed: {step(saga, 'buy')}")
    expect(step(saga, "collect")["compensation"]["status"] == "succeeded", f"refunded: {step(saga, 'collect')}")
    expect(sagas.balances("user:hal").get("banking/USD") == ("0.00", "0.00"), f"hal: {sagas.balances('user:hal')}")
    expect(len(fake.calls()) >= 2 and fake.side_effects()["total"] == 0,
           f"the exchange quoted, refused the buy and did nothing: {fake.calls()}")
    print("rejected: a buy answered 400 compensated the saga, the payment refunded")
    return saga_id


def check_steering_and_metrics(server, sagas, completed):
    status, body = sagas.steer(completed, "retry")
    expect(status == 409 and body["error"]["code"] == "conflict", f"retry of a completed saga: {status} {body}")
    status, metrics = request(server.port, "GET", "/metrics")
    expect(status == 200, f"/metrics: {status}")
    lines = [line for line in metrics.splitlines() if line.startswith("ledgerflow_sagas{")]
    for state in ("completed", "compensated"):
        labels = ('type="deposit_to_invest"', f'state="{state}"')
        expect(any(all(label in line for label in labels) for line in lines),
               f"/metrics lacks ledgerflow_sagas{{{','.join(labels)}}}: {lines}")
    print(f"steering: retry of a completed saga is 409; /metrics has {len(lines)} ledgerflow_sagas lines")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = tempfile.mkdtemp(prefix="ledgerflow-sagas-flows-e2e-")
    fake, server = None, None
    try:
        fake = providers_e2e.FakeProvider(directory, "rejecting")
        config = os.path.join(directory, "sagas.toml")
        with open(config, "w") as f:
            f.write(config_toml(fake))
        server = Server(sys.argv[1], os.path.join(directory, "data"), extra_env={"LEDGERFLOW_CONFIG": config})
        server.start()
        sagas = Sagas(server)
        deposit, bought = check_deposit(server, sagas)
        check_defi(sagas, bought)
        check_breaker_pause_abort(sagas)
        check_rejected(sagas, fake)
        check_steering_and_metrics(server, sagas, deposit)
        expect(server.stop() == 0, "the server stops cleanly")
        checked = server.check()
        expect(checked.returncode == 0, f"ledgerflow check: {checked.stdout} {checked.stderr}")
        print("sagas_flows_e2e: OK")
        return 0
    except ALL_FAILURES as failure:
        print(f"sagas_flows_e2e: FAILED: {failure}")
        if server is not None:
            print(server.log()[-4000:])
        return 1
    finally:
        if fake is not None:
            fake.stop()
        if server is not None and server.process is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
