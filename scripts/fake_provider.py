#!/usr/bin/env python3
"""A fake external provider (payments, exchange, chain, defi) for tests and the README demo.

It speaks the wire protocol of the HTTP provider adapter (providers/http/): every operation of
protocols/provider_operations.hpp is `POST /v1/{kind}/{operation}` with a JSON object of string
fields, answered 200 with a JSON object of string fields. It deduplicates mutating calls by their
`Idempotency-Key` the way a real provider must (a repeat returns the first answer and does
nothing), records every call, and can be told to fail, hang, slow down or reset connections, so
tests can count duplicate side effects after retries and timeouts.

    python3 scripts/fake_provider.py --port 0 --port-file PATH [--auth-value V]
        [--price BTC:USD=65000.00] [--block-ms 200] [--tls-cert PEM --tls-key PEM]

Control endpoints (no auth):
    GET  /_fake/calls         every call: kind, operation, idempotency_key, body, status, side_effect, ts_ms
    GET  /_fake/side_effects  {"by_key": {key: count}, "total": n}
    GET  /_fake/connections   {"accepted": n, "open": n, "open_max": n} of connections that carried calls
    GET  /_fake/mode          the current mode
    POST /_fake/mode          {"mode": "ok|fail|hang|slow|reset|fail_after_effect", "status": 503,
                               "delay_ms": 1500, "count": N, "operations": ["collect"]}
    POST /_fake/reset         forgets calls, side effects, connections counts and the mode

Python standard library only.
"""
import argparse
import json
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
from decimal import Decimal, InvalidOperation, ROUND_DOWN
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The table of protocols/provider_operations.cpp: kind -> operation -> (mutating, call fields).
OPERATIONS = {
    "payments": {"collect": (True, ["account", "amount", "currency"]),
                 "refund": (True, ["payment_id", "amount", "currency"])},
    "exchange": {"quote": (False, ["asset", "currency", "side", "amount"]),
                 "buy": (True, ["asset", "currency", "fiat_amount"]),
                 "sell": (True, ["asset", "currency", "asset_amount"])},
    "chain": {"withdraw": (True, ["asset", "amount", "address"]),
              "confirmations": (False, ["tx_id"])},
    "defi": {"supply": (True, ["protocol", "asset", "amount"]),
             "withdraw": (True, ["protocol", "asset", "amount"])},
}
DECIMALS = {"BTC": 8, "ETH": 18, "USDC": 6, "USD": 2, "EUR": 2, "GBP": 2}
DEFAULT_PRICES = {("BTC", "USD"): Decimal("50000.00"), ("ETH", "USD"): Decimal("2500.00")}
MODES = ("ok", "fail", "hang", "slow", "reset", "fail_after_effect")
BODY_BYTES_MAX = 64 * 1024
HANG_SECONDS_MAX = 600  # a hung request is let go at the latest after this, so threads never leak


def now_ms():
    return int(time.time() * 1000)


