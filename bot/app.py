"""The slack-bolt AsyncApp: `/orange`, its buttons, App Home, and the HTTP front (`/slack/events`, `/healthz`,
`/metrics`).

Acknowledge first, always: bolt answers Slack at `ack()` (we never set `process_before_response`), and the
carrier is called after it, so Slack gets its answer within its 3 s whatever Orange does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import BotContext
from bot.jobs.scheduler import replica_owner
from bot.listeners import actions, approvals, commands, events, rules, trust
from bot.metrics import CONTENT_TYPE_LATEST, Metrics
from bot.push import hub_routes
from bot.settings import Settings
from storage.db import ping

__all__ = [
    "MAX_SLACK_BODY_BYTES",
    "NOT_REPEATABLE",
    "CappedRateLimitRetryHandler",
    "create_bolt_app",
    "create_health_app",
    "create_metrics_app",
    "create_web_app",
    "health",
    "make_web_client",
]

log = logging.getLogger("bot.app")


MAX_RETRY_AFTER = 10.0
"""Longest Slack `Retry-After` the client waits in place; a longer one is raised (the outbox reschedules the post),
so no caller holds a claim, a lease or a user's request for minutes."""


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, except that a `Retry-After` over `max_wait` seconds is not waited for."""

    def __init__(self, *, max_retry_count: int = 3, max_wait: float = MAX_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                try:
                    return float(values[0] if isinstance(values, list) else values) <= self.max_wait
                except (TypeError, ValueError, IndexError):
                    return True
        return True


NOT_REPEATABLE = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "chat.meMessage", "views.open", "views.push"}
)
"""Web API methods that post something new: when Slack answers 5xx or the connection drops, Slack may have taken the
call, and sending it again posts twice. The client never repeats them on such an answer; the outbox's own retry
(which first looks for the post in the thread) is the only one. A 429 is safe to wait out: Slack took nothing."""


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class _NotForPosts(AsyncRetryHandler):
    """A retry handler that never repeats a call in `NOT_REPEATABLE` (put first in the bases of a slack_sdk handler)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _method(request) in NOT_REPEATABLE:
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


class ReadsOnlyServerErrorRetryHandler(_NotForPosts, AsyncServerErrorRetryHandler):
    """slack_sdk's 5xx retry, for calls that are safe to send twice (reads, updates in place), not for posts."""


class ReadsOnlyConnectionErrorRetryHandler(_NotForPosts, AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry on a dropped connection, likewise not for posts (the request may have reached Slack)."""


class MeteredWebClient(AsyncWebClient):
    """slack_sdk's client, counting each Web API call by method and outcome (`ok`, Slack's error, the failure)."""

    metrics: Metrics | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> Any:
        outcome = "ok"
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            outcome = str(err.response.get("error") or f"http {err.response.status_code}")
            raise
        except Exception as err:
            outcome = type(err).__name__
            raise
        finally:
            if self.metrics is not None:
                self.metrics.slack_call(api_method, outcome)


def metered_copy(client: AsyncWebClient, metrics: Metrics) -> MeteredWebClient:
    """The same client (token, base URL, session, retry handlers), counting its calls."""
    copy = MeteredWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers.copy() if client.retry_handlers is not None else None,
    )
    copy.metrics = metrics
    return copy


def make_web_client(settings: Settings, *, metrics: Metrics | None = None) -> AsyncWebClient:
    """The Web API client: `SLACK_API_URL` for every call; short 429s wait for Retry-After, 5xx back off (reads and
    updates only: a post is never repeated by the client, see `NOT_REPEATABLE`)."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            CappedRateLimitRetryHandler(max_retry_count=3),
            ReadsOnlyServerErrorRetryHandler(max_retry_count=2),
            ReadsOnlyConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    client.metrics = metrics
    return client


