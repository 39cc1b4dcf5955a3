"""`orange-bot run`: the bot process. Socket Mode when `SLACK_APP_TOKEN` is set, else HTTP on `PORT`.

Start-up: migrations, the Orange client, the bolt app, the scheduler (poll, outbox and approvals jobs; the
approvals job runs at once, so what a crash left `submitting` is looked up first), then the Slack front.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette

from bot.app import create_bolt_app, create_health_app, create_metrics_app, create_web_app, make_web_client
from bot.context import BotContext
from bot.metrics import Metrics
from bot.push import settle
from bot.settings import Settings
from integrations import OrangeClient
from storage.db import make_engine
from storage.migrate import upgrade

__all__ = ["bot_context", "hub_command", "run", "start_background"]

log = logging.getLogger("bot.runner")


@asynccontextmanager
async def bot_context(settings: Settings) -> AsyncIterator[BotContext]:
    engine = make_engine(settings.database_url)
    await asyncio.to_thread(upgrade, engine)
    metrics = Metrics()
    async with OrangeClient(settings, observer=metrics) as orange:
        try:
            yield BotContext(settings=settings, orange=orange, engine=engine, metrics=metrics)
        finally:
            engine.dispose()


async def hub_command(settings: Settings, action: str) -> int:
    """`orange-bot hub register|unregister`: prints what was done."""
    from bot.push import ensure_hubs, unregister_hubs

    async with bot_context(settings) as ctx:
        if action == "unregister":
            print(f"unregistered {await unregister_hubs(ctx)} hub(s)")
            return 0
        if not settings.hub_callback_url:
            print("HUB_CALLBACK_URL is not set: no hub to register")
            return 2
        for api, done in (await ensure_hubs(ctx)).items():
            print(f"{api}: {done}")
        return 0


async def start_background(ctx: BotContext, client: AsyncWebClient) -> object | None:
    """The poll and outbox jobs, when this build has them; returns the scheduler to shut down."""
    try:
        module = importlib.import_module("bot.jobs.scheduler")
    except ImportError:  # the notifier is not part of this build
        return None
    scheduler: object = module.start_scheduler(ctx, client)
    return scheduler


async def run(settings: Settings) -> int:
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
        )
        if value is None or not value.get_secret_value().strip()
    ]
    if missing:
        # Settings already read a blank value as unset; say so, since `.env.example` leaves both blank.
        log.error("orange-bot run needs %s (unset or blank; see .env.example)", " and ".join(missing))
        return 2
    if settings.metrics_port is not None and settings.metrics_port == settings.port:
        log.error("METRICS_PORT must differ from PORT (%d): /metrics is kept off the public port", settings.port)
        return 2
    if not settings.backends():
        log.warning("no Orange backend is configured: set client ids, or ORANGE_SANDBOX_URL")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot_context(settings) as ctx:
        client = make_web_client(settings, metrics=ctx.metrics)
        if await ctx.home.learn(client):  # only this organisation acts; unknown, requests ask again and wait
            log.info("Slack team %s (enterprise %s)", ctx.home.team_id, ctx.home.enterprise_id or "none")
        else:
            log.warning("auth.test did not answer: the bot's Slack team is learnt at the first request")
        app = create_bolt_app(ctx, client=client)
        scheduler = await start_background(ctx, client)
        extra = _metrics_server(ctx)
        try:
            if settings.slack_app_token is not None:
                # /healthz still answers on PORT, so a container health check works in both modes.
                servers = asyncio.create_task(_serve([(create_health_app(ctx, client), settings.port), *extra], stop))
                await _socket_mode(app, settings, stop, ctx.metrics)
                await servers
            else:
                log.info("HTTP mode on port %d: POST /slack/events, GET /healthz", settings.port)
                await _serve([(create_web_app(app, ctx), settings.port), *extra], stop)
        finally:
            log.info("stopping: no new requests; finishing the answers under way")
            if scheduler is not None:
                scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
            with contextlib.suppress(TimeoutError):  # hub events accepted, not handled yet: polling catches them up
                await asyncio.wait_for(settle(), timeout=5)
            await _finish_listeners(timeout=LISTENER_GRACE_SECONDS)
            log.info("stopped")
    return 0


LISTENER_GRACE_SECONDS = 6.0
"""How long a stop waits for commands acked but not yet answered (their reply goes to `response_url`)."""


async def _finish_listeners(*, timeout: float) -> None:
    """Let bolt's listeners still running (acked, answering) finish, up to `timeout` s: a stop must not swallow a
    reply the user was told is coming."""
    running = [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.done()
        and "run_ack_function_asynchronously" in getattr(task.get_coro(), "__qualname__", "")
    ]
    if running:
        log.info("waiting for %d answer(s) under way", len(running))
        _, late = await asyncio.wait(running, timeout=timeout)
        if late:
            log.warning("%d answer(s) did not finish within %.0f s of the stop", len(late), timeout)


def _metrics_server(ctx: BotContext) -> list[tuple[Starlette, int]]:
    """`/metrics` on `METRICS_PORT` when set; else on `PORT` behind `METRICS_TOKEN`; else nowhere (said once)."""
    settings = ctx.settings
    if settings.metrics_port is not None:
        log.info("GET /metrics on port %d", settings.metrics_port)
        return [(create_metrics_app(ctx), settings.metrics_port)]
    if settings.metrics_token is not None:
        log.info("GET /metrics on port %d, behind METRICS_TOKEN", settings.port)
    else:
        log.info("no /metrics: set METRICS_PORT (a port of its own) or METRICS_TOKEN (a bearer token on PORT)")
    return []


class _Server(uvicorn.Server):
    """uvicorn without its own SIGINT/SIGTERM handlers: `run` owns the signals and stops every server together
    (two uvicorn servers each swapping the process's handlers would restore them in the wrong order)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve(apps: list[tuple[Starlette, int]], stop: asyncio.Event) -> None:
    """Serve each app on its port until `stop` is set (or one server ends: then all stop)."""
    servers = [
        _Server(
            uvicorn.Config(
                web,
                host="0.0.0.0",
                port=port,
                # Our handlers (JSON or text, redacted) write uvicorn's lines too, tracebacks included; their levels
                # are set by the command line (WARNING unless -v).
                log_config=None,
                log_level=None,
                # A connection still open after 5 s does not hold the stop past docker's 10 s.
                timeout_graceful_shutdown=5,
            )
        )
        for web, port in apps
    ]
    serving = [asyncio.create_task(server.serve()) for server in servers]
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({*serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*serving)
    stopping.cancel()


async def _socket_mode(app: object, settings: Settings, stop: asyncio.Event, metrics: Metrics) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.socket_mode import SocketModeRunner

    assert settings.slack_app_token is not None
    token = settings.slack_app_token.get_secret_value()

    class Metered(AsyncSocketModeHandler):
        """bolt's handler, timing each envelope from its arrival to its ack (the response bolt sends back)."""

        async def handle(self, client: Any, req: Any) -> None:
            with metrics.timed_ack("socket_mode"):
                await super().handle(client, req)

    runner = SocketModeRunner(lambda: Metered(app, token))  # type: ignore[arg-type,return-value]
    log.info("Socket Mode")
    await runner.run(stop)
