"""`ledgerflow watch` end to end against a real `ledgerflow serve` (docs/websocket.md):
- alice watches her account, two transfers touch it: two balance lines with the amounts, seqs
  from the receipts and cause {"kind":"transfer","id":transfer_id};
- a second watch with --since-seq 0 replays the same two events (and so does --msgpack);
- a watch that outlives a kill -9 and restart of the server resumes after the last seq it
  printed: the transfer made meanwhile arrives once, nothing is repeated;
- Ctrl-C closes cleanly (exit 0); an account outside the token gets an error line with code
  forbidden (exit 2); a bad token is refused at the upgrade (exit 2, the server's body on stderr).

Usage: ws_watch_e2e.py LEDGERFLOW_BINARY
"""
import json
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from lf_server import Server, request, transfer_body

LINE_WAIT_S = 20      # bound on waiting for one line; never a timing assertion
EXIT_WAIT_S = 30


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


class Watch:
    """One `ledgerflow watch` subprocess; its stdout lines arrive through a queue, so every
    wait is bounded."""

    def __init__(self, server, token, accounts, *flags):
        self.args = [server.binary, "watch", "--url", f"ws://127.0.0.1:{server.port}/v1/ws", "--token", token,
                     "--timeout-ms", "45000", *flags, *accounts]
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr_lines = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line)

    def stderr(self):
        return "".join(self.stderr_lines)

    def next(self):
        """The next stdout line as JSON; fails when the watch ends or stays silent."""
        try:
            line = self.lines.get(timeout=LINE_WAIT_S)
        except queue.Empty:
            raise Failure(f"no line from {self.args[1:]} within {LINE_WAIT_S} s; stderr: {self.stderr()}")
        if line is None:
            raise Failure(f"watch ended (exit {self.process.wait()}) before the expected line; stderr: {self.stderr()}")
        try:
            return json.loads(line)
        except ValueError:
            raise Failure(f"not a JSON line: {line!r}")

    def next_of_type(self, wanted):
        message = self.next()
        expect(message.get("type") == wanted, f"expected a {wanted} line, got {message}")
        return message

    def remaining(self):
        """Every line left once the process has exited."""
        out = []
        while True:
            line = self.lines.get(timeout=LINE_WAIT_S)
            if line is None:
                return out
            out.append(json.loads(line))

    def wait(self):
        try:
            return self.process.wait(timeout=EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"watch did not exit within {EXIT_WAIT_S} s; stderr: {self.stderr()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def transfer(server, admin, key, source, target, amount):
    status, body = request(server.port, "POST", "/v1/transfers", admin, transfer_body(key, source, target, amount))
    expect(status == 201, f"transfer {key}: {status} {body}")
    return body


def expect_balance(line, receipt, side, available):
    """A balance line that reports `side` ("from" or "to") of the transfer in `receipt`."""
    expected = {"type": "balance", "account": receipt[side]["account"], "bucket": "banking/USD",
                "available": available, "held": "0.00", "seq": receipt[side]["seq"],
                "cause": {"kind": "transfer", "id": receipt["transfer_id"]}}
    got = {key: line.get(key) for key in expected}
    expect(got == expected, f"balance line {line} does not match {expected}")
    expect(isinstance(line.get("ts"), str) and line["ts"].endswith("Z"), f"ts: {line}")
    expect(isinstance(line.get("durable_us"), int), f"durable_us: {line}")


def stable(line):
    """A balance line without durable_us, which says when this server learned of it."""
    return {key: value for key, value in line.items() if key != "durable_us"}


def live_events(server, admin, alice):
    """Alice watches; a deposit and a payment to bob give two balance lines."""
    watch = Watch(server, alice, ["user:alice"], "--count", "2")
    try:
        subscribed = watch.next_of_type("subscribed")
        expect(subscribed["accounts"][0]["account"] == "user:alice", f"subscribed: {subscribed}")
        deposit = transfer(server, admin, "ws-e2e-1", "system:bank", "user:alice", "100.00")
        payment = transfer(server, admin, "ws-e2e-2", "user:alice", "user:bob", "30.00")
        first, second = watch.next_of_type("balance"), watch.next_of_type("balance")
        expect_balance(first, deposit, "to", "100.00")
        expect_balance(second, payment, "from", "70.00")
        expect(first["seq"] < second["seq"], f"seq does not increase: {first['seq']}, {second['seq']}")
        expect(watch.wait() == 0, f"--count 2 did not exit 0: {watch.process.returncode} {watch.stderr()}")
        expect(watch.remaining() == [], "lines after the counted events")
        return [first, second]
    finally:
        watch.kill()


def replay(server, alice, live, *flags):
    """--since-seq 0 replays the same events from the journal."""
    watch = Watch(server, alice, ["user:alice"], "--since-seq", "0", "--count", "2", *flags)
    try:
        subscribed = watch.next_of_type("subscribed")
        expect(subscribed["accounts"] == [{"account": "user:alice", "seq": 0}], f"replay subscribed: {subscribed}")
        replayed = [watch.next_of_type("balance"), watch.next_of_type("balance")]
        expect([stable(line) for line in replayed] == [stable(line) for line in live],
               f"replay {flags} differs:\n{replayed}\n{live}")
        expect(watch.wait() == 0, f"replay exit {watch.process.returncode}: {watch.stderr()}")
    finally:
        watch.kill()


def survives_restart(server, admin, alice, live):
    """A watch resumes after a kill -9 and restart: the transfer made meanwhile arrives once."""
    watch = Watch(server, alice, ["user:alice"], "--since-seq", "0", "--count", "3")
    try:
        watch.next_of_type("subscribed")
        replayed = [watch.next_of_type("balance"), watch.next_of_type("balance")]
        expect([stable(line) for line in replayed] == [stable(line) for line in live], "replay before restart")
        server.kill9()
        server.start()
        refund = transfer(server, admin, "ws-e2e-3", "user:bob", "user:alice", "5.00")
        # After the reconnection the server answers subscribed again, then the missed event.
        message = watch.next()
        while message.get("type") == "subscribed":
            # A resumption (since_seq = the last seq printed), not a fresh snapshot.
            resumed = message["accounts"][0]
            expect(resumed["seq"] == live[1]["seq"] and "balances" not in resumed, f"not resumed: {message}")
            message = watch.next()
        expect_balance(message, refund, "to", "75.00")
        expect(watch.wait() == 0, f"resumed watch exit {watch.process.returncode}: {watch.stderr()}")
        expect(watch.remaining() == [], "lines after the counted events")
        expect("reconnecting" in watch.stderr(), f"no reconnection reported: {watch.stderr()}")
    finally:
        watch.kill()


def interrupt(server, alice):
    watch = Watch(server, alice, ["user:alice"])
    try:
        watch.next_of_type("subscribed")
        watch.process.send_signal(signal.SIGINT)
        expect(watch.wait() == 0, f"Ctrl-C exit {watch.process.returncode}: {watch.stderr()}")
    finally:
        watch.kill()


def refusals(server, alice):
    watch = Watch(server, alice, ["user:bob"])
    try:
        error = watch.next_of_type("error")
        expect(error.get("code") == "forbidden", f"foreign account: {error}")
        expect(watch.wait() == 2, f"foreign account exit {watch.process.returncode}: {watch.stderr()}")
    finally:
        watch.kill()
    watch = Watch(server, alice + "x", ["user:alice"])
    try:
        expect(watch.wait() == 2, f"bad token exit {watch.process.returncode}: {watch.stderr()}")
        expect("401" in watch.stderr() and "unauthorized" in watch.stderr(), f"bad token stderr: {watch.stderr()}")
        expect(watch.remaining() == [], "a refused watch printed lines")
    finally:
        watch.kill()


def main(binary):
    data_dir = tempfile.mkdtemp(prefix="lf-ws-watch-e2e-")
    server = Server(binary, data_dir)
    try:
        server.start()
        admin = server.token()
        alice = server.token(sub="alice", role="user", accounts=["user:alice"])
        live = live_events(server, admin, alice)
        replay(server, alice, live)
        replay(server, alice, live, "--msgpack")
        survives_restart(server, admin, alice, live)
        interrupt(server, alice)
        refusals(server, alice)
        print("ws watch e2e: ok")
        return 0
    except Failure as failure:
        print(f"ws watch e2e FAILED: {failure}\n--- server log ---\n{server.log()}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
