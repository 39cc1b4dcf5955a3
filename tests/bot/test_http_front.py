"""`POST /slack/events` before bolt sees anything: the body is capped while it streams in (413), the signature is
checked on the raw bytes (401), and a signed body that is neither a form nor a JSON object is a 400, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from bot_harness import SECRET, Harness

from bot.app import MAX_SLACK_BODY_BYTES

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CHUNK = 64 * 1024
COMMAND = b"command=%2Forange&text=order+carrier%3A11&user_id=U_ALICE&channel_id=C_GENERAL&team_id=T_SIM"


def signed(body: bytes, *, secret: str = SECRET, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def front(h: Harness) -> httpx.AsyncClient:
    # raise_app_exceptions=False: an exception in the app is what a client sees from uvicorn, a 500
    transport = httpx.ASGITransport(app=h.web, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://bot.test")


@pytest.fixture
def dispatched(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every request that reached bolt (which parses it)."""
    seen: list[Any] = []
    original = harness.bolt.async_dispatch

    async def spy(req: Any) -> Any:
        seen.append(req)
        return await original(req)

    monkeypatch.setattr(harness.bolt, "async_dispatch", spy)
    return seen


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_oversize_body_is_refused_while_it_streams(
    harness: Harness, dispatched: list[Any], declared: bool
) -> None:
    total = 64 * 1024 * 1024
    sent = [0]

    async def body() -> AsyncIterator[bytes]:
        chunk = b"x" * CHUNK
        while sent[0] < total:
            sent[0] += len(chunk)
            yield chunk

    headers = {"Content-Type": FORM, **signed(b"")}
    if declared:
        headers["Content-Length"] = str(total)
    async with front(harness) as http:
        response = await http.post("/slack/events", content=body(), headers=headers)
    assert response.status_code == 413
    # A declared size is refused unread; an undeclared one as soon as the running count passes the cap.
    assert sent[0] <= (CHUNK if declared else MAX_SLACK_BODY_BYTES + CHUNK), sent[0]
    assert dispatched == []


async def test_a_body_just_under_the_cap_is_still_read(harness: Harness) -> None:
    body = COMMAND + b"&x=" + b"a" * (MAX_SLACK_BODY_BYTES - len(COMMAND) - 3)
    async with front(harness) as http:
        response = await http.post("/slack/events", content=body, headers={"Content-Type": FORM, **signed(body)})
    assert response.status_code != 413


JUNK = [
    (JSON, b"{not json"),
    (JSON, b"[1, 2, 3]"),
    (JSON, b"a=b"),
    (FORM, b"{not json"),
    (FORM, b"payload=%7Bnot-json"),
    (FORM, b"payload=%5B1%5D"),
    (FORM, b"hello world"),
    (FORM, b"\xff\xfe\x00junk"),
    (FORM, b""),
    ("text/plain", b"\x00\x01"),
]

BAD_SIGNATURES: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "missing": lambda body: {},
    "forged": lambda body: signed(body, secret=SECRET + "-forged"),
    "stale": lambda body: signed(body, timestamp=str(int(time.time()) - 301)),
    # Well past the 5-minute window: int() drops up to a second, and the request takes its time to arrive.
    "future": lambda body: signed(body, timestamp=str(int(time.time()) + 360)),
    "not a number": lambda body: {**signed(body), "X-Slack-Request-Timestamp": "soon"},
    "huge timestamp": lambda body: signed(body, timestamp="9" * 5000),
    "other version": lambda body: {**signed(body), "X-Slack-Signature": "v1=" + signed(body)["X-Slack-Signature"][3:]},
    "not ascii": lambda body: {**signed(body), "X-Slack-Signature": "v0=\xe9".encode("latin-1")},
}


@pytest.mark.parametrize("signing", list(BAD_SIGNATURES))
@pytest.mark.parametrize(("content_type", "body"), [(FORM, COMMAND), *JUNK[:3], JUNK[7]])
async def test_an_unsigned_or_badly_signed_request_is_refused_before_parsing(
    harness: Harness,
    dispatched: list[Any],
    caplog: pytest.LogCaptureFixture,
    signing: str,
    content_type: str,
    body: bytes,
) -> None:
    headers = {"Content-Type": content_type, **BAD_SIGNATURES[signing](body)}
    with caplog.at_level(logging.DEBUG):
        async with front(harness) as http:
            response = await http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    assert dispatched == []  # bolt never saw (nor parsed) it
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.records


@pytest.mark.parametrize(("content_type", "body"), JUNK)
async def test_signed_junk_is_a_400_without_a_traceback(
    harness: Harness, dispatched: list[Any], caplog: pytest.LogCaptureFixture, content_type: str, body: bytes
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with front(harness) as http:
            response = await http.post(
                "/slack/events", content=body, headers={"Content-Type": content_type, **signed(body)}
            )
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert dispatched == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.records


async def test_a_signed_command_still_reaches_bolt(harness: Harness, dispatched: list[Any]) -> None:
    ack = await harness.user.command("help")
    assert ack.status == 200
    assert len(dispatched) == 1
    await harness.fake.wait_for_responses(count=1, timeout=10)


@pytest.mark.parametrize("text", ["sites payload", "order payload"])
async def test_a_command_whose_text_says_payload_reaches_its_listener(harness: Harness, text: str) -> None:
    """bolt reads any form containing the word "payload" as an interactivity payload (and drops the command)."""
    ack = await harness.user.command(text)
    assert ack.status == 200
    await harness.fake.wait_for_responses(count=1, timeout=10)
    answer = str(harness.user.render(harness.fake.response_posts()[-1].body))
    assert "payload" in answer.lower()
