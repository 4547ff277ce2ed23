"""A PostgreSQL server that goes away shows in /readyz and /metrics, and coming back heals both.

The server serves on PostgreSQL and takes a transfer; the database is stopped (its data kept):
/readyz answers 503 naming the storage and ledgerflow_storage_healthy is 0, while the process
keeps serving /healthz. The database comes back: /readyz is 200 again, the gauge 1, and a
transfer succeeds, with the first one still there.

Usage: postgresql_readyz_e2e.py LEDGERFLOW_BINARY STATE_DIR   (STATE_DIR: scripts/pg-test-server.sh's)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from lf_server import Server, request, transfer_body

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")


def storage_gauge(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("ledgerflow_storage_healthy "):
                return int(line.split()[1])
    raise AssertionError("no ledgerflow_storage_healthy in /metrics")


def wait_for(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def main():
    binary, state_dir = sys.argv[1], sys.argv[2]
    url = subprocess.run([SCRIPT, "createdb", state_dir, "readyz_e2e"], check=True, capture_output=True,
                         text=True).stdout.strip()
    data_dir = tempfile.mkdtemp(prefix="ledgerflow-readyz-pg-")
    server = Server(binary, data_dir, extra_env={"LEDGERFLOW_DB": url})
    paused = False
    try:
        server.start()
        token = server.token()
        status, reply = request(server.port, "POST", "/v1/transfers", token,
                                transfer_body("before", "system:bank", "user:ann", "10.00"))
        assert status == 201, reply
        assert request(server.port, "GET", "/readyz")[0] == 200
        assert storage_gauge(server.port) == 1

        subprocess.run([SCRIPT, "pause", state_dir], check=True)
        paused = True
        wait_for("/readyz 503", lambda: request(server.port, "GET", "/readyz")[0] == 503)
        status, reply = request(server.port, "GET", "/readyz")
        assert "storage does not answer" in str(reply), reply
        assert storage_gauge(server.port) == 0
        assert request(server.port, "GET", "/healthz")[0] == 200, "the process must keep serving"

        subprocess.run([SCRIPT, "resume", state_dir], check=True)
        paused = False
        wait_for("/readyz 200", lambda: request(server.port, "GET", "/readyz")[0] == 200)
        assert storage_gauge(server.port) == 1
        status, reply = request(server.port, "POST", "/v1/transfers", token,
                                transfer_body("after", "system:bank", "user:ann", "5.00"))
        assert status == 201, reply
        status, account = request(server.port, "GET", "/v1/accounts/user:ann", token)
        assert status == 200 and "15.00" in str(account), account
        print("ok: /readyz and ledgerflow_storage_healthy follow the PostgreSQL server, and it heals")
        return 0
    except Exception as failure:
        print(f"FAILED: {failure}\n--- server log ---\n{server.log()[-4000:]}", file=sys.stderr)
        return 1
    finally:
        if paused:
            subprocess.run([SCRIPT, "resume", state_dir])
        if server.process and server.process.poll() is None:
            server.kill9()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
