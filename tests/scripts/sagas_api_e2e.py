"""Saga routes and `ledgerflow saga` end to end, against the real `ledgerflow serve` with its
sandbox providers:

  auth          no token 401; a user token starting a saga for another account 403; reading
                a saga the owner may (200), another user may not (403); listing needs admin
  validation    an unknown type, params that are not strings, a bad state filter: 400
  idempotency   the same start again answers the same id; the same key with another amount
                is 422 idempotency_mismatch
  lifecycle     a deposit_to_invest runs to completed; the list's state filter finds it;
                pausing a completed saga is 409 conflict
  CLI           `ledgerflow saga start/show/list` print the same ids (no --token: it signs
                an admin token with the configured secret); errors exit 1, usage errors 2

Usage: sagas_api_e2e.py LEDGERFLOW_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from lf_server import Server, request

SAGA_DONE_WAIT_S = 30  # a bound, not a measurement: the sandbox answers in milliseconds
TERMINAL = ("completed", "compensated", "failed")


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def error_code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def deposit(key, amount="100.00", account="user:alice"):
    return {"type": "deposit_to_invest", "idempotency_key": key,
            "params": {"account": account, "amount": amount, "currency": "USD", "asset": "BTC"}}


class Client:
    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.admin = server.token()
        self.alice = server.token(sub="alice", role="user", accounts=["user:alice"])
        self.bob = server.token(sub="bob", role="user", accounts=["user:bob"])

    def call(self, method, path, token=None, body=None):
        return request(self.port, method, path, token=token, body=body)

    def wait_terminal(self, saga_id):
        deadline = time.time() + SAGA_DONE_WAIT_S
        while True:
            status, body = self.call("GET", f"/v1/sagas/{saga_id}", token=self.admin)
            expect(status == 200, f"GET saga while waiting: {status} {body}")
            if body["state"] in TERMINAL:
                return body
            expect(time.time() < deadline, f"saga {saga_id} not terminal after {SAGA_DONE_WAIT_S} s: {body}")
            time.sleep(0.1)

    def cli(self, *args, token=None):
        env = dict(self.server.env, LEDGERFLOW_URL=f"http://127.0.0.1:{self.port}")
        env.pop("LEDGERFLOW_TOKEN", None)
        if token:
            env["LEDGERFLOW_TOKEN"] = token
        return subprocess.run([self.server.binary, "saga", *args], env=env, capture_output=True, text=True,
                              timeout=60)


def check_auth_and_validation(client):
    status, body = client.call("POST", "/v1/sagas", body=deposit("auth-1"))
    expect(status == 401 and error_code(body) == "unauthorized", f"no token: {status} {body}")
    status, body = client.call("POST", "/v1/sagas", token=client.bob, body=deposit("auth-2"))
    expect(status == 403 and error_code(body) == "forbidden", f"bob for alice: {status} {body}")
    bad_type = dict(deposit("bad-type"), type="no_such_saga")
    status, body = client.call("POST", "/v1/sagas", token=client.admin, body=bad_type)
    expect(status == 400 and error_code(body) == "bad_request", f"unknown type: {status} {body}")
    not_strings = deposit("not-strings")
    not_strings["params"]["amount"] = 100.0
    status, body = client.call("POST", "/v1/sagas", token=client.admin, body=not_strings)
    expect(status == 400 and error_code(body) == "bad_request" and "amount" in body["error"]["message"],
           f"a number amount: {status} {body}")
    status, body = client.call("POST", "/v1/sagas", token=client.admin, body="[1,2]")
    expect(status == 400 and error_code(body) == "bad_request", f"not an object: {status} {body}")
    status, body = client.call("GET", "/v1/sagas?state=finished", token=client.admin)
    expect(status == 400 and error_code(body) == "bad_request", f"bad state filter: {status} {body}")
    status, body = client.call("GET", "/v1/sagas", token=client.alice)
    expect(status == 403, f"a user lists sagas: {status} {body}")


def check_start_and_idempotency(client):
    status, first = client.call("POST", "/v1/sagas", token=client.admin, body=deposit("dep-alice-1"))
    expect(status == 202, f"admin start: {status} {first}")
    saga_id = first.get("id", "")
    expect(saga_id.startswith("sg_"), f"an id: {first}")
    expect(first["type"] == "deposit_to_invest" and first["account"] == "user:alice", f"document: {first}")
    expect(first["params"]["amount"] == "100.00", f"params as sent: {first}")
    status, again = client.call("POST", "/v1/sagas", token=client.admin, body=deposit("dep-alice-1"))
    expect(status == 202 and again.get("id") == saga_id, f"same key, same body: {status} {again}")
    status, body = client.call("POST", "/v1/sagas", token=client.admin, body=deposit("dep-alice-1", amount="5.00"))
    expect(status == 422 and error_code(body) == "idempotency_mismatch", f"same key, other amount: {status} {body}")
    status, own = client.call("POST", "/v1/sagas", token=client.alice, body=deposit("dep-alice-own", amount="1.00"))
    expect(status == 202 and own["account"] == "user:alice", f"alice starts her own: {status} {own}")
    return saga_id, own["id"]


def check_read_and_list(client, saga_id, other_id):
    status, body = client.call("GET", f"/v1/sagas/{saga_id}", token=client.alice)
    expect(status == 200 and body["id"] == saga_id, f"owner reads: {status} {body}")
    expect(isinstance(body.get("steps"), list) and body["steps"], f"steps shown: {body}")
    status, body = client.call("GET", f"/v1/sagas/{saga_id}", token=client.bob)
    expect(status == 403 and error_code(body) == "forbidden", f"bob reads alice's: {status} {body}")
    status, body = client.call("GET", "/v1/sagas/sg_00000000000000000000000000000000", token=client.admin)
    expect(status == 404 and error_code(body) == "not_found", f"no such saga: {status} {body}")
    done = client.wait_terminal(saga_id)
    expect(done["state"] == "completed", f"the deposit completes: {done}")
    client.wait_terminal(other_id)
    status, body = client.call("GET", "/v1/sagas?state=completed&account=user%3Aalice&limit=1000", token=client.admin)
    expect(status == 200, f"list completed: {status} {body}")
    listed = [saga["id"] for saga in body["sagas"]]
    expect(saga_id in listed, f"{saga_id} among the completed: {listed}")
    expect(all(saga["state"] == "completed" for saga in body["sagas"]), f"only completed: {body}")
    status, body = client.call("GET", "/v1/sagas?state=running", token=client.admin)
    expect(status == 200 and saga_id not in [s["id"] for s in body["sagas"]], f"not among running: {body}")
    status, body = client.call("GET", "/v1/sagas?limit=1", token=client.admin)
    expect(status == 200 and len(body["sagas"]) == 1, f"limit 1: {body}")


def check_steer(client, saga_id):
    status, body = client.call("POST", f"/v1/sagas/{saga_id}/pause", token=client.admin)
    expect(status == 409 and error_code(body) == "conflict", f"pause a completed saga: {status} {body}")
    status, body = client.call("POST", f"/v1/sagas/{saga_id}/pause", token=client.alice)
    expect(status == 403, f"a user steers: {status} {body}")


def check_cli(client, saga_id):
    started = client.cli("start", "deposit_to_invest", "--param", "account=user:alice", "--param", "amount=100.00",
                         "--param", "currency=USD", "--param", "asset=BTC", "--idempotency-key", "dep-alice-1")
    expect(started.returncode == 0, f"cli start: {started.returncode} {started.stderr}")
    lines = started.stdout.strip().splitlines()
    expect(len(lines) == 1 and json.loads(lines[0])["id"] == saga_id, f"cli start, same key, same id: {started.stdout}")
    fresh = client.cli("start", "deposit_to_invest", "--param", "account=user:alice", "--param", "amount=2.00",
                       "--param", "currency=USD", "--param", "asset=BTC")
    expect(fresh.returncode == 0 and "idempotency_key: " in fresh.stderr, f"cli start, random key: {fresh.stderr}")
    fresh_id = json.loads(fresh.stdout)["id"]
    expect(fresh_id != saga_id, "a random key starts another saga")
    shown = client.cli("show", saga_id, token=client.alice)
    expect(shown.returncode == 0 and json.loads(shown.stdout)["id"] == saga_id, f"cli show: {shown.stdout} {shown.stderr}")
    client.wait_terminal(fresh_id)
    listed = client.cli("list", "--state", "completed", "--account", "user:alice")
    expect(listed.returncode == 0, f"cli list: {listed.stderr}")
    ids = [json.loads(line)["id"] for line in listed.stdout.strip().splitlines()]
    expect(saga_id in ids and fresh_id in ids, f"cli list shows both: {ids}")
    paused = client.cli("pause", saga_id)
    expect(paused.returncode == 1 and "conflict" in paused.stderr, f"cli pause completed: {paused.returncode} {paused.stderr}")
    missing = client.cli("show", "sg_00000000000000000000000000000000")
    expect(missing.returncode == 1 and "not_found" in missing.stderr, f"cli show missing: {missing.stderr}")
    forbidden = client.cli("show", saga_id, token=client.bob)
    expect(forbidden.returncode == 1 and "forbidden" in forbidden.stderr, f"cli show as bob: {forbidden.stderr}")
    usage = client.cli("show")
    expect(usage.returncode == 2, f"cli usage error exits 2: {usage.returncode}")
    bad_param = client.cli("start", "deposit_to_invest", "--param", "account")
    expect(bad_param.returncode == 2, f"--param without '=' exits 2: {bad_param.returncode}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = tempfile.mkdtemp(prefix="ledgerflow-sagas-e2e-")
    server = None
    try:
        server = Server(sys.argv[1], os.path.join(directory, "data"))
        server.start()
        client = Client(server)
        check_auth_and_validation(client)
        saga_id, other_id = check_start_and_idempotency(client)
        check_read_and_list(client, saga_id, other_id)
        check_steer(client, saga_id)
        check_cli(client, saga_id)
        expect(server.stop() == 0, "the server stops cleanly")
        print("sagas_api_e2e: OK")
        return 0
    except (Failure, KeyError, ValueError, TypeError) as failure:
        print(f"sagas_api_e2e: FAILED: {failure!r}")
        if server is not None:
            print(server.log()[-4000:])
        return 1
    finally:
        if server is not None and server.process is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
