"""`orange-bot run` as a process: HTTP mode serves /healthz and /slack/events (and /metrics on METRICS_PORT only),
stops cleanly on SIGTERM, and with `LOG_FORMAT=json -v` every stderr line is JSON with no secret, no response_url
and no message body."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.runner import run
from bot.settings import Settings
from bot.simulator import FakeSlack, SlackUserClient
from integrations.sandbox.server import running

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-run-test"
SIGNING_SECRET = "run-test-secret"
METRICS_TOKEN = "run-metrics-token-0123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def bot_process(
    tmp_path: Path, *, sandbox_url: str, port: int, extra: dict[str, str], args: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen[str]]:
    """`orange-bot [args] run` in HTTP mode; stderr goes to `tmp_path/stderr.log` (a pipe could fill up)."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "ORANGE_SANDBOX_URL": sandbox_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "PORT": str(port),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    for name in ("SLACK_APP_TOKEN", "LOG_FORMAT", "METRICS_PORT", "METRICS_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    with open(tmp_path / "stderr.log", "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args, "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def wait_healthy(proc: subprocess.Popen[str], port: int) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the bot did not answer /healthz")


def test_run_in_http_mode(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    with (
        running() as sandbox,
        bot_process(tmp_path, sandbox_url=sandbox.url, port=port, extra={"METRICS_PORT": str(metrics_port)}) as proc,
    ):
        health = wait_healthy(proc, port)
        assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}
        unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/events", data={"command": "/orange"}, timeout=5)
        assert unsigned.status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 404  # not on the public port
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert scraped.status_code == 200 and "orange_bot_slack_ack_seconds" in scraped.text
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/healthz", timeout=5).status_code == 404
        stop(proc)
        assert proc.returncode == 0
    output = (tmp_path / "stderr.log").read_text()
    assert SIGNING_SECRET not in output and BOT_TOKEN not in output


def test_metrics_port_equal_to_port_is_refused(tmp_path: Path) -> None:
    port = free_port()
    with (
        running() as sandbox,
        bot_process(tmp_path, sandbox_url=sandbox.url, port=port, extra={"METRICS_PORT": str(port)}) as proc,
    ):
        assert proc.wait(timeout=30) == 2
    assert "METRICS_PORT" in (tmp_path / "stderr.log").read_text()


async def test_socket_mode_serves_healthz_on_port_and_metrics_on_metrics_port(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    async with FakeSlack.serve(bot_token=BOT_TOKEN) as fake:
        with running() as sandbox:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_app_token="xapp-1-run-test",  # the simulator has no socket for it: the bot keeps trying
                slack_api_url=fake.api_url,
                orange_sandbox_url=sandbox.url,
                database_url=f"sqlite:///{tmp_path / 'socket.db'}",
                port=port,
                metrics_port=metrics_port,
            )
            task = asyncio.create_task(run(settings))
            await asyncio.sleep(0)  # run() installs its SIGTERM handler before its first await
            try:
                async with httpx.AsyncClient(timeout=5) as http:
                    for _ in range(150):
                        try:
                            health = await http.get(f"http://127.0.0.1:{port}/healthz")
                            break
                        except httpx.HTTPError:
                            await asyncio.sleep(0.2)
                    assert health.json() == {"status": "ok", "database": "ok"}
                    assert (await http.get(f"http://127.0.0.1:{port}/metrics")).status_code == 404
                    scraped = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
                    assert scraped.status_code == 200 and "orange_bot_" in scraped.text
            finally:
                signal.raise_signal(signal.SIGTERM)
                assert await asyncio.wait_for(task, timeout=15) == 0


HOOK = re.compile(r"hooks\.slack\.com|/response/T_SIM/")
BLOCKS = re.compile(r"""['"]blocks\\?['"]""")  # a message's `blocks` key, in a dict's repr or in JSON


async def test_json_debug_logs_are_all_json_without_secrets_or_response_urls(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlack.serve(bot_token=BOT_TOKEN) as fake:
        extra = {"LOG_FORMAT": "json", "SLACK_API_URL": fake.api_url, "METRICS_TOKEN": METRICS_TOKEN}
        with (
            running() as sandbox,
            bot_process(tmp_path, sandbox_url=sandbox.url, port=port, extra=extra, args=("-v",)) as proc,
        ):
            assert (await asyncio.to_thread(wait_healthy, proc, port)).status_code == 200
            url = f"http://127.0.0.1:{port}"
            async with SlackUserClient(f"{url}/slack/events", signing_secret=SIGNING_SECRET, fake=fake) as user:
                answered = await user.command("order carrier:11")
                assert answered.status == 200
                await fake.wait_for_responses(count=1, timeout=20)
                watched = await user.command("watch carrier:11")
                await fake.wait_for(lambda: fake.channel_messages("C_GENERAL"), timeout=20)
                await fake.wait_for_responses(count=2, timeout=20)
            async with httpx.AsyncClient(base_url=url) as http:
                assert (await http.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
                assert (await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).is_success
                junk = await http.post("/slack/events", content=b"{not json", headers={"Content-Type": "x"})
                assert junk.status_code == 401
            # Something uvicorn itself logs: a request that is not HTTP at all.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            await writer.drain()
            await reader.read()  # uvicorn closes the connection after logging it
            writer.close()
            await asyncio.to_thread(stop, proc)
            assert proc.returncode == 0
    lines = (tmp_path / "stderr.log").read_text().splitlines()
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not JSON: {line!r}") from None
    assert any(e["logger"].startswith("uvicorn") and "Invalid HTTP request" in e["message"] for e in entries), lines
    assert any(e["level"] == "DEBUG" for e in entries)  # -v did turn debug on
    text = "\n".join(lines)
    for secret in (BOT_TOKEN, SIGNING_SECRET, METRICS_TOKEN):
        assert secret not in text, secret
    for response_url in (answered.response_url, watched.response_url):
        assert response_url and response_url.rsplit("/", 1)[-1] not in text
    assert not HOOK.search(text), [line for line in lines if HOOK.search(line)]
    assert not BLOCKS.search(text)  # no message body (Web API or response_url) is logged