def create_bolt_app(ctx: BotContext, *, client: AsyncWebClient | None = None) -> AsyncApp:
    settings = ctx.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        client=client or make_web_client(settings, metrics=ctx.metrics),
        signing_secret=secret,
        process_before_response=False,
        # Messages and events we do not handle are acknowledged and dropped, not logged as errors.
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("bot.bolt"),
    )

    @app.middleware
    async def metered_client(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        # bolt makes a plain AsyncWebClient per request: the listeners get a counted copy of it instead.
        context["client"] = metered_copy(context.client, ctx.metrics)
        await next()

    trust.register(app, ctx)  # before every feature: another organisation's request reaches none of them
    commands.register(app, ctx)
    actions.register(app, ctx)
    events.register(app, ctx)
    approvals.register(app, ctx)
    rules.register(app, ctx)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        # What a listener leaves: log it once, without the payload (it may carry user text).
        logger.error("unhandled %s in a listener for %s", type(error).__name__, body.get("type"), exc_info=error)

    return app


MAX_SLACK_BODY_BYTES = 1024 * 1024
"""Slack's payloads are a few KB (a modal's state: tens): a bigger body is refused (413) as soon as it shows."""
SIGNATURE_WINDOW_SECONDS = 5 * 60
"""Slack's own replay window: a request signed longer ago (or ahead) than this is refused."""


def create_web_app(app: AsyncApp, ctx: BotContext) -> Starlette:
    """HTTP mode: events, commands, interactivity and options all at `POST /slack/events`; the rest as in
    `create_health_app` (`GET /healthz`, Orange's hub listener, `/metrics` when `METRICS_TOKEN` guards it).

    Before bolt sees a request (bolt parses first and verifies after): the body is read up to
    `MAX_SLACK_BODY_BYTES` (413 beyond), the signature is checked on those bytes (401), and a signed body that is
    neither a form nor a JSON object is a 400.
    """
    secret = ctx.settings.slack_signing_secret
    key = secret.get_secret_value().encode() if secret is not None else b""

    async def slack_events(request: Request) -> Response:
        body = await read_capped(request, limit=MAX_SLACK_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "request too large"}, status_code=413)
        if not slack_signature_ok(key, request.headers, body, now=time.time()):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        # Timed from here: bolt answers at ack(), so this is the time Slack waits (strangers' requests not counted).
        with ctx.metrics.timed_ack("http"):
            bolt_request = _bolt_request(request, body)
            if bolt_request is None:
                return JSONResponse({"error": "not a Slack payload"}, status_code=400)
            return to_starlette_response(await app.async_dispatch(bolt_request))

    return Starlette(routes=[Route("/slack/events", slack_events, methods=["POST"]), *_common_routes(ctx, app.client)])


def create_health_app(ctx: BotContext, client: AsyncWebClient) -> Starlette:
    """Socket Mode: what PORT serves without Slack's events: `GET /healthz`, Orange's hub listener, and `/metrics`
    when `METRICS_TOKEN` guards it."""
    return Starlette(routes=_common_routes(ctx, client))


def create_metrics_app(ctx: BotContext) -> Starlette:
    """`METRICS_PORT`: `GET /metrics` and nothing else (behind `METRICS_TOKEN` too, when it is set)."""
    return Starlette(routes=[_metrics_route(ctx)])


def _common_routes(ctx: BotContext, client: AsyncWebClient) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse(*await health(ctx))

    settings = ctx.settings
    # PORT is public (Slack's Request URL, Orange's callbacks): /metrics only with a token, and never when it has
    # a port of its own.
    metrics = [_metrics_route(ctx)] if settings.metrics_token is not None and settings.metrics_port is None else []
    return [
        Route("/healthz", healthz, methods=["GET"]),
        *metrics,
        *hub_routes(ctx, client, owner=replica_owner()),
    ]


def _metrics_route(ctx: BotContext) -> Route:
    token = ctx.settings.metrics_token
    expected = hashlib.sha256(token.get_secret_value().encode()).digest() if token is not None else None

    async def metrics(request: Request) -> Response:
        if expected is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            # Both sides hashed first: compare_digest then also hides the token's length.
            given_digest = hashlib.sha256(given.strip().encode("latin-1", "replace")).digest()
            if scheme.lower() != "bearer" or not hmac.compare_digest(given_digest, expected):
                return JSONResponse({"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(await ctx.metrics.render(ctx.engine), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])


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


def _bolt_request(request: Request, body: bytes) -> AsyncBoltRequest | None:
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


async def health(ctx: BotContext) -> tuple[dict[str, Any], int]:
    """`/healthz`: `ok` or `degraded`, and nothing a stranger could use (no backends, versions or error classes)."""
    try:
        await ctx.read(ping)
        state = "ok"
    except Exception as err:  # any failure means "not healthy"; the log says which kind, never the URL
        log.warning("health check: the database did not answer (%s)", type(err).__name__)
        state = "degraded"
    return {"status": state, "database": state}, 200 if state == "ok" else 503
