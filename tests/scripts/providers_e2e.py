"""Providers end to end: the real `ledgerflow serve` with HTTP providers pointing at fake
provider servers (scripts/fake_provider.py) on loopback, driven through the admin endpoints.

  flaky exchange   500s and resets are retried under the same key and end in one trade; a
                   slow answer past the timeout is retried and the fake performs it once;
                   a provider that always fails or hangs ends in 502 / 504
  hung chain       the bulkhead fills (workers + queue) and further callers get 503
                   bulkhead_full at once, faster than the provider's timeout
  two payments     the first one's breaker opens after consecutive failures (GET /v1/providers
                   shows "open"), calls by kind fail over to the second, and once the fake is
                   told to behave the breaker goes half-open and closes again; operators can
                   force it open and close it

Usage: providers_e2e.py LEDGERFLOW_BINARY
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from lf_server import Server, request

FAKE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "fake_provider.py")
AUTH_VALUE = "Bearer fake-provider-secret"


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


class FakeProvider:
    """One scripts/fake_provider.py child process and its control endpoints."""

    def __init__(self, directory, name, extra_args=()):
        port_file = os.path.join(directory, f"{name}.port")
        self.log = open(os.path.join(directory, f"{name}.log"), "wb")
        self.process = subprocess.Popen(
            [sys.executable, FAKE_SCRIPT, "--port", "0", "--port-file", port_file, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise Failure(f"fake provider {name} did not start within 10 s (see {name}.log)")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = f"http://127.0.0.1:{self.port}"

    def control(self, method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=json.dumps(body) if body is not None else None)
        response = connection.getresponse()
        data = json.loads(response.read())
        connection.close()
        expect(response.status == 200, f"fake {method} {path}: {response.status} {data}")
        return data

    def mode(self, **mode):
        return self.control("POST", "/_fake/mode", mode)

    def calls(self, key=None):
        calls = self.control("GET", "/_fake/calls")["calls"]
        return [call for call in calls if key is None or call["idempotency_key"] == key]

    def side_effects(self):
        return self.control("GET", "/_fake/side_effects")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def config_toml(flaky, hung, pay_a, pay_b):
    lenient_breaker = """consecutive_failures_max = 1000
failure_rate_percent = 100
minimum_calls = 1000
window_size = 1000
"""
    return f"""
[[providers]]
name = "exchange-flaky"
kind = "exchange"
type = "http"
base_url = "{flaky.url}"
timeout_ms = 500
workers = 4
queue_max = 16
[providers.retry]
attempts_max = 3
backoff_initial_ms = 20
backoff_max_ms = 100
[providers.breaker]
{lenient_breaker}
[[providers]]
name = "chain-hung"
kind = "chain"
type = "http"
base_url = "{hung.url}"
timeout_ms = 3000
workers = 2
queue_max = 2
[providers.retry]
attempts_max = 1
[providers.breaker]
{lenient_breaker}
[[providers]]
name = "payments-a"
kind = "payments"
type = "http"
base_url = "{pay_a.url}"
auth_header = "Authorization"
auth_value = "{AUTH_VALUE}"
timeout_ms = 1000
workers = 4
queue_max = 16
[providers.retry]
attempts_max = 1
[providers.breaker]
consecutive_failures_max = 3
failure_rate_percent = 100
minimum_calls = 1000
window_size = 1000
open_wait_ms = 1500
half_open_probes = 1

