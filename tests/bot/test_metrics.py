"""The operators' instruments through the bot's HTTP front: `GET /metrics` after real traffic, and JSON logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
from bot_harness import Harness
from prometheus_client.parser import text_string_to_metric_families
from test_notifier import W, admin, ask, cycle, watch

from bot.metrics import JsonFormatter, label_values
from integrations import register_secret

ROOT = Path(__file__).resolve().parents[2]


async def scrape(h: Harness) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=h.web), base_url="http://bot.test") as bot:
        response = await bot.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_count_what_the_bot_did(harness: Harness) -> None:
    h = harness
    await ask(h, "order carrier:11")
    await ask(h, "order carrier:999999")
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await cycle(h)
    assert w.thread_ts
    text = await scrape(h)
    families = list(text_string_to_metric_families(text))
    carrier = label_values(families, "orange_bot_carrier_requests_total")
    assert carrier[("carrier", "get order", "200")] >= 1 and carrier[("carrier", "get order", "404")] == 1
    assert label_values(families, "orange_bot_token_requests_total")[("carrier",)] == 1
    slack = label_values(families, "orange_bot_slack_api_calls_total")
    assert slack[("chat.postMessage", "ok")] >= 1  # the root (the test drains the outbox with a client of its own)
    acks = label_values(families, "orange_bot_slack_ack_seconds_count")
    assert acks[("http",)] >= 3
    assert label_values(families, "orange_bot_poll_cycles_total")[()] >= 1
    assert label_values(families, "orange_bot_watches_live")[()] == 1
    assert label_values(families, "orange_bot_outbox_pending")[()] == 0
    assert label_values(families, "orange_bot_outbox_dead")[()] == 0
    await ask(h, f"cancel wholesale:{W} moved")
    text = await scrape(h)
    assert label_values(list(text_string_to_metric_families(text)), "orange_bot_approvals")[("pending",)] == 1


async def test_no_secret_reaches_the_metrics(harness: Harness) -> None:
    h = harness
    await ask(h, "order carrier:11")
    text = await scrape(h)
    for secret in ("xoxb-test", "test-signing-secret", "sandbox-secret", "sandbox-api-key"):
        assert secret not in text
    assert "Bearer" not in text and "sandbox.test" not in text  # no URL, no token in a label


def test_json_logs_are_one_redacted_object_per_line() -> None:
    register_secret("s3cr3t-value-123")
    record = logging.LogRecord(
        "bot.test", logging.WARNING, __file__, 1, "token %s refused", ("s3cr3t-value-123",), None
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "bot.test"
    assert "s3cr3t" not in line and "token" in entry["message"]
    try:
        raise RuntimeError("s3cr3t-value-123 leaked")
    except RuntimeError:
        record = logging.LogRecord("bot.test", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    assert "s3cr3t" not in JsonFormatter().format(record)


def test_log_format_json_for_the_command_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ORANGE_"))}
    env |= {"LOG_FORMAT": "json", "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT / "tests",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any(e["level"] == "ERROR" and "SLACK_BOT_TOKEN" in e["message"] for e in lines), done.stderr
