"""Bad input, end to end: start the real server, fund one account, then send every kind of bad
request and assert the exact HTTP status and error code, that the server stays healthy after
each one, and that none of them wrote anything; finally stop it cleanly and run `check`.

Usage: bad_input_e2e.py LEDGERFLOW_BINARY
"""
import base64
import hashlib
import hmac
import http.client
import json
import shutil
import sys
import tempfile
import time

from lf_server import SECRET, Server, request, transfer_body

FUNDING_KEY = "bad-input-e2e-fund-alice"
BODY_BYTES_MAX = 64 * 1024


class Failure(Exception):
    pass


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft_token(header, claims, secret=None):
    """A compact JWT; signed with HS256 over `secret` when given, else with an empty signature."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = b"" if secret is None else hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def admin_claims(exp_offset_s=600):
    return {"sub": "e2e-admin", "role": "admin", "accounts": [], "exp": int(time.time()) + exp_offset_s}


def probe(name):
    """A transfer body that would succeed if the server let it through: a leak shows in the final counts."""
    return transfer_body(f"bad-input-e2e-{name}", "system:bank", "user:alice", "1.00")


def with_changes(body, **changes):
    changed = json.loads(json.dumps(body))
    for dotted, value in changes.items():
        target = changed
        *parents, leaf = dotted.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return changed


def without(body, dotted):
    changed = json.loads(json.dumps(body))
    target = changed
    *parents, leaf = dotted.split(".")
    for parent in parents:
        target = target[parent]
    del target[leaf]
    return changed


def raw_request(port, method, path, headers=None, body=None, chunks=None, timeout=30):
    """Like lf_server.request, but returns the headers too and can send a chunked body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if chunks is None:
            connection.request(method, path, body=body, headers=headers or {})
        else:
            connection.putrequest(method, path)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            try:
                for chunk in chunks:
                    connection.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                connection.send(b"0\r\n\r\n")
            except OSError:
                pass  # the server may answer 413 and stop reading before the body ends
        response = connection.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, parsed, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def check_error_reply(name, request_text, status, reply, expected_status, expected_code):
    def fail(why):
        raise Failure(f"{name}: {why}\n  request:  {request_text}\n  response: {status} {reply}")
    if status != expected_status:
        fail(f"expected HTTP {expected_status}, got {status}")
    if not isinstance(reply, dict) or set(reply) != {"error"} or not isinstance(reply["error"], dict):
        fail('error body must be exactly {"error":{"code","message"}}')
    error = reply["error"]
    if set(error) != {"code", "message"}:
        fail(f"error object must hold exactly code and message, has {sorted(error)}")
    if error["code"] != expected_code:
        fail(f"expected code {expected_code!r}, got {error['code']!r}")
    if not isinstance(error["message"], str) or not error["message"]:
        fail("error message must be a non-empty string")


def describe(method, path, token, body):
    shown = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    if isinstance(shown, (str, bytes)) and len(shown) > 300:
        shown = f"{shown[:120]!r}... ({len(shown)} bytes)"
    auth = "no token" if not token else f"token {token[:24]}..."
    return f"{method} {path} ({auth}) body={shown}"


class Run:
    def __init__(self, server):
        self.server = server
        self.cases = 0

    def healthy_after(self, name):
        try:
            status, reply = request(self.server.port, "GET", "/healthz", timeout=10)
        except OSError as failure:
            raise Failure(f"{name}: /healthz did not answer afterwards: {failure}")
        if status != 200 or reply != {"status": "ok"}:
            raise Failure(f"{name}: /healthz afterwards answered {status} {reply}")
        if self.server.process.poll() is not None:
            raise Failure(f"{name}: the server exited with {self.server.process.returncode}")

    def expect(self, name, method, path, token, body, expected_status, expected_code, headers=None):
        """One bad request through lf_server.request; `headers` are checked with raw_request."""
        if headers:
            sent = {"Content-Type": "application/json"}
            if token:
                sent["Authorization"] = "Bearer " + token
            payload = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
            status, reply, got = raw_request(self.server.port, method, path, sent, payload)
            for header, value in headers.items():
                if got.get(header.lower()) != value:
                    raise Failure(f"{name}: expected header {header}: {value!r}, got {got.get(header.lower())!r}\n"
                                  f"  request:  {describe(method, path, token, body)}\n  response: {status} {reply}")
        else:
            status, reply = request(self.server.port, method, path, token, body)
        check_error_reply(name, describe(method, path, token, body), status, reply, expected_status, expected_code)
        self.healthy_after(name)
        self.cases += 1
        print(f"ok   {name}: {status} {expected_code}")

    def expect_raw(self, name, request_text, send, expected_status, expected_code):
        status, reply, _ = send()
        check_error_reply(name, request_text, status, reply, expected_status, expected_code)
        self.healthy_after(name)
        self.cases += 1
        print(f"ok   {name}: {status} {expected_code}")


