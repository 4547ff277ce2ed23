"""TLS on the listener end to end (docs/websocket.md, [tls]): a throwaway self-signed
certificate from the `openssl` CLI, `ledgerflow serve` with LEDGERFLOW_TLS_CERTIFICATE and
LEDGERFLOW_TLS_PRIVATE_KEY, then:
1. GET https://.../healthz with a context trusting the certificate answers 200;
2. plain HTTP on the same port gets no HTTP answer (the listener speaks TLS only), and the
   server still serves TLS afterwards;
3. a client that does not trust the certificate fails verification;
4. a transfer over https reaches `ledgerflow watch --url wss://... --cafile cert.pem`, which
   prints the balance line and exits 0 on --count 1;
5. a hand-written WebSocket upgrade over a python ssl socket gets 101, a ping gets a pong, a
   close gets a close 1000;
6. serve with a certificate that does not exist exits non-zero and names TLS/the certificate.

Usage: tls_e2e.py LEDGERFLOW_BINARY
"""
import base64
import hashlib
import http.client
import json
import os
import queue
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading

from lf_server import Server, transfer_body

WAIT_S = 20  # bound on any single wait; never a timing assertion
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 (CN and IP subjectAltName), valid two days."""
    if shutil.which("openssl") is None:
        raise Failure("the openssl CLI is missing; run scripts/install-deps.sh")
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                          capture_output=True, text=True, timeout=WAIT_S)
    expect(made.returncode == 0, f"openssl req failed ({made.returncode}): {made.stderr}")
    return cert, key


def trusting(cert):
    """A client context that trusts exactly the throwaway certificate, host name checked."""
    context = ssl.create_default_context(cafile=cert)
    expect(context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname, "context does not verify")
    return context


def https_request(port, context, method, path, token=None, body=None):
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=WAIT_S)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, data.decode(errors="replace")


def healthz_over_tls(port, context):
    status, body = https_request(port, context, "GET", "/healthz")
    expect(status == 200, f"GET https /healthz: {status} {body}")


def plain_http_refused(port):
    """Whatever a TLS-only listener does with a plain request (alert, close, reset), it is not
    an HTTP answer. The read ends when the server closes; WAIT_S bounds a server that would not."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as plain:
        plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        try:
            while len(received) < 65536:
                chunk = plain.recv(4096)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass  # a reset is a fine refusal
        except socket.timeout:
            raise Failure(f"plain HTTP: the connection stayed open {WAIT_S} s without an answer; got {received!r}")
    expect(not received.startswith(b"HTTP/") and b"HTTP/1.1 200" not in received,
           f"plain HTTP on the TLS port got an HTTP answer: {received[:200]!r}")
    # A TLS record (an alert: content type 21, version 3.x) or nothing at all.
    expect(received == b"" or received[:2] in (b"\x15\x03", b"\x16\x03"), f"plain HTTP got neither TLS nor a close: {received[:64]!r}")


def untrusted_client_refused(port):
    """The system trust store does not know the throwaway certificate: verification fails."""
    context = ssl.create_default_context()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    except ssl.SSLCertVerificationError as error:
        expect("self-signed" in error.verify_message or "self signed" in error.verify_message,
               f"verification failed for another reason: {error.verify_message}")
        return
    raise Failure("a client that does not trust the certificate completed the TLS handshake")


