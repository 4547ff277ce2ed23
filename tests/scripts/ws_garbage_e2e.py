"""Hostile bytes on /v1/ws must cost nothing but the offending connection.

After a valid upgrade, 120 connections each send a different kind of garbage: random bytes,
unmasked frames, reserved opcodes, lengths far over the limit, frames cut short, control
frames too long, continuation frames out of place, invalid UTF-8 text, and random but
well-framed payloads. Meanwhile one well-behaved client stays subscribed. Then:
- the server is still up and answers /healthz;
- the well-behaved client still gets its pong and a balance event for a new transfer;
- every garbage connection ended or is still open, never a hang of the server;
- `ledgerflow check` passes (nothing was written by garbage).

Usage: ws_garbage_e2e.py LEDGERFLOW_BINARY
"""
import base64
import json
import os
import random
import socket
import struct
import sys
import tempfile

from lf_server import Server, request, transfer_body

WAIT_S = 20


def upgrade(port, token):
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed during the upgrade")
        response += chunk
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, rest


def frame(opcode, payload, fin=True, masked=True, length=None):
    first = (0x80 if fin else 0) | opcode
    size = len(payload) if length is None else length
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header = struct.pack("!BB", first, mask_bit | size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not masked:
        return header + payload
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def garbage(kind, rng):
    if kind == 0:
        return rng.randbytes(rng.randint(1, 4096))
    if kind == 1:
        return frame(0x1, b'{"op":"ping"}', masked=False)
    if kind == 2:
        return frame(rng.choice([0x3, 0x4, 0x5, 0xB, 0xF]), b"x")
    if kind == 3:
        return frame(0x2, b"", length=1 << 40)[:14]  # claims 1 TiB
    if kind == 4:
        return frame(0x1, b'{"op":"ping","id":"cut"}')[:-5]  # then silence
    if kind == 5:
        return frame(0x9, b"p" * 200)
    if kind == 6:
        return frame(0x0, b"continuation out of place")
    if kind == 7:
        return frame(0x1, b"\xc0\xaf\xed\xa0\x80")
    return b"".join(frame(rng.choice([0x1, 0x2]), rng.randbytes(rng.randint(0, 300))) for _ in range(20))


def read_frames(sock, buffer, want, deadline_s=WAIT_S):
    """Reads server frames until `want(message)` is true for a JSON text frame."""
    sock.settimeout(deadline_s)
    while True:
        while len(buffer) >= 2:
            length = buffer[1] & 0x7F
            offset = 2
            if length == 126:
                length = struct.unpack("!H", buffer[2:4])[0]
                offset = 4
            elif length == 127:
                length = struct.unpack("!Q", buffer[2:10])[0]
                offset = 10
            if len(buffer) < offset + length:
                break
            opcode = buffer[0] & 0x0F
            payload = bytes(buffer[offset:offset + length])
            del buffer[:offset + length]
            if opcode == 0x1:
                message = json.loads(payload)
                if want(message):
                    return message
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the well-behaved client was disconnected")
        buffer.extend(chunk)


def main():
    binary = sys.argv[1]
    rng = random.Random(20261202)
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(binary, data_dir)
        server.start()
        try:
            admin = server.token()
            alice = server.token(sub="alice", role="user", accounts=["user:alice"])
            good, rest = upgrade(server.port, alice)
            buffer = bytearray(rest)
            good.sendall(frame(0x1, json.dumps({"op": "subscribe", "id": "s", "accounts": ["user:alice"]}).encode()))
            read_frames(good, buffer, lambda m: m.get("type") == "subscribed")

            hostile = []
            for index in range(120):
                sock, _ = upgrade(server.port, server.token(sub=f"mallory{index % 50}", role="user", accounts=["user:mallory"]))
                try:
                    sock.sendall(garbage(index % 9, rng))
                except OSError:
                    pass  # the server may already have closed it: that is allowed
                hostile.append(sock)

            status, _ = request(server.port, "GET", "/healthz")
            assert status == 200, f"/healthz answered {status} after the garbage"
            good.sendall(frame(0x1, b'{"op":"ping","id":"after"}'))
            read_frames(good, buffer, lambda m: m.get("type") == "pong" and m.get("id") == "after")
            body = transfer_body("garbage-deposit-1", "system:bank", "user:alice", "7.00")
            status, receipt = request(server.port, "POST", "/v1/transfers", token=admin, body=body)
            assert status == 201, (status, receipt)
            event = read_frames(good, buffer, lambda m: m.get("type") == "balance")
            assert event["available"] == "7.00" and event["cause"]["id"] == receipt["transfer_id"], event
            for sock in hostile:
                sock.close()
            good.close()
        finally:
            code = server.stop()
        assert code == 0, f"serve exited with {code}: {server.log()[-2000:]}"
        checked = server.check()
        assert checked.returncode == 0, checked.stdout + checked.stderr
    print("ws_garbage_e2e: ok")


if __name__ == "__main__":
    main()
