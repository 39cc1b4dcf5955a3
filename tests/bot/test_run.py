"""`orange-bot run` as a process: HTTP mode serves /healthz and /slack/events, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from integrations.sandbox.server import running

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_in_http_mode(tmp_path: Path) -> None:
    port = free_port()
    with running() as sandbox:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-run-test",
            "SLACK_SIGNING_SECRET": "run-test-secret",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "ORANGE_SANDBOX_URL": sandbox.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "PORT": str(port),
        }
        env.pop("SLACK_APP_TOKEN", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            body = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    body = response.json()
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert body is not None, "the bot did not answer /healthz"
            assert body["database"] == "ok" and set(body["backends"]) == {"carrier", "wholesale", "business"}
            unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/events", data={"command": "/orange"}, timeout=5)
            assert unsigned.status_code == 401
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=20)
            assert proc.returncode == 0, output
            assert "run-test-secret" not in output and "xoxb-run-test" not in output
        finally:
            if proc.poll() is None:
                proc.kill()