class Watch:
    """`ledgerflow watch` over wss://; stdout lines arrive through a queue so each wait is bounded."""

    def __init__(self, server, token, cert, account):
        self.args = [server.binary, "watch", "--url", f"wss://127.0.0.1:{server.port}/v1/ws", "--token", token,
                     "--cafile", cert, "--count", "1", "--timeout-ms", "10000", account]
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr_lines = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=lambda: self.stderr_lines.extend(self.process.stderr), daemon=True).start()

    def _read_stdout(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stderr(self):
        return "".join(self.stderr_lines)

    def next(self):
        try:
            line = self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            raise Failure(f"no line from watch within {WAIT_S} s; stderr: {self.stderr()}")
        if line is None:
            raise Failure(f"watch ended (exit {self.process.wait()}) before the expected line; stderr: {self.stderr()}")
        try:
            return json.loads(line)
        except ValueError:
            raise Failure(f"watch printed a non-JSON line: {line!r}")

    def wait(self):
        try:
            return self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            raise Failure(f"watch did not exit within {WAIT_S} s; stderr: {self.stderr()}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def transfer_reaches_wss_watch(server, context, cert, admin, alice):
    watch = Watch(server, alice, cert, "user:alice")
    try:
        subscribed = watch.next()
        expect(subscribed.get("type") == "subscribed" and subscribed["accounts"][0]["account"] == "user:alice",
               f"wss watch: expected subscribed, got {subscribed}")
        status, receipt = https_request(server.port, context, "POST", "/v1/transfers", admin,
                                        transfer_body("tls-e2e-1", "system:bank", "user:alice", "25.00"))
        expect(status == 201, f"POST https /v1/transfers: {status} {receipt}")
        line = watch.next()
        expected = {"type": "balance", "account": "user:alice", "bucket": "banking/USD", "available": "25.00",
                    "held": "0.00", "seq": receipt["to"]["seq"],
                    "cause": {"kind": "transfer", "id": receipt["transfer_id"]}}
        got = {key: line.get(key) for key in expected}
        expect(got == expected, f"wss balance line {line} does not match {expected}")
        code = watch.wait()
        expect(code == 0, f"wss watch --count 1 exit {code}; stderr: {watch.stderr()}")
    finally:
        watch.kill()


def recv_exact(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.recv(count - len(data))
        if not chunk:
            raise Failure(f"connection closed after {len(data)} of {count} bytes")
        data += chunk
    return data


def send_frame(stream, opcode, payload):
    """A final client frame, masked as RFC 6455 requires of clients."""
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
    stream.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def recv_frame(stream):
    """(opcode, payload) of one unfragmented server frame, which must not be masked."""
    first, second = recv_exact(stream, 2)
    expect(first & 0x80, f"fragmented server frame (first byte {first:#x})")
    expect(not second & 0x80, "the server masked a frame")
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(stream, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(stream, 8))[0]
    return first & 0x0F, recv_exact(stream, length)


def raw_websocket_over_tls(port, context, token):
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as stream:
            stream.sendall((f"GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                            f"Authorization: Bearer {token}\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = stream.recv(1)
                expect(chunk, f"closed during the upgrade answer: {head!r}")
                head += chunk
                expect(len(head) < 16384, f"upgrade answer too long: {head[:200]!r}")
            status_line, *header_lines = head.decode(errors="replace").split("\r\n")
            expect(status_line.split(" ")[1:2] == ["101"], f"upgrade over TLS: {status_line!r}")
            headers = {name.strip().lower(): value.strip()
                       for name, _, value in (line.partition(":") for line in header_lines if line)}
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            expect(headers.get("sec-websocket-accept") == accept, f"Sec-WebSocket-Accept: {headers}")

            send_frame(stream, 0x1, json.dumps({"op": "ping", "id": "p1"}).encode())
            opcode, payload = recv_frame(stream)
            expect(opcode == 0x1, f"answer to ping: opcode {opcode:#x} {payload!r}")
            expect(json.loads(payload) == {"type": "pong", "id": "p1"}, f"answer to ping: {payload!r}")

            send_frame(stream, 0x8, struct.pack("!H", 1000))
            opcode, payload = recv_frame(stream)
            expect(opcode == 0x8 and payload[:2] == struct.pack("!H", 1000), f"answer to close: {opcode:#x} {payload!r}")


def missing_certificate_fails(binary, directory, missing, key):
    data_dir = os.path.join(directory, "missing-cert")
    server = Server(binary, data_dir, extra_env={"LEDGERFLOW_TLS_CERTIFICATE": missing,
                                                 "LEDGERFLOW_TLS_PRIVATE_KEY": key})
    try:
        server.start()
    except RuntimeError:
        code = server.process.returncode
        log = server.log()
        expect(code is not None and code != 0, f"missing certificate: exit {code}; log: {log}")
        expect(("TLS" in log or "certificate" in log.lower()) and missing in log,
               f"missing certificate: the message names neither TLS nor the file: {log}")
        return
    finally:
        server.stop()
    raise Failure(f"serve started with a certificate that does not exist; log: {server.log()}")


def main(binary):
    directory = tempfile.mkdtemp(prefix="lf-tls-e2e-")
    server = None
    try:
        cert, key = make_certificate(directory)
        context = trusting(cert)
        server = Server(binary, os.path.join(directory, "data"),
                        extra_env={"LEDGERFLOW_TLS_CERTIFICATE": cert, "LEDGERFLOW_TLS_PRIVATE_KEY": key})
        server.start()
        admin = server.token()
        alice = server.token(sub="alice", role="user", accounts=["user:alice"])
        healthz_over_tls(server.port, context)
        plain_http_refused(server.port)
        healthz_over_tls(server.port, context)  # the refused plain client did not hurt the listener
        untrusted_client_refused(server.port)
        transfer_reaches_wss_watch(server, context, cert, admin, alice)
        raw_websocket_over_tls(server.port, context, alice)
        expect(server.stop() == 0, f"serve did not stop cleanly: {server.process.returncode}")
        missing_certificate_fails(binary, directory, os.path.join(directory, "no-such-cert.pem"), key)
        print("tls e2e: ok")
        return 0
    except (Failure, RuntimeError, ssl.SSLError, OSError) as failure:
        log = server.log() if server else ""
        print(f"tls e2e FAILED: {type(failure).__name__}: {failure}\n--- server log ---\n{log}", file=sys.stderr)
        return 1
    finally:
        if server:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