def body_cases(run, admin):
    post = lambda name, body, status, code: run.expect(name, "POST", "/v1/transfers", admin, body, status, code)
    good = probe("body")

    post("malformed JSON", '{"idempotency_key": "bad-input-e2e-malformed", "from": ', 400, "bad_request")
    post("empty body", "", 400, "bad_request")
    post("body is an array", json.dumps([good]), 400, "bad_request")
    post("body is a string", json.dumps("transfer"), 400, "bad_request")
    post("body is a number", "42", 400, "bad_request")
    post("body nests deeper than 32 levels", '{"a":' + "[" * 40 + "]" * 40 + "}", 400, "bad_request")

    post("amount is a number (5)", with_changes(good, amount=5), 400, "bad_request")
    post("from is a string", with_changes(good, **{"from": "system:bank"}), 400, "bad_request")
    post("idempotency_key is a number", with_changes(good, idempotency_key=12345), 400, "bad_request")
    post("to.account is a number", with_changes(good, to__account=7), 400, "bad_request")

    for field in ("idempotency_key", "from", "to", "amount", "from.account", "to.bucket"):
        post(f"missing {field}", without(good, field), 400, "bad_request")
    post("idempotency_key of 129 characters", with_changes(good, idempotency_key="k" * 129), 400, "bad_request")
    post("idempotency_key empty", with_changes(good, idempotency_key=""), 400, "bad_request")

    for amount in ("1e5", "-3", "0.001", "99999999999999999999999999999999999999999", "", " 1",
                   "0", "0.00", "1.", ".5", "+1", "1,00", "0x10"):
        post(f"amount {amount!r}", with_changes(good, amount=amount), 400, "amount_invalid")

    post("unknown asset banking/XYZ", with_changes(good, from__bucket="banking/XYZ", to__bucket="banking/XYZ"),
         400, "unknown_asset")
    for bucket in ("savings/USD", "banking"):
        post(f"bad bucket {bucket!r}", with_changes(good, from__bucket=bucket, to__bucket=bucket), 400, "bucket_invalid")
    post("defi bucket without protocol", with_changes(good, from__bucket="defi/USD", to__bucket="defi/USD"),
         400, "bucket_invalid")
    post("bad account id 'alice' (from)", with_changes(good, from__account="alice"), 400, "account_invalid")
    post("bad account id 'user:ALICE' (to)", with_changes(good, to__account="user:ALICE"), 400, "account_invalid")
    post("mismatched assets banking/USD -> banking/EUR", with_changes(good, to__bucket="banking/EUR"),
         400, "bad_request")
    post("same bucket of the same account", with_changes(good, from__account="user:alice"), 400, "bad_request")
    post("insufficient funds (user:alice sends 100.01)",
         transfer_body("bad-input-e2e-insufficient", "user:alice", "system:bank", "100.01"), 422, "insufficient_funds")

    # Valid transfer JSON padded past the limit: 413 must come before any parsing.
    padded = dict(probe("oversized"), memo="x" * BODY_BYTES_MAX)
    post(f"oversized body ({len(json.dumps(padded))} bytes)", padded, 413, "payload_too_large")
    chunk = json.dumps(dict(probe("oversized-chunked"), memo="x" * BODY_BYTES_MAX)).encode()
    run.expect_raw("oversized chunked body", f"POST /v1/transfers chunked, {len(chunk)} bytes",
                   lambda: raw_request(run.server.port, "POST", "/v1/transfers",
                                       {"Authorization": "Bearer " + admin, "Content-Type": "application/json"},
                                       chunks=[chunk[i:i + 4096] for i in range(0, len(chunk), 4096)]),
                   413, "payload_too_large")


