"""Starts and stops a real `ledgerflow serve` for end-to-end tests (standard library only)."""
import http.client
import json
import os
import re
import socket
import subprocess
import time

SECRET = "end-to-end-test-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data_dir, port=None, extra_env=None):
        self.binary = binary
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = dict(os.environ, LEDGERFLOW_JWT_SECRET=SECRET, **(extra_env or {}))
        self.process = None
        self.log_path = os.path.join(data_dir, "serve.log")

    def start(self, timeout=30):
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        log_start = log.tell()  # earlier runs' lines must not count as this one's
        self.process = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            if re.search(rf"listening on 127\.0\.0\.1:{self.port}", self.log()[log_start:]):
                return
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.log())

    def log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def kill9(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        return self.process.returncode

    def token(self, sub="e2e-admin", role="admin", accounts=()):
        args = [self.binary, "token", "--sub", sub, "--role", role]
        for account in accounts:
            args += ["--account", account]
        return subprocess.run(args, env=self.env, capture_output=True, text=True, check=True).stdout.strip()

    def check(self):
        return subprocess.run([self.binary, "check", "--data-dir", self.data_dir], env=self.env,
                              capture_output=True, text=True)


def request(port, method, path, token=None, body=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    payload = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, data.decode(errors="replace")


def transfer_body(key, source, target, amount, bucket="banking/USD"):
    return {"idempotency_key": key, "from": {"account": source, "bucket": bucket},
            "to": {"account": target, "bucket": bucket}, "amount": amount}
