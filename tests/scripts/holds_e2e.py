"""Holds end to end through the real binary: fund an account, hold part of it, post part of
the hold to another account, release a second hold, repeat every key (same answers, money
moved once), restart the server and repeat again, list the open holds, then stop it and run
`ledgerflow check`.

Usage: holds_e2e.py LEDGERFLOW_BINARY
"""
import shutil
import sys
import tempfile

from lf_server import Server, request, transfer_body


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def balance(server, token, account, bucket="banking/USD"):
    status, body = request(server.port, "GET", f"/v1/accounts/{account}", token)
    expect(status == 200, f"GET {account}: {status} {body}")
    for found in body["balances"]:
        if found["bucket"] == bucket:
            return found["available"], found["held"]
    return "0.00", "0.00"


def open_holds(server, token):
    status, body = request(server.port, "GET", "/v1/accounts/user:alice/holds", token)
    expect(status == 200, f"GET holds: {status} {body}")
    return body["holds"]


def run_operations(server, token):
    """Every operation of the scenario, by fixed keys; returns the answers in order."""
    answers = []
    status, held = request(server.port, "POST", "/v1/holds", token, {
        "idempotency_key": "e2e-hold-1", "account": "user:alice", "bucket": "banking/USD", "amount": "60.00"})
    expect(status == 201, f"hold: {status} {held}")
    answers.append(held)
    status, posted = request(server.port, "POST", f"/v1/holds/{held['hold_id']}/post", token, {
        "idempotency_key": "e2e-post-1", "account": "user:alice",
        "to": {"account": "system:exchange", "bucket": "banking/USD"}, "amount": "45.50"})
    expect(status == 201, f"post: {status} {posted}")
    answers.append(posted)
    status, second = request(server.port, "POST", "/v1/holds", token, {
        "idempotency_key": "e2e-hold-2", "account": "user:alice", "bucket": "banking/USD", "amount": "10.00"})
    expect(status == 201, f"second hold: {status} {second}")
    answers.append(second)
    status, released = request(server.port, "POST", f"/v1/holds/{second['hold_id']}/release", token, {
        "idempotency_key": "e2e-release-2", "account": "user:alice"})
    expect(status == 200, f"release: {status} {released}")
    answers.append(released)
    return answers


def check_balances(server, token):
    expect(balance(server, token, "user:alice") == ("54.50", "0.00"),
           f"alice: {balance(server, token, 'user:alice')}")
    expect(balance(server, token, "system:exchange") == ("45.50", "0.00"),
           f"exchange: {balance(server, token, 'system:exchange')}")


def main(binary):
    data_dir = tempfile.mkdtemp(prefix="lf-holds-e2e-")
    server = Server(binary, data_dir)
    try:
        server.start()
        token = server.token()
        status, body = request(server.port, "POST", "/v1/transfers", token,
                               transfer_body("e2e-fund", "system:bank", "user:alice", "100.00"))
        expect(status == 201, f"funding: {status} {body}")
        first = run_operations(server, token)
        expect(first[0]["state"] == "held" and first[3]["state"] == "released", f"states: {first}")
        expect(first[1]["hold_id"] == first[0]["hold_id"], f"post names its hold: {first[1]}")
        check_balances(server, token)
        expect(run_operations(server, token) == first, "repeated keys gave other answers")
        check_balances(server, token)
        status, body = request(server.port, "POST", "/v1/holds", token, {
            "idempotency_key": "e2e-hold-1", "account": "user:alice", "bucket": "banking/USD", "amount": "61.00"})
        expect(status == 422 and body["error"]["code"] == "idempotency_mismatch", f"reused key: {status} {body}")
        expect(server.stop() == 0, "server did not stop cleanly")
        server.start()
        expect(run_operations(server, token) == first, "answers changed across a restart")
        check_balances(server, token)
        expect(open_holds(server, token) == [], "posted and released holds are still listed")
        status, third = request(server.port, "POST", "/v1/holds", token, {
            "idempotency_key": "e2e-hold-3", "account": "user:alice", "bucket": "banking/USD", "amount": "5.00"})
        expect(status == 201, f"third hold: {status} {third}")
        listed = open_holds(server, token)
        expect(listed == [{"hold_id": third["hold_id"], "bucket": "banking/USD", "amount": "5.00"}],
               f"open holds: {listed}")
        expect(balance(server, token, "user:alice") == ("49.50", "5.00"), "the third hold is not held")
        expect(server.stop() == 0, "server did not stop cleanly after the restart")
        checked = server.check()
        expect(checked.returncode == 0, f"check failed: {checked.stdout} {checked.stderr}")
        print("holds e2e: ok")
        return 0
    except Failure as failure:
        print(f"holds e2e FAILED: {failure}\n--- server log ---\n{server.log()}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
