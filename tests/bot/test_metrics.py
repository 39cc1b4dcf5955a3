"""The operators' instruments: `GET /metrics` after real traffic (on `METRICS_PORT`, or on `PORT` behind
`METRICS_TOKEN`, never public), a minimal `/healthz`, and logs (JSON, redacted)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from bot_harness import Harness
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from starlette.applications import Starlette
from test_notifier import W, admin, ask, cycle, watch

from bot.app import create_health_app, create_metrics_app, create_web_app
from bot.context import BotContext
from bot.metrics import JsonFormatter, label_values
from integrations import redact, register_secret
from integrations._redact import RedactingFilter

ROOT = Path(__file__).resolve().parents[2]


async def get(app: Starlette, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as http:
        return await http.get(path, headers=headers)


def with_settings(h: Harness, **changes: Any) -> BotContext:
    return replace(h.ctx, settings=h.ctx.settings.model_copy(update=changes))


async def scrape(h: Harness) -> str:
    response = await get(create_metrics_app(with_settings(h, metrics_port=9464)), "/metrics")
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


async def test_metrics_are_not_served_on_port_unless_a_token_guards_them(harness: Harness) -> None:
    h = harness
    assert (await get(h.web, "/metrics")).status_code == 404  # HTTP mode, neither METRICS_PORT nor METRICS_TOKEN
    assert (await get(create_health_app(h.ctx, h.bolt.client), "/metrics")).status_code == 404  # Socket Mode
    assert (await get(h.web, "/healthz")).status_code == 200


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_metrics_on_port_need_the_bearer_token(harness: Harness, mode: str) -> None:
    h = harness
    ctx = with_settings(h, metrics_token=SecretStr("scrape-me-0123456789"))
    web = create_web_app(h.bolt, ctx) if mode == "http" else create_health_app(ctx, h.bolt.client)
    for refused in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer scrape-me-012345678"},
        {"Authorization": "Basic c2NyYXBlLW1lLTAxMjM0NTY3ODk="},
        {"Authorization": "scrape-me-0123456789"},
        {"Authorization": "Bearer scrape-me-0123456789x"},
    ):
        response = await get(web, "/metrics", **refused)
        assert response.status_code == 401, refused
        assert "scrape-me" not in response.text and "orange_bot" not in response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
    response = await get(web, "/metrics", Authorization="Bearer scrape-me-0123456789")
    assert response.status_code == 200 and "orange_bot_slack_ack_seconds" in response.text
    assert (await get(web, "/metrics", Authorization="bearer scrape-me-0123456789")).status_code == 200


async def test_metrics_port_takes_metrics_off_port(harness: Harness) -> None:
    h = harness
    for token in (None, SecretStr("scrape-me-0123456789")):
        ctx = with_settings(h, metrics_port=9464, metrics_token=token)
        assert (await get(create_web_app(h.bolt, ctx), "/metrics")).status_code == 404
        assert (await get(create_health_app(ctx, h.bolt.client), "/metrics")).status_code == 404
        metrics = create_metrics_app(ctx)
        assert (await get(metrics, "/healthz")).status_code == 404  # the metrics port serves metrics only
        if token is None:
            assert (await get(metrics, "/metrics")).status_code == 200
        else:  # a token set is required wherever /metrics is served
            assert (await get(metrics, "/metrics")).status_code == 401
            assert (await get(metrics, "/metrics", Authorization="Bearer scrape-me-0123456789")).status_code == 200


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


HOOK = "https://hooks.slack.com/commands/T0123ABCD/4567890123/Ab9_cD-efGHijkLMnoPQ"
SIM_HOOK = "http://127.0.0.1:45678/response/T_SIM/12/Ab9_cD-efGHijkLM"


@pytest.mark.parametrize(
    "url",
    [
        HOOK,
        "https://hooks.slack.com/actions/T0123ABCD/4567890123/Ab9cDefGHijkLMnoPQ",
        "https://hooks.slack.com/services/T0123ABCD/B0123/Ab9cDefGHijkLMnoPQ",
        "https://hooks.slack-gov.com/commands/T0123ABCD/4567890123/Ab9cDefGHijkLMnoPQ",
        SIM_HOOK,
    ],
)
def test_response_urls_are_redacted(url: str) -> None:
    for text in (f"posting to {url}", f"url: {url}, body: {{}}", f"{{'response_url': '{url}'}}", f"<{url}>"):
        cleaned = redact(text)
        token = url.rsplit("/", 1)[-1]
        assert token not in cleaned and "[redacted]" in cleaned, cleaned
    assert redact("https://slack.com/api/chat.postMessage") == "https://slack.com/api/chat.postMessage"


def test_the_hub_secret_in_a_callback_path_is_redacted() -> None:
    line = '127.0.0.1:5000 - "POST /orange/hub/q1w2e3r4t5y6u7i8o9p0/listener/productOrderStateChangeEvent HTTP/1.1" 204'
    cleaned = redact(line)
    assert "q1w2e3r4t5y6u7i8o9p0" not in cleaned and "/orange/hub/[redacted]/listener/" in cleaned


def test_text_log_tracebacks_are_redacted() -> None:
    register_secret("s3cr3t-value-456")
    try:
        raise RuntimeError(f"s3cr3t-value-456 leaked, and {HOOK}")
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), sys.exc_info()
        )
    assert RedactingFilter().filter(record)
    line = logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert "Traceback" in line and "s3cr3t" not in line and "hooks.slack.com/commands/T0123ABCD" not in line
