"""`ledgerflow serve` refuses to start, with a clear message and a non-zero exit, when it
cannot serve: the port is taken, the config is broken, the database cannot be opened.
And `ledgerflow token` prints only the JWT.

Usage: serve_startup_e2e.py LEDGERFLOW_BINARY
"""
import os
import socket
import subprocess
import sys
import tempfile

from lf_server import SECRET, Server


def run_serve(binary, args, data_dir, timeout=20):
    env = dict(os.environ, LEDGERFLOW_JWT_SECRET=SECRET)
    return subprocess.run([binary, "serve", "--data-dir", data_dir] + args, env=env, capture_output=True,
                          text=True, timeout=timeout)


def expect_refusal(name, result, needle):
    output = result.stdout + result.stderr
    if result.returncode == 0 or needle not in output:
        raise AssertionError(f"{name}: expected a non-zero exit mentioning {needle!r}, got {result.returncode}: {output}")
    print(f"ok: {name}: exit {result.returncode}, says {needle!r}")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ledgerflow-startup-") as data_dir:
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        expect_refusal("port in use", run_serve(binary, ["--listen", f"127.0.0.1:{port}"], data_dir),
                       "Address already in use")
        taken.close()

        config = os.path.join(data_dir, "broken.toml")
        with open(config, "w") as f:
            f.write("listen = \n")
        expect_refusal("unparsable config", run_serve(binary, ["--config", config], data_dir), "broken.toml")
        expect_refusal("bad listen address", run_serve(binary, ["--listen", "nowhere"], data_dir), "HOST:PORT")
        expect_refusal("unknown database URL", run_serve(binary, ["--db", "mysql://x"], data_dir), "mysql://x")
        blocker = os.path.join(data_dir, "a-file")
        open(blocker, "w").close()
        expect_refusal("database path under a file", run_serve(binary, ["--db", f"sqlite:{blocker}/x.db"], data_dir),
                       "cannot open")

        server = Server(binary, os.path.join(data_dir, "node"))
        token = server.token(sub="alice", role="user", accounts=["user:alice"])
        if token.count(".") != 2 or "\n" in token or " " in token:
            raise AssertionError(f"token printed more than a JWT: {token!r}")
        print("ok: token prints only the JWT")
        server.start()
        code = server.stop()
        if code != 0:
            raise AssertionError(f"SIGTERM should stop the server cleanly, exit was {code}")
        if "stopped cleanly" not in server.log():
            raise AssertionError("no clean-stop line in the log: " + server.log())
        print("ok: SIGTERM stops the server cleanly with exit 0")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
