"""The slack-bolt AsyncApp: `/orange`, its buttons, App Home, and the HTTP front (`/slack/events`, `/healthz`).

Acknowledge first, always: bolt answers Slack at `ack()` (we never set `process_before_response`), and the
carrier is called after it, so Slack gets its answer within its 3 s whatever Orange does.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
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
from bot.listeners import actions, approvals, commands, events, rules
from bot.metrics import CONTENT_TYPE_LATEST, Metrics
from bot.push import hub_routes
from bot.settings import Settings
from storage.db import ping

__all__ = [
    "CappedRateLimitRetryHandler",
    "create_bolt_app",
    "create_health_app",
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
    """The Web API client: `SLACK_API_URL` for every call; short 429s wait for Retry-After, 5xx back off."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            CappedRateLimitRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
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


def create_web_app(app: AsyncApp, ctx: BotContext) -> Starlette:
    """HTTP mode: events, commands, interactivity and options all at `POST /slack/events`; the rest as in
    `create_health_app` (`GET /healthz`, Orange's hub listener)."""
    handler = AsyncSlackRequestHandler(app)

    async def slack_events(request: Request) -> Response:
        with ctx.metrics.timed_ack("http"):  # bolt answers at ack(): this is the time Slack waits
            return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", slack_events, methods=["POST"]), *_common_routes(ctx, app.client)])


def create_health_app(ctx: BotContext, client: AsyncWebClient) -> Starlette:
    """Socket Mode: what PORT serves without Slack's events: `GET /healthz` and Orange's hub listener."""
    return Starlette(routes=_common_routes(ctx, client))


def _common_routes(ctx: BotContext, client: AsyncWebClient) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse(*await health(ctx))

    async def metrics(request: Request) -> Response:
        return Response(await ctx.metrics.render(ctx.engine), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *hub_routes(ctx, client, owner=replica_owner()),
    ]


async def health(ctx: BotContext) -> tuple[dict[str, Any], int]:
    try:
        await ctx.read(ping)
        database = "ok"
    except Exception as err:  # any failure means "not healthy"; say which kind, never the URL
        database = f"error: {type(err).__name__}"
    scheduler = "running" if ctx.scheduler_running() else "stopped"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "scheduler": scheduler,
        "backends": {name: "enabled" for name in ctx.enabled},
    }
    return body, 200 if database == "ok" else 503
