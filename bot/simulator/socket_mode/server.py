"""SocketModeServer: serves the link and apps.connections.open, delivers and retries envelopes, hears acks, faults."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from typing import Any, TypeVar

from aiohttp import web
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.simulator.methods.apps import CONNECTIONS_SCOPE
from bot.simulator.params import JSONDict
from bot.simulator.socket_mode import link, wire
from bot.simulator.socket_mode.connections_open import APP_TOKEN, METHOD, Tickets, answer_connections_open
from bot.simulator.socket_mode.records import Ack, Connection, Delivery, DisconnectReason, Envelope, EnvelopeType
from bot.simulator.web_api import FakeSlack

__all__ = ["SocketModeServer"]

REDELIVERED: frozenset[str] = frozenset({"events_api"})
"""Envelope types Slack delivers again when they are not acked in time."""

T = TypeVar("T")


class SocketModeServer:
    """Slack's Socket Mode endpoint for one app, beside a FakeSlack; see bot/simulator/socket_mode/__init__.py."""

    def __init__(
        self,
        fake: FakeSlack,
        *,
        app_token: str = APP_TOKEN,
        app_scopes: Collection[str] = (CONNECTIONS_SCOPE,),
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0),
        ping_interval: float | None = 5.0,
        ticket_ttl: float = 30.0,
        close_after: float = 0.5,
    ) -> None:
        self.fake = fake
        self.app_token = app_token
        self.app_scopes = frozenset(app_scopes)
        self.ack_timeout = ack_timeout
        self.retry_delays = retry_delays
        self.ping_interval = ping_interval
        self.ticket_ttl = ticket_ttl
        self.close_after = close_after
        self.url: str | None = None
        """``ws://127.0.0.1:<port>`` while serving."""
        self.connections: list[Connection] = []
        self.envelopes: list[Envelope] = []
        self.acks: list[Ack] = []
        """Every ack heard, in arrival order."""
        self.refused_handshakes = 0
        self._tickets = Tickets()
        self._deliveries: dict[str, tuple[Envelope, Delivery]] = {}
        self._ack_delays: list[float] = []
        self._outage_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._route = Route(f"/api/{METHOD}", self._connections_open, methods=["GET", "POST"])

    # ------------------------------------------------------------------ running

    @contextlib.asynccontextmanager
    async def serving(self, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[SocketModeServer]:
        """Serve the link on loopback and answer apps.connections.open on the fake, until the block exits."""
        app = web.Application()
        app.router.add_get("/link/", self._link)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(runner, sock)
        await site.start()
        self.url = f"ws://{host}:{sock.getsockname()[1]}"
        routes = self.fake.app.router.routes
        routes.insert(0, self._route)  # ahead of FakeSlack's /api/{method}, which only knows the bot token
        try:
            yield self
        finally:
            routes.remove(self._route)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for conn in self.open_connections:
                await link.close(conn, code=1001)
            await runner.cleanup()
            sock.close()
            self.url = None

    # ------------------------------------------------------------------ what Slack sends

    async def deliver(
        self, type: EnvelopeType, payload: Mapping[str, Any], *, accepts_response_payload: bool | None = None
    ) -> Envelope:
        """Send an envelope to the newest open connection (and again later, if Slack would)."""
        if accepts_response_payload is None:
            accepts_response_payload = wire.accepts_response_payload(type, payload)
        envelope = Envelope(type, copy.deepcopy(dict(payload)), accepts_response_payload)
        self.envelopes.append(envelope)
        await self._attempt(envelope, 0)
        return envelope

    async def command(
        self, text: str = "", *, user: str = "U_ALICE", channel: str = "C_GENERAL", command: str = "/orange"
    ) -> Envelope:
        """A slash command, as Slack wraps it, with a fresh response_url and trigger_id on the fake."""
        payload = wire.command_payload(self.fake, text=text, user=user, channel=channel, command=command)
        return await self.deliver("slash_commands", payload)

    async def event(self, event: Mapping[str, Any], *, event_id: str | None = None) -> Envelope:
        """An Events API event_callback."""
        payload = wire.event_payload(event, event_id=event_id or wire.new_event_id(next(self._ids)))
        return await self.deliver("events_api", payload)

    async def disconnect(
        self, reason: DisconnectReason, *, connection: Connection | None = None, close_after: float | None = None
    ) -> Connection:
        """Ask the app to reconnect; "refresh_requested" and "link_disabled" then close the socket."""
        conn = self._target(connection)
        await link.send(conn, wire.disconnect_message(reason))
        if reason != "warning":
            self._spawn(link.close_later(conn, self.close_after if close_after is None else close_after))
        return conn

    # ------------------------------------------------------------------ faults

    async def close(self, connection: Connection | None = None, *, code: int = 1001) -> Connection:
        """The server ends the socket (1001: going away)."""
        conn = self._target(connection)
        await link.close(conn, code=code)
        return conn

    def go_silent(self, connection: Connection | None = None) -> Connection:
        """The socket stays open and nothing goes through it any more, either way: not even a pong."""
        conn = self._target(connection)
        conn.silent = True
        return conn

    def outage(self, seconds: float) -> None:
        """For `seconds`, the link refuses every handshake with 503 (apps.connections.open still answers)."""
        self._outage_until = time.monotonic() + seconds

    def delay_acks(self, seconds: float, *, count: int = 1) -> None:
        """The next `count` acks reach Slack `seconds` late."""
        self._ack_delays.extend([seconds] * count)

    # ------------------------------------------------------------------ queries

    @property
    def open_connections(self) -> list[Connection]:
        return [c for c in self.connections if c.is_open]

    @property
    def newest(self) -> Connection | None:
        """The connection Slack delivers to: the newest open one (Slack cannot tell a silent one)."""
        return next((c for c in reversed(self.connections) if c.is_open), None)

    async def wait_for_connection(self, count: int = 1, *, timeout: float = 5.0) -> Connection:
        """The `count`-th connection ever opened, once it has had its hello."""

        def ready() -> Connection | None:
            if len(self.connections) < count:
                return None
            conn = self.connections[count - 1]
            return conn if conn.sent else None

        return await _until(ready, timeout)

    async def wait_for_ack(self, envelope: Envelope, *, timeout: float = 5.0) -> Ack:
        """The first ack of any attempt at `envelope`, in time or not."""
        return await _until(lambda: next(iter(envelope.acks), None), timeout)

    async def wait_for_deliveries(self, envelope: Envelope, count: int, *, timeout: float = 5.0) -> list[Delivery]:
        return await _until(lambda: envelope.deliveries if len(envelope.deliveries) >= count else None, timeout)

    # ------------------------------------------------------------------ apps.connections.open and the link

    async def _connections_open(self, request: Request) -> Response:
        return await answer_connections_open(
            request,
            fake=self.fake,
            app_token=self.app_token,
            app_scopes=self.app_scopes,
            new_url=lambda: self._tickets.new_url(self.url),
        )

    async def _link(self, request: web.Request) -> web.StreamResponse:
        if time.monotonic() < self._outage_until:
            self.refused_handshakes += 1
            raise web.HTTPServiceUnavailable(text="the link is down")
        ticket = request.query.get("ticket", "")
        if not self._tickets.redeem(ticket, ttl=self.ticket_ttl):
            self.refused_handshakes += 1
            raise web.HTTPUnauthorized(text="unknown, used or expired ticket")
        ws = await link.accept(request)
        conn = Connection(next(self._ids), ticket, time.time(), ws=ws)
        self.connections.append(conn)
        pinger = self._spawn(link.ping(conn, self.ping_interval)) if self.ping_interval else None
        try:
            await link.send(conn, wire.hello_message(num_connections=len(self.open_connections)))
            await link.converse(conn, ws, request, hear=self._heard)
        finally:
            if pinger is not None:
                pinger.cancel()
            if conn.closed is None:
                conn.closed, conn.closed_by = time.time(), "app"
        return ws

    def _target(self, connection: Connection | None) -> Connection:
        conn = connection or self.newest
        if conn is None:
            raise LookupError("no Socket Mode connection is open")
        return conn

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ envelopes and acks

    async def _attempt(self, envelope: Envelope, retry_attempt: int) -> None:
        conn = self.newest
        delivery = Delivery(str(uuid.uuid4()), retry_attempt, conn.id if conn else None, time.monotonic())
        envelope.deliveries.append(delivery)
        self._deliveries[delivery.envelope_id] = (envelope, delivery)
        if conn is not None:
            await link.send(conn, wire.envelope_message(envelope, delivery))
        self._spawn(self._await_ack(envelope, delivery))

    async def _await_ack(self, envelope: Envelope, delivery: Delivery) -> None:
        await asyncio.sleep(self.ack_timeout)
        if any(ack.in_time for ack in delivery.acks):
            return
        if envelope.type not in REDELIVERED or delivery.retry_attempt >= len(self.retry_delays):
            envelope.given_up = True
            return
        await asyncio.sleep(self.retry_delays[delivery.retry_attempt])
        await self._attempt(envelope, delivery.retry_attempt + 1)

    def _heard(self, conn: Connection, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        conn.received.append(message)
        found = self._deliveries.get(str(message.get("envelope_id")))
        if found is None:
            return
        delivery = found[1]
        delay = self._ack_delays.pop(0) if self._ack_delays else 0.0
        payload = message.get("payload")
        ack_payload = payload if isinstance(payload, dict) else None
        if delay:
            self._spawn(self._ack_later(delay, conn, delivery, ack_payload))
        else:
            self._ack(conn, delivery, ack_payload)

    async def _ack_later(self, delay: float, conn: Connection, delivery: Delivery, payload: JSONDict | None) -> None:
        await asyncio.sleep(delay)
        self._ack(conn, delivery, payload)

    def _ack(self, conn: Connection, delivery: Delivery, payload: JSONDict | None) -> None:
        latency = time.monotonic() - delivery.sent
        ack = Ack(delivery.envelope_id, payload, conn.id, latency, latency <= self.ack_timeout)
        delivery.acks.append(ack)
        self.acks.append(ack)


async def _until(predicate: Callable[[], T | None], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while (result := predicate()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"socket mode simulator: condition not met within {timeout}s")
        await asyncio.sleep(0.005)
    return result