def auth_cases(run, alice):
    body = probe("auth")
    run.expect("missing token", "POST", "/v1/transfers", None, body, 401, "unauthorized",
               headers={"WWW-Authenticate": "Bearer"})
    run.expect_raw("Authorization scheme Basic", "POST /v1/transfers with Authorization: Basic ...",
                   lambda: raw_request(run.server.port, "POST", "/v1/transfers",
                                       {"Authorization": "Basic ZTJlOmUyZQ=="}, json.dumps(body)),
                   401, "unauthorized")
    run.expect("token not a JWT", "POST", "/v1/transfers", "not-a-jwt", body, 401, "unauthorized")
    hs256 = {"alg": "HS256", "typ": "JWT"}
    run.expect("forged token (other secret)", "POST", "/v1/transfers",
               craft_token(hs256, admin_claims(), "not-" + SECRET), body, 401, "unauthorized")
    run.expect("token with alg none", "POST", "/v1/transfers",
               craft_token({"alg": "none", "typ": "JWT"}, admin_claims()), body, 401, "unauthorized")
    run.expect("token with alg none and a valid HS256 signature", "POST", "/v1/transfers",
               craft_token({"alg": "none", "typ": "JWT"}, admin_claims(), SECRET), body, 401, "unauthorized")
    run.expect("expired token (exp 60 s ago)", "POST", "/v1/transfers",
               craft_token(hs256, admin_claims(-60), SECRET), body, 401, "unauthorized")
    run.expect("token without exp", "POST", "/v1/transfers",
               craft_token(hs256, {"sub": "e2e-admin", "role": "admin"}, SECRET), body, 401, "unauthorized")
    run.expect("token with role root", "POST", "/v1/transfers",
               craft_token(hs256, dict(admin_claims(), role="root"), SECRET), body, 401, "unauthorized")
    run.expect("expired token reading an account", "GET", "/v1/accounts/user:alice",
               craft_token(hs256, admin_claims(-60), SECRET), None, 401, "unauthorized")

    run.expect("user token posting a transfer", "POST", "/v1/transfers", alice, body, 403, "forbidden")
    run.expect("user token reading another user's account", "GET", "/v1/accounts/user:bob", alice, None,
               403, "forbidden")
    run.expect("user token reading another account's entries", "GET", "/v1/accounts/system:bank/entries", alice,
               None, 403, "forbidden")


def routing_cases(run, admin, alice):
    run.expect("unknown route", "GET", "/v1/nope", admin, None, 404, "not_found")
    run.expect("unknown route without token", "GET", "/v1/nope", None, None, 404, "not_found")
    run.expect("wrong method DELETE /v1/transfers", "DELETE", "/v1/transfers", admin, None, 405,
               "method_not_allowed", headers={"Allow": "POST"})
    run.expect("wrong method GET /v1/transfers", "GET", "/v1/transfers", admin, None, 405, "method_not_allowed")
    run.expect("wrong method POST /v1/accounts/{id}", "POST", "/v1/accounts/user:alice", admin,
               probe("wrong-method"), 405, "method_not_allowed", headers={"Allow": "GET, HEAD"})
    run.expect("bad account id in path", "GET", "/v1/accounts/alice", admin, None, 400, "account_invalid")
    run.expect("user token, bad account id in path", "GET", "/v1/accounts/user:ALICE", alice, None,
               400, "account_invalid")
    for query in ("limit=0", "limit=1001", "limit=x", "after_seq=-1"):
        run.expect(f"entries ?{query}", "GET", f"/v1/accounts/user:alice/entries?{query}", admin, None,
                   400, "bad_request")


def idempotency_cases(run, admin):
    run.expect("same idempotency key, different amount", "POST", "/v1/transfers", admin,
               transfer_body(FUNDING_KEY, "system:bank", "user:alice", "50.00"), 422, "idempotency_mismatch")
    run.expect("same idempotency key, different target", "POST", "/v1/transfers", admin,
               transfer_body(FUNDING_KEY, "system:bank", "user:bob", "100.00"), 422, "idempotency_mismatch")


def hold_cases(run, admin, alice):
    """Bad hold requests; each would write an entry for user:alice if it got through."""
    good = {"idempotency_key": "bad-input-e2e-hold", "account": "user:alice", "bucket": "banking/USD",
            "amount": "1.00"}
    hold = lambda name, body, status, code, token=admin: run.expect(name, "POST", "/v1/holds", token, body, status,
                                                                     code)
    hold("hold: malformed JSON", '{"idempotency_key": ', 400, "bad_request")
    hold("hold: missing idempotency_key", without(good, "idempotency_key"), 400, "bad_request")
    hold("hold: account is a number", with_changes(good, account=7), 400, "bad_request")
    hold("hold: bad account id 'alice'", with_changes(good, account="alice"), 400, "account_invalid")
    hold("hold: unknown asset banking/XYZ", with_changes(good, bucket="banking/XYZ"), 400, "unknown_asset")
    for amount in ("1e5", "-3", "0.001", "0"):
        hold(f"hold: amount {amount!r}", with_changes(good, amount=amount), 400, "amount_invalid")
    hold("hold: more than available (100.01)", with_changes(good, amount="100.01"), 422, "insufficient_funds")
    hold("hold: user token", good, 403, "forbidden", token=alice)
    hold("hold: no token", good, 401, "unauthorized", token=None)
    action = {"idempotency_key": "bad-input-e2e-hold-action", "account": "user:alice"}
    run.expect("release: no such hold", "POST", "/v1/holds/hd_nope/release", admin, action, 404, "not_found")
    run.expect("release: hold id of 129 characters", "POST", f"/v1/holds/{'h' * 129}/release", admin, action,
               400, "bad_request")
    post = dict(action, to={"account": "system:bank", "bucket": "banking/USD"}, amount="1.00")
    run.expect("post: no such hold", "POST", "/v1/holds/hd_nope/post", admin, post, 404, "not_found")
    run.expect("post: bad destination account", "POST", "/v1/holds/hd_nope/post", admin,
               with_changes(post, to__account="bank"), 400, "account_invalid")
    run.expect("post: amount '0.001'", "POST", "/v1/holds/hd_nope/post", admin, with_changes(post, amount="0.001"),
               400, "amount_invalid")


