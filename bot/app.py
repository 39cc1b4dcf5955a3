"""The slack-bolt AsyncApp: `/orange`, its buttons, App Home, and the HTTP front (`/slack/events`, `/healthz`,
`/metrics`).

Acknowledge first, always: bolt answers Slack at `ack()` (we never set `process_before_response`), and the
carrier is called after it, so Slack gets its answer within its 3 s whatever Orange does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import BotContext
from bot.jobs.scheduler import replica_owner
from bot.listeners import actions, approvals, channel_settings, commands, events, language, rules, trust
from bot.metrics import CONTENT_TYPE_LATEST
from bot.push import hub_routes
from bot.slack_front import MAX_SLACK_BODY_BYTES, bolt_request, read_capped, slack_signature_ok
from bot.web_client import NOT_REPEATABLE, CappedRateLimitRetryHandler, make_web_client, metered_copy
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
    language.register(app, ctx)  # the requesting user's language, for the whole request
    commands.register(app, ctx)
    actions.register(app, ctx)
    events.register(app, ctx)
    approvals.register(app, ctx)
    rules.register(app, ctx)
    channel_settings.register(app, ctx)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        # What a listener leaves: log it once, without the payload (it may carry user text).
        logger.error("unhandled %s in a listener for %s", type(error).__name__, body.get("type"), exc_info=error)

    return app


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
            slack_request = bolt_request(request, body)
            if slack_request is None:
                return JSONResponse({"error": "not a Slack payload"}, status_code=400)
            # A task of its own: the language the request's middleware sets stays with it (`bot.listeners.language`).
            return to_starlette_response(await asyncio.create_task(app.async_dispatch(slack_request)))

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


async def health(ctx: BotContext) -> tuple[dict[str, Any], int]:
    """`/healthz`: `ok` or `degraded`, and nothing a stranger could use (no backends, versions or error classes)."""
    try:
        await ctx.read(ping)
        state = "ok"
    except Exception as err:  # any failure means "not healthy"; the log says which kind, never the URL
        log.warning("health check: the database did not answer (%s)", type(err).__name__)
        state = "degraded"
    return {"status": state, "database": state}, 200 if state == "ok" else 503