[[providers]]
name = "payments-b"
kind = "payments"
type = "http"
base_url = "{pay_b.url}"
auth_value = "{AUTH_VALUE}"
timeout_ms = 1000
[providers.retry]
attempts_max = 1
"""


class Admin:
    def __init__(self, server):
        self.port = server.port
        self.token = server.token()

    def providers(self):
        status, body = request(self.port, "GET", "/v1/providers", self.token)
        expect(status == 200, f"GET /v1/providers: {status} {body}")
        return {provider["name"]: provider for provider in body["providers"]}

    def provider(self, name):
        return self.providers()[name]

    def call(self, target, operation, key, fields):
        """POST a call to /v1/providers/{target}/call; returns (status, body, seconds)."""
        started = time.time()
        status, body = request(self.port, "POST", f"/v1/providers/{target}/call", self.token,
                               {"operation": operation, "idempotency_key": key, "fields": fields})
        return status, body, time.time() - started

    def breaker(self, name, action):
        status, body = request(self.port, "POST", f"/v1/providers/{name}/breaker", self.token, {"action": action})
        expect(status == 200, f"breaker {action} on {name}: {status} {body}")
        return body


def buy(key):
    return "buy", key, {"asset": "BTC", "currency": "USD", "fiat_amount": "100.00"}


def collect(key):
    return "collect", key, {"account": "user:alice", "amount": "10.00", "currency": "USD"}


def withdraw(key):
    return "withdraw", key, {"asset": "BTC", "amount": "0.01", "address": "bc1qe2e"}


def expect_failure(answer, status, error_code, failure_kind, what):
    got_status, body, _ = answer
    expect(got_status == status and body["error"]["code"] == error_code and body["failure"]["kind"] == failure_kind,
           f"{what}: expected {status} {error_code}/{failure_kind}, got {got_status} {body}")
    return body


def check_flaky_exchange(admin, fake):
    """500s, resets and timeouts against a provider whose breaker never opens."""
    fake.mode(mode="fail", status=500, count=1)
    status, body, _ = admin.call("exchange-flaky", *buy("e2e-500-once"))
    expect(status == 200 and body["attempts"] == 2, f"one 500 is retried: {status} {body}")
    expect(body["fields"]["trade_id"] == "trade-1", f"the trade: {body}")

    fake.mode(mode="fail", status=500)
    body = expect_failure(admin.call("exchange-flaky", *buy("e2e-500-always")), 502, "provider_error", "transient",
                          "a provider that always answers 500")
    expect(body["failure"]["code"] == "http_500" and body["attempts"] == 3, f"three attempts of http_500: {body}")
    expect(len(fake.calls("e2e-500-always")) == 3, "each attempt reached the fake")

    fake.mode(mode="reset", count=1)
    status, body, _ = admin.call("exchange-flaky", *buy("e2e-reset-once"))
    expect(status == 200 and body["attempts"] == 2, f"a reset connection is retried: {status} {body}")
    fake.mode(mode="reset")
    body = expect_failure(admin.call("exchange-flaky", *buy("e2e-reset-always")), 502, "provider_error", "transient",
                          "a provider that always resets")
    expect(body["failure"]["code"] == "connection_reset", f"connection_reset: {body}")

    # The slow answer comes after the 500 ms timeout: the retry under the same key finds the
    # trade the first attempt made, and the fake performed it once.
    fake.mode(mode="slow", delay_ms=1500, count=1)
    status, body, _ = admin.call("exchange-flaky", *buy("e2e-slow"))
    expect(status == 200 and body["attempts"] == 2, f"a timed-out call is retried: {status} {body}")
    expect(len(fake.calls("e2e-slow")) == 2, f"two attempts reached the fake: {fake.calls('e2e-slow')}")
    fake.mode(mode="fail_after_effect", status=502, count=1)
    status, body, _ = admin.call("exchange-flaky", *buy("e2e-lost-answer"))
    expect(status == 200 and body["attempts"] == 2, f"a lost answer is retried: {status} {body}")

    fake.mode(mode="hang", operations=["buy"])
    body = expect_failure(admin.call("exchange-flaky", *buy("e2e-hang")), 504, "provider_timeout", "timeout",
                          "a provider that never answers")
    expect(body["attempts"] == 3, f"three attempts timed out: {body}")
    fake.mode(mode="ok")

    effects = fake.side_effects()
    for key in ("e2e-500-once", "e2e-reset-once", "e2e-slow", "e2e-lost-answer"):
        expect(effects["by_key"].get(key) == 1, f"{key} was performed exactly once: {effects}")
    expect(all(count == 1 for count in effects["by_key"].values()), f"no duplicate side effect: {effects}")
    expect(effects["total"] == 4, f"only the calls that succeeded did anything: {effects}")
    calls = admin.provider("exchange-flaky")["calls"]
    expect(calls["succeeded"] == 4 and calls["failed"] == 2 and calls["timed_out"] == 1,
           f"the supervisor's counts: {calls}")
    expect(admin.provider("exchange-flaky")["breaker"]["state"] == "closed", "the lenient breaker stayed closed")
    print("flaky exchange: 500s, resets, a slow answer and a lost answer retried without a duplicate; 502/504 at the end")


def check_hung_bulkhead(admin, fake):
    """A hung provider holds its 2 workers and 2 queue places; every other caller gets 503 fast."""
    fake.mode(mode="hang")
    answers = {}

    def one_call(index):
        answers[index] = admin.call("chain-hung", *withdraw(f"e2e-hung-{index}"))

    threads = [threading.Thread(target=one_call, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 10
    while True:  # the four calls hold the workers and the queue
        load = admin.provider("chain-hung")
        if load["in_flight"] == 2 and load["queued"] == 2:
            break
        expect(time.time() < deadline, f"the bulkhead did not fill: {load}")
        time.sleep(0.05)
    for index in range(4, 10):
        answers[index] = admin.call("chain-hung", *withdraw(f"e2e-hung-{index}"))
        body = expect_failure(answers[index], 503, "unavailable", "unavailable", "a caller beyond the bulkhead")
        expect(body["failure"]["code"] == "bulkhead_full", f"bulkhead_full: {body}")
        expect(answers[index][2] < 2.0, f"refused at once, not after the 3 s timeout: {answers[index][2]:.2f} s")
    for thread in threads:
        thread.join(timeout=30)
    for index in range(4):
        expect_failure(answers[index], 504, "provider_timeout", "timeout", f"hung call {index}")
    fake.mode(mode="ok")
    load = admin.provider("chain-hung")
    expect(load["calls"]["bulkhead_full"] == 6 and load["calls"]["timed_out"] == 4, f"counts: {load['calls']}")
    expect(load["in_flight"] == 0 and load["queued"] == 0, f"the bulkhead emptied: {load}")
    status, body, _ = admin.call("chain-hung", *withdraw("e2e-hung-after"))
    expect(status == 200 and body["fields"]["tx_id"] == "tx-0001", f"the provider serves again: {status} {body}")
    print("hung chain: 4 calls held (2 workers, 2 queued), 6 refused at once with bulkhead_full, all timed out in the end")


def check_breaker_and_failover(admin, pay_a, pay_b):
    """payments-a opens after 3 failures; calls by kind go to payments-b; then it recovers."""
    status, body, _ = admin.call("kind/payments", *collect("e2e-kind-healthy"))
    expect(status == 200 and body["provider"] == "payments-a", f"a healthy first provider serves the kind: {body}")

    pay_a.mode(mode="fail", status=503)
    for index in range(3):
        expect_failure(admin.call("payments-a", *collect(f"e2e-open-{index}")), 502, "provider_error", "transient",
                       f"failure {index} of payments-a")
    breaker = admin.provider("payments-a")["breaker"]
    expect(breaker["state"] == "open", f"three consecutive failures open the breaker: {breaker}")

    reached = len(pay_a.calls())
    body = expect_failure(admin.call("payments-a", *collect("e2e-while-open")), 503, "unavailable", "unavailable",
                          "a call while the breaker is open")
    expect(body["failure"]["code"] == "breaker_open", f"breaker_open: {body}")
    expect(len(pay_a.calls()) == reached, "an open breaker keeps calls away from the provider")

    status, body, _ = admin.call("kind/payments", *collect("e2e-failover"))
    expect(status == 200 and body["provider"] == "payments-b", f"calls by kind fail over to payments-b: {status} {body}")
    expect(pay_b.side_effects()["by_key"].get("e2e-failover") == 1, "payments-b collected the payment")
    expect(not pay_a.calls("e2e-failover"), "payments-a never saw the failed-over call")

    # Told to behave, the provider gets a probe once open_wait_ms (1.5 s) has passed.
    pay_a.mode(mode="ok")
    deadline = time.time() + 20
    while True:
        status, body, _ = admin.call("payments-a", *collect("e2e-recovery"))
        if status == 200:
            break
        expect(body["failure"]["code"] == "breaker_open", f"only the open breaker refuses: {status} {body}")
        expect(time.time() < deadline, "the breaker did not let a probe through within 20 s")
        time.sleep(0.2)
    breaker = admin.provider("payments-a")["breaker"]
    expect(breaker["state"] == "closed", f"a successful probe closes the breaker: {breaker}")
    expect(breaker["transitions"] >= 3, f"closed -> open -> half_open -> closed: {breaker}")
    expect(pay_a.side_effects()["by_key"].get("e2e-recovery") == 1, "the probe was performed once")

    # Operators: forced open, calls by kind go to payments-b; closed again, back to payments-a.
    expect(admin.breaker("payments-a", "force_open")["breaker"]["state"] == "forced_open", "forced open")
    status, body, _ = admin.call("kind/payments", *collect("e2e-forced"))
    expect(status == 200 and body["provider"] == "payments-b", f"forced open fails over too: {status} {body}")
    expect(admin.breaker("payments-a", "close")["breaker"]["state"] == "closed", "closed by the operator")
    status, body, _ = admin.call("kind/payments", *collect("e2e-closed-again"))
    expect(status == 200 and body["provider"] == "payments-a", f"payments-a serves again: {status} {body}")
    for fake in (pay_a, pay_b):
        effects = fake.side_effects()["by_key"]
        expect(all(count == 1 for count in effects.values()), f"no duplicate side effect: {effects}")
    print("two payments: breaker opened after 3 failures, failover to payments-b, half-open probe closed it, "
          "forced open and closed by an operator")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = tempfile.mkdtemp(prefix="ledgerflow-providers-e2e-")
    fakes, server = [], None
    try:
        for name, extra_args in (("flaky", []), ("hung", []), ("payments-a", ["--auth-value", AUTH_VALUE]),
                                 ("payments-b", ["--auth-value", AUTH_VALUE])):
            fakes.append(FakeProvider(directory, name, extra_args))
        flaky, hung, pay_a, pay_b = fakes
        config = os.path.join(directory, "providers.toml")
        with open(config, "w") as f:
            f.write(config_toml(flaky, hung, pay_a, pay_b))
        server = Server(sys.argv[1], os.path.join(directory, "data"), extra_env={"LEDGERFLOW_CONFIG": config})
        server.start()
        admin = Admin(server)
        names = sorted(admin.providers())
        expect(names[:4] == ["chain-hung", "exchange-flaky", "payments-a", "payments-b"], f"providers: {names}")
        expect(admin.provider("payments-a")["type"] == "http", "HTTP providers say so")

        check_flaky_exchange(admin, flaky)
        check_hung_bulkhead(admin, hung)
        check_breaker_and_failover(admin, pay_a, pay_b)
        expect(server.stop() == 0, "the server stops cleanly")
        print("providers_e2e: OK")
        return 0
    except Failure as failure:
        print(f"providers_e2e: FAILED: {failure}")
        if server is not None:
            print(server.log()[-4000:])
        return 1
    finally:
        # Fakes first: they must not outlive the test whatever went wrong with the server.
        for fake in fakes:
            fake.stop()
        if server is not None and server.process is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
