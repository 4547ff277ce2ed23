"""`ledgerflow check` on PostgreSQL: a server on a fresh database takes a few transfers; check
passes; then a row written behind the ledger's back (an entry whose balance does not follow from
the ones before it, as a bad restore or a hand edit would leave) makes check fail and name it.

Usage: check_postgresql_e2e.py LEDGERFLOW_BINARY STATE_DIR   (STATE_DIR: scripts/pg-test-server.sh's)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from lf_server import Server, request, transfer_body

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")
PSQL = "/usr/lib/postgresql/15/bin/psql"


def main():
    binary, state_dir = sys.argv[1], sys.argv[2]
    url = subprocess.run([SCRIPT, "createdb", state_dir, "check_e2e"], check=True, capture_output=True,
                         text=True).stdout.strip()
    data_dir = tempfile.mkdtemp(prefix="ledgerflow-check-pg-")
    server = Server(binary, data_dir, extra_env={"LEDGERFLOW_DB": url})
    try:
        server.start()
        token = server.token()
        for i, user in enumerate(["user:ann", "user:ben"]):
            status, reply = request(server.port, "POST", "/v1/transfers", token,
                                    transfer_body(f"fund-{i}", "system:bank", user, "10.00"))
            assert status == 201, reply
        status, reply = request(server.port, "POST", "/v1/transfers", token,
                                transfer_body("pay-1", "user:ann", "user:ben", "2.50"))
        assert status == 201, reply
        assert server.stop() == 0, "graceful stop failed"

        good = server.check()
        print(good.stdout)
        assert good.returncode == 0, "check failed on a sound ledger:\n" + good.stdout + good.stderr
        assert "checked 3 accounts, 6 entries" in good.stdout, good.stdout

        # ann's next entry claims a balance her entries do not add up to (no gap, so the schema takes it).
        subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                        "INSERT INTO entries SELECT account, seq + 1, 1, bucket, 100, 999999, held_after, 'transfer',"
                        " 'forged', '', '', '', ts_us FROM entries WHERE account = 'user:ann' ORDER BY seq DESC LIMIT 1"],
                       check=True)
        bad = server.check()
        print(bad.stdout)
        assert bad.returncode == 1, f"check should fail (exit 1), got {bad.returncode}:\n{bad.stdout}{bad.stderr}"
        assert "BROKEN" in bad.stdout and "user:ann" in bad.stdout, bad.stdout
        print("ok: check passes on PostgreSQL and catches a forged entry")
        return 0
    except Exception as failure:
        print(f"FAILED: {failure}\n--- server log ---\n{server.log()[-4000:]}", file=sys.stderr)
        return 1
    finally:
        if server.process and server.process.poll() is None:
            server.kill9()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