class Refusal(Exception):
    """A call the provider refuses: answered `status` with {"error": {code, message}}."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_amount(fields, name):
    try:
        value = Decimal(fields[name])
    except InvalidOperation:
        raise Refusal(400, "bad_amount", f'"{name}" is not a decimal number: {fields[name]!r}')
    if not value.is_finite() or value <= 0:
        raise Refusal(400, "bad_amount", f'"{name}" must be positive: {fields[name]!r}')
    return value


def text(value, decimals):
    """The decimal string of `value` with `decimals` places, rounded down (never pay out more)."""
    # "f": never the exponent form str() gives small amounts ("2.0E-7"), which no ledger parses
    return format(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN), "f")


class Provider:
    """What the fake provider knows: ids, payments, trades, transactions, positions. Callers
    hold `lock` (the server's one lock) around every method."""

    def __init__(self, prices, block_ms):
        self.prices, self.block_ms = prices, block_ms
        self.counters = {}
        self.payments = {}      # payment_id -> [amount, refunded]
        self.transactions = {}  # tx_id -> ms at withdraw
        self.positions = {}     # (protocol, asset) -> amount

    def next_id(self, prefix, width=0):
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]:0{width}d}"

    def price(self, fields):
        pair = (fields["asset"], fields["currency"])
        if pair not in self.prices:
            raise Refusal(422, "no_price", f"no price for {pair[0]} in {pair[1]}")
        return self.prices[pair]

    def convert(self, fields, fiat=None, asset=None):
        """Fiat to asset or asset to fiat at the table price, each rounded down to its decimals."""
        price = self.price(fields)
        if fiat is not None:
            asset = fiat / price
        else:
            fiat = asset * price
        asset_text = text(asset, DECIMALS.get(fields["asset"], 8))
        fiat_text = text(fiat, DECIMALS.get(fields["currency"], 2))
        if Decimal(asset_text) == 0 or Decimal(fiat_text) == 0:
            raise Refusal(422, "amount_too_small", "the amount rounds down to zero")
        return {"asset_amount": asset_text, "fiat_amount": fiat_text, "price": str(price)}

    def perform(self, kind, operation, fields):
        """Does the operation and returns its result fields; raises Refusal."""
        return getattr(self, f"{kind}_{operation}")(fields)

    def payments_collect(self, f):
        amount = parse_amount(f, "amount")
        payment_id = self.next_id("pay")
        self.payments[payment_id] = [amount, Decimal(0)]
        return {"payment_id": payment_id, "amount": f["amount"], "currency": f["currency"]}

    def payments_refund(self, f):
        amount = parse_amount(f, "amount")
        payment = self.payments.get(f["payment_id"])
        if payment is None:
            raise Refusal(404, "unknown_payment", f"no payment {f['payment_id']!r}")
        if payment[1] + amount > payment[0]:
            raise Refusal(422, "refund_exceeds_payment", "the refunds would exceed the payment")
        payment[1] += amount
        return {"refund_id": self.next_id("ref")}

    def exchange_quote(self, f):
        amount = parse_amount(f, "amount")
        if f["side"] not in ("buy", "sell"):
            raise Refusal(400, "bad_side", 'side must be "buy" or "sell"')
        # Buying spends `amount` of fiat; selling sells `amount` of the asset.
        converted = self.convert(f, fiat=amount) if f["side"] == "buy" else self.convert(f, asset=amount)
        return {"quote_id": self.next_id("quote"), **converted}

    def exchange_buy(self, f):
        converted = self.convert(f, fiat=parse_amount(f, "fiat_amount"))
        return {"trade_id": self.next_id("trade"), **converted}

    def exchange_sell(self, f):
        converted = self.convert(f, asset=parse_amount(f, "asset_amount"))
        return {"trade_id": self.next_id("trade"), **converted}

    def chain_withdraw(self, f):
        parse_amount(f, "amount")
        if not f["address"]:
            raise Refusal(400, "bad_address", "the address is empty")
        tx_id = self.next_id("tx", 4)
        self.transactions[tx_id] = now_ms()
        return {"tx_id": tx_id}

    def chain_confirmations(self, f):
        sent_ms = self.transactions.get(f["tx_id"])
        if sent_ms is None:
            raise Refusal(404, "unknown_transaction", f"no transaction {f['tx_id']!r}")
        return {"tx_id": f["tx_id"], "confirmations": str((now_ms() - sent_ms) // self.block_ms)}

    def defi_supply(self, f):
        key = (f["protocol"], f["asset"])
        self.positions[key] = self.positions.get(key, Decimal(0)) + parse_amount(f, "amount")
        return {"position_id": self.next_id("pos"), "amount": f["amount"]}

    def defi_withdraw(self, f):
        key, amount = (f["protocol"], f["asset"]), parse_amount(f, "amount")
        if self.positions.get(key, Decimal(0)) < amount:
            raise Refusal(422, "insufficient_position", f"less than {f['amount']} {f['asset']} supplied to {f['protocol']}")
        self.positions[key] -= amount
        return {"amount": f["amount"]}


class Fake:
    """The server's state: the provider, the idempotency store, the call log and the mode."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.prices = dict(DEFAULT_PRICES)
        self.prices.update(args.price)
        self.clear()

    def clear(self):
        self.provider = Provider(self.prices, self.args.block_ms)
        self.answers = {}       # idempotency key -> (request fingerprint, status, response)
        self.calls = []
        self.side_effects = {}  # idempotency key -> side effects performed
        self.mode = {"mode": "ok"}
        self.connections = {"accepted": 0, "open": 0, "open_max": 0}

    def take_mode(self, operation):
        """The mode for this call; counts it against a limited mode."""
        mode = self.mode
        if mode["mode"] == "ok":
            return mode
        if mode.get("operations") and operation not in mode["operations"]:
            return {"mode": "ok"}
        if "count" in mode:
            mode["count"] -= 1
            if mode["count"] <= 0:
                self.mode = {"mode": "ok"}
        return mode


def parse_mode(body):
    mode = body.get("mode")
    if mode not in MODES:
        raise Refusal(400, "bad_mode", f"mode must be one of {', '.join(MODES)}")
    result = {"mode": mode, "status": int(body.get("status", 503)), "delay_ms": int(body.get("delay_ms", 1000))}
    if "count" in body:
        result["count"] = int(body["count"])
    if body.get("operations"):
        result["operations"] = [str(name) for name in body["operations"]]
    return result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients may reuse connections
    server_version = "fake-provider/1"
    timeout = 120  # an idle keep-alive connection is closed after this

    # -- connection accounting, so tests can check a client's connection reuse: only connections
    # that carried a provider call count (not the tests' own control requests)

    counted_in = None  # the counts this connection was added to (a reset starts new ones)

    def count_connection(self):
        if self.counted_in is not None:
            return
        with self.fake.lock:
            self.counted_in = counts = self.fake.connections
            counts["accepted"] += 1
            counts["open"] += 1
            counts["open_max"] = max(counts["open_max"], counts["open"])

    def setup(self):
        # TLS: the handshake runs here, on the connection's own thread, not in accept().
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.counted_in is not None:
                with self.fake.lock:
                    self.counted_in["open"] -= 1

    @property
    def fake(self):
        return self.server.fake

    def log_message(self, format, *args):
        if self.fake.args.verbose:
            super().log_message(format, *args)

    # -- answers

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, refusal):
        self.answer(refusal.status, {"error": {"code": refusal.code, "message": refusal.message}})

    def reset_connection(self):
        """Closes the socket so the client sees a reset (RST), not an orderly end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # its reference would keep the descriptor open
        self.connection.close()

    def hold_until_client_leaves(self):
        """Never answers: waits until the client closes its end (or the hang cap)."""
        self.close_connection = True
        deadline = time.time() + HANG_SECONDS_MAX
        while time.time() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                try:
                    # More bytes (a pipelined request) are dropped; none means the client left.
                    if not self.connection.recv(4096):
                        return
                except OSError:
                    return

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > BODY_BYTES_MAX:
            raise Refusal(413, "body_too_large", f"the body is over {BODY_BYTES_MAX} bytes")
        return self.rfile.read(length) if length else b""

    def read_json_object(self):
        raw = self.read_body()
        try:
            body = json.loads(raw or b"null")
        except ValueError as error:
            raise Refusal(400, "bad_json", f"the body is not JSON: {error}")
        if not isinstance(body, dict):
            raise Refusal(400, "bad_json", "the body must be a JSON object")
        return body

    # -- routes

    def do_GET(self):
        fake = self.fake
        with fake.lock:
            if self.path == "/_fake/calls":
                body = {"calls": list(fake.calls)}
            elif self.path == "/_fake/side_effects":
                body = {"by_key": dict(fake.side_effects), "total": sum(fake.side_effects.values())}
            elif self.path == "/_fake/connections":
                body = dict(fake.connections)
            elif self.path == "/_fake/mode":
                body = dict(fake.mode)
            else:
                body = None
        if body is None:
            return self.refuse(Refusal(404, "not_found", f"no route GET {self.path}"))
        self.answer(200, body)

    def do_POST(self):
        try:
            if self.path == "/_fake/mode":
                mode = parse_mode(self.read_json_object())
                with self.fake.lock:
                    self.fake.mode = mode
                return self.answer(200, mode)
            if self.path == "/_fake/reset":
                self.read_body()
                with self.fake.lock:
                    self.fake.clear()
                return self.answer(200, {"reset": True})
            parts = self.path.split("/")
            if len(parts) != 4 or parts[1] != "v1" or parts[3] not in OPERATIONS.get(parts[2], {}):
                self.read_body()
                raise Refusal(404, "unknown_operation", f"no operation at {self.path}")
            self.operation(parts[2], parts[3])
        except Refusal as refusal:
            self.refuse(refusal)
        except (ValueError, TypeError) as error:
            self.refuse(Refusal(400, "bad_request", str(error)))

    def operation(self, kind, operation):
        self.count_connection()
        key = self.headers.get("Idempotency-Key", "")
        record = {"kind": kind, "operation": operation, "idempotency_key": key, "body": None,
                  "status": 0, "side_effect": False, "ts_ms": now_ms(), "mode": "ok"}
        try:
            record["body"] = body = self.read_json_object()
            status, response, mode = self.decide(kind, operation, key, body, record)
        except Refusal as refusal:
            status, response, mode = refusal.status, None, {"mode": "ok"}
            response = {"error": {"code": refusal.code, "message": refusal.message}}
        record["mode"] = mode["mode"]
        if mode["mode"] in ("hang", "reset"):
            record["status"] = 0  # no answer
            self.log(record)
            return self.hold_until_client_leaves() if mode["mode"] == "hang" else self.reset_connection()
        if mode["mode"] in ("fail", "fail_after_effect"):
            status = mode["status"]
            response = {"error": {"code": f"fake_{mode['mode']}", "message": f"told to answer {status}"}}
        record["status"] = status
        self.log(record)
        if mode["mode"] == "slow":
            time.sleep(mode["delay_ms"] / 1000)
        self.answer(status, response)

    def log(self, record):
        with self.fake.lock:
            self.fake.calls.append(record)

    def decide(self, kind, operation, key, body, record):
        """Checks the call, performs it unless the mode or an earlier call with the same key
        says otherwise. Returns (status, response, mode)."""
        fake = self.fake
        auth_value = fake.args.auth_value
        if auth_value is not None and self.headers.get(fake.args.auth_header) != auth_value:
            raise Refusal(401, "unauthorized", f"the {fake.args.auth_header} header is missing or wrong")
        mutating, names = OPERATIONS[kind][operation]
        for name in names:
            if not isinstance(body.get(name), str):
                raise Refusal(400, "missing_field", f'the field "{name}" is missing or not a string')
        if mutating and not key:
            raise Refusal(400, "missing_idempotency_key", f'"{operation}" needs an Idempotency-Key header')
        fields = {name: body[name] for name in names}
        with fake.lock:
            mode = fake.take_mode(operation)
            if mode["mode"] in ("fail", "hang", "reset"):
                return 0, None, mode  # nothing done
            if not mutating:
                return self.perform(kind, operation, fields) + (mode,)
            fingerprint = json.dumps([kind, operation, fields], sort_keys=True)
            earlier = fake.answers.get(key)
            if earlier is not None:
                if earlier[0] != fingerprint:
                    raise Refusal(422, "idempotency_key_reused", "this Idempotency-Key was used for another request")
                return earlier[1], earlier[2], mode
            status, response = self.perform(kind, operation, fields)
            fake.answers[key] = (fingerprint, status, response)
            if status == 200:
                record["side_effect"] = True
                fake.side_effects[key] = fake.side_effects.get(key, 0) + 1
            return status, response, mode

    def perform(self, kind, operation, fields):
        try:
            return 200, self.fake.provider.perform(kind, operation, fields)
        except Refusal as refusal:
            return refusal.status, {"error": {"code": refusal.code, "message": refusal.message}}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: bursts of new connections are not refused

    def handle_error(self, request, client_address):
        # Clients that refuse the certificate or vanish mid-request are part of the tests.
        if self.fake.args.verbose:
            super().handle_error(request, client_address)


def parse_price(text):
    try:
        pair, value = text.split("=", 1)
        asset, currency = pair.split(":", 1)
        price = Decimal(value)
    except (ValueError, InvalidOperation):
        raise argparse.ArgumentTypeError(f"expected ASSET:CURRENCY=PRICE, got {text!r}")
    return (asset, currency), price


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="written with the bound port once listening")
    parser.add_argument("--auth-header", default="Authorization")
    parser.add_argument("--auth-value", help="require this value in the auth header (401 otherwise)")
    parser.add_argument("--price", type=parse_price, action="append", default=[],
                        help="ASSET:CURRENCY=PRICE, e.g. BTC:USD=65000.00 (repeatable)")
    parser.add_argument("--block-ms", type=int, default=200, help="ms per chain confirmation")
    parser.add_argument("--tls-cert", help="serve https with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()
    args.price = dict(args.price)

    server = Server((args.host, args.port), Handler)
    server.fake = Fake(args)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    port = server.server_address[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as f:
            f.write(f"{port}\n")
        os.replace(temporary, args.port_file)  # readers never see a half-written file
    print(f"listening on {args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
