"""The sandbox over a real loopback socket: ``python -m integrations.sandbox`` and ``running()``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sandbox_testing import CARRIER, basic

from integrations.sandbox import running

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token_and_get(base: str) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        token = client.post(
            "/oauth/v3/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic()}
        )
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        order = client.get(f"{CARRIER}/productOrderManagement/v1/productOrder/11", headers=headers)
        assert order.status_code == 200 and order.json()["id"] == 11


def test_serve_in_a_subprocess() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "integrations.sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{base}/_sandbox/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else b""
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.05)
        token_and_get(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def test_running_in_a_thread() -> None:
    with running() as sandbox:
        token_and_get(sandbox.url)
        assert sandbox.state.counters.token_requests["client"] == 1