def entries_of(port, token, account):
    status, page = request(port, "GET", f"/v1/accounts/{account}/entries?after_seq=0&limit=1000", token)
    if status != 200:
        raise Failure(f"entries of {account}: {status} {page}")
    return page["entries"]


def verify_nothing_written(run, admin, funding):
    port = run.server.port
    status, again = request(port, "POST", "/v1/transfers", admin,
                            transfer_body(FUNDING_KEY, "system:bank", "user:alice", "100.00"))
    if status != 201 or again.get("transfer_id") != funding["transfer_id"]:
        raise Failure(f"idempotent replay of the funding transfer: expected 201 with transfer_id "
                      f"{funding['transfer_id']}, got {status} {again}")
    print(f"ok   idempotent replay of the funding transfer: 201 {again['transfer_id']}")
    for account, kind in (("user:alice", "credit"), ("system:bank", "debit")):
        entries = entries_of(port, admin, account)
        if len(entries) != 1:
            raise Failure(f"{account} must have exactly the funding entry, has {len(entries)}: {entries}")
        entry = entries[0]
        if (entry["seq"], entry["kind"], entry["amount"], entry["cause"]["id"]) != (1, kind, "100.00",
                                                                                    funding["transfer_id"]):
            raise Failure(f"{account}'s only entry is not the funding {kind}: {entry}")
        print(f"ok   {account} has exactly 1 entry (the funding {kind})")
    status, account = request(port, "GET", "/v1/accounts/user:alice", admin)
    expected = {"id": "user:alice", "seq": 1,
                "balances": [{"bucket": "banking/USD", "available": "100.00", "held": "0.00"}]}
    if status != 200 or account != expected:
        raise Failure(f"user:alice after the bad requests: expected {expected}, got {status} {account}")
    print("ok   user:alice still holds 100.00 USD at seq 1")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data_dir = tempfile.mkdtemp(prefix="ledgerflow-bad-input-")
    server = Server(sys.argv[1], data_dir)
    try:
        server.start()
        admin = server.token(sub="e2e-admin", role="admin")
        alice = server.token(sub="alice", role="user", accounts=["user:alice"])
        status, funding = request(server.port, "POST", "/v1/transfers", admin,
                                  transfer_body(FUNDING_KEY, "system:bank", "user:alice", "100.00"))
        if status != 201:
            raise Failure(f"funding system:bank -> user:alice 100.00 USD: {status} {funding}")
        print(f"ok   funded user:alice with 100.00 USD ({funding['transfer_id']})")

        run = Run(server)
        body_cases(run, admin)
        auth_cases(run, alice)
        routing_cases(run, admin, alice)
        idempotency_cases(run, admin)
        hold_cases(run, admin, alice)
        verify_nothing_written(run, admin, funding)

        code = server.stop()
        if code != 0:
            raise Failure(f"SIGTERM: the server exited with {code}, expected 0")
        print("ok   SIGTERM: the server exited with 0")
        report = server.check()
        if report.returncode != 0:
            raise Failure(f"ledgerflow check exited with {report.returncode}:\n{report.stdout}{report.stderr}")
        print("ok   ledgerflow check exits 0")
        print(f"ok: {run.cases} bad requests answered with the right status and code; nothing was written")
        return 0
    except Exception as failure:  # a readable failure with the server's last words
        print(f"FAILED: {failure}", file=sys.stderr)
        try:
            log_lines = server.log().splitlines()[-40:]
        except OSError:
            log_lines = ["(no server log)"]
        print("--- server log (tail) ---\n" + "\n".join(log_lines), file=sys.stderr)
        return 1
    finally:
        if server.process and server.process.poll() is None:
            server.kill9()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
