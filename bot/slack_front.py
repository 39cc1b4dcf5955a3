"""What `POST /slack/events` checks before bolt sees a request: its size, Slack's signature, and that it is what
Slack sends.

    body = await read_capped(request, limit=MAX_SLACK_BODY_BYTES)          # None: too large (413)
    slack_signature_ok(key, request.headers, body, now=time.time())         # False: 401
    bolt_request(request, body)                                             # None: not a Slack payload (400)

bolt parses first and verifies after; this order keeps a stranger's body unparsed and unlogged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request
from slack_bolt.async_app import AsyncBoltContext, AsyncBoltRequest
from slack_bolt.request.async_internals import build_async_context
from starlette.requests import Request

__all__ = ["MAX_SLACK_BODY_BYTES", "SIGNATURE_WINDOW_SECONDS", "bolt_request", "read_capped", "slack_signature_ok"]

log = logging.getLogger("bot.slack_front")


MAX_SLACK_BODY_BYTES = 1024 * 1024
"""Slack's payloads are a few KB (a modal's state: tens): a bigger body is refused (413) as soon as it shows."""
SIGNATURE_WINDOW_SECONDS = 5 * 60
"""Slack's own replay window: a request signed longer ago (or ahead) than this is refused."""


async def read_capped(request: Request, *, limit: int) -> bytes | None:
    """The request's body, or None once it is over `limit` bytes: a declared length is refused unread, and the
    stream is counted as it arrives (a chunked body declares nothing)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def slack_signature_ok(key: bytes, headers: Mapping[str, str], body: bytes, *, now: float) -> bool:
    """Slack's v0 signature: `v0=` + HMAC-SHA256(signing secret, `v0:<timestamp>:<body>`), within 5 minutes."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not key or not signature or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        return False
    digest = hmac.new(key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    # Header values arrive as latin-1 text: encoding them back gives the bytes sent, whatever they are.
    return hmac.compare_digest(f"v0={digest}".encode(), signature.encode("latin-1", "replace"))


def bolt_request(request: Request, body: bytes) -> AsyncBoltRequest | None:
    """bolt's request for a signed body, or None when the body is not what Slack sends (a form or a JSON object).

    The body is parsed here, not by bolt: bolt reads any form that contains the word "payload" anywhere as an
    interactivity payload, so `/orange find payload` would reach no listener."""
    try:
        parsed = _slack_payload(body.decode("utf-8"), request.headers.get("content-type", ""))
        if parsed is None:
            return None
        bolt_request = to_async_bolt_request(request, body)
        bolt_request.body = parsed
        bolt_request.context = build_async_context(AsyncBoltContext(), parsed)
        return bolt_request
    except Exception as err:  # bolt's own reading of the payload failed: the sender's fault, not ours
        log.warning("a signed Slack request bolt cannot read (%s)", type(err).__name__)
        return None


def _slack_payload(text: str, content_type: str) -> dict[str, Any] | None:
    """What Slack sent: a JSON object (events), a form whose one `payload` field is a JSON object (interactivity),
    or a form of single fields (slash commands); None for anything else."""
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/json" or text.startswith("{"):  # how bolt picks JSON
        return _json_object(text)
    if media != "application/x-www-form-urlencoded":
        return None
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    if not fields:
        return None
    payload = fields.get("payload")
    if payload is not None:
        return _json_object(payload[0]) if len(payload) == 1 else None
    return {name: values[-1] for name, values in fields.items()}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
