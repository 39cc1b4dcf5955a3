"""Slack's side of Socket Mode on loopback: apps.connections.open on a FakeSlack, and the websocket link.

    async with FakeSlack.serve() as fake, SocketModeServer(fake).serving() as link:
        ...  # the bot runs with SLACK_API_URL=fake.api_url and SLACK_APP_TOKEN=link.app_token
        await link.wait_for_connection()
        envelope = await link.command("help")           # a slash_commands envelope on the newest connection
        ack = await link.wait_for_ack(envelope)         # ack.latency, ack.in_time, ack.payload
        await link.disconnect("refresh_requested")      # or "warning", "link_disabled"; close(), go_silent()

What it copies from Slack (docs.slack.dev/apis/events-api/using-socket-mode, and what slack_sdk's clients read):

- apps.connections.open wants the app-level token, as bearer or `token`: the bot token is refused with
  not_allowed_token_type, any other with invalid_auth. It answers ``ws://…/link/?ticket=…&app_id=…``; a ticket opens
  one connection, within `ticket_ttl` seconds (the simulator's rule: Slack documents no lifetime, but a client
  that retries an old URL fails for good, python-slack-sdk#1379). ``fake.inject("apps.connections.open", ...)``
  fails it like any method.
- A new connection gets ``hello`` (num_connections, debug_info, connection_info.app_id).
- Envelopes (envelope_id, type, payload, accepts_response_payload; events_api also retry_attempt, retry_reason) go
  to the newest open connection, and the app acks ``{envelope_id, payload?}``; every ack is recorded with its
  latency. An ack later than `ack_timeout` (3 s) does not count: an events_api envelope is then delivered again,
  with a new envelope_id, retry_attempt + 1 and retry_reason "timeout", after `retry_delays` (at once, then 1 and
  5 minutes); a command or an interaction is not (Slack tells the user it failed). An ack's payload is recorded,
  not acted on (a view_submission's response_action is not applied to the fake's views).
- The server pings each connection every `ping_interval` seconds (the simulator's pace: Slack documents none) and
  answers the app's pings.
- ``disconnect(reason)`` sends ``{type: disconnect, reason, debug_info}``: "warning" leaves the socket open,
  "refresh_requested" and "link_disabled" close it `close_after` seconds later, unless the app went first.

Faults: ``close()`` (the server ends the socket), ``go_silent()`` (a dead socket: still open, but it sends nothing,
answers no ping, and what the app sends is lost), ``outage(seconds)`` (the link refuses handshakes with 503),
``delay_acks(seconds)`` (acks reach Slack late).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import WSMsgType, web
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.simulator.client import VERIFICATION_TOKEN
from bot.simulator.methods.apps import CONNECTIONS_SCOPE, check_app_token
from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.records import Call
from bot.simulator.team import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from bot.simulator.web_api import FakeSlack

__all__ = [
    "APP_TOKEN",
    "Ack",
    "Connection",
    "Delivery",
    "DisconnectReason",
    "Envelope",
    "EnvelopeType",
    "SocketModeServer",
]

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
DisconnectReason = Literal["warning", "refresh_requested", "link_disabled"]

APP_TOKEN = "xapp-1-A_SIM-1-simulator"
"""The app-level token the server accepts unless told otherwise."""

METHOD = "apps.connections.open"
REDELIVERED: frozenset[str] = frozenset({"events_api"})
"""Envelope types Slack delivers again when they are not acked in time."""
HOST = "applink-simulator"

T = TypeVar("T")


@dataclass
class Ack:
    """One ack the app sent, as the server heard it."""

    envelope_id: str
    payload: JSONDict | None
    connection: int
    latency: float
    """Seconds from sending the envelope to hearing its ack."""
    in_time: bool
    """Within `ack_timeout`: Slack takes it; a later one is too late."""


@dataclass
class Delivery:
    """One attempt at an envelope: the first, or a retry."""

    envelope_id: str
    retry_attempt: int
    connection: int | None
    """The connection it went to; None when none was open."""
    sent: float
    acks: list[Ack] = field(default_factory=list)


@dataclass
class Envelope:
    """What Slack had to deliver, with every attempt at it."""

    type: EnvelopeType
    payload: JSONDict
    accepts_response_payload: bool
    deliveries: list[Delivery] = field(default_factory=list)
    given_up: bool = False
    """No ack in time and no attempt left: Slack stopped (a command's user sees an error)."""

    @property
    def envelope_id(self) -> str:
        """The first attempt's id (a retry has its own)."""
        return self.deliveries[0].envelope_id

    @property
    def acks(self) -> list[Ack]:
        return [ack for delivery in self.deliveries for ack in delivery.acks]

    @property
    def acked(self) -> bool:
        return any(ack.in_time for ack in self.acks)


@dataclass
class Connection:
    """One websocket the app opened, as the server saw it."""

    id: int
    ticket: str
    opened: float
    sent: list[JSONDict] = field(default_factory=list)
    """Every message the server sent on it: hello, envelopes, disconnect."""
    received: list[JSONDict] = field(default_factory=list)
    """Every JSON message the server heard from the app on it (acks)."""
    pings: int = 0
    """The app's pings the server answered."""
    pongs: int = 0
    """The app's answers to the server's pings."""
    lost: int = 0
    """Frames the app sent while the socket was silent."""
    silent: bool = False
    closed: float | None = None
    closed_by: Literal["server", "app"] | None = None
    ws: web.WebSocketResponse | None = field(default=None, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed is None


class SocketModeServer:
    """Slack's Socket Mode endpoint for one app, beside a FakeSlack; see the module docstring."""

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
        self._tickets: dict[str, float] = {}
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
                await self._close(conn, code=1001)
            await runner.cleanup()
            sock.close()
            self.url = None

    # ------------------------------------------------------------------ what Slack sends

    async def deliver(
        self, type: EnvelopeType, payload: Mapping[str, Any], *, accepts_response_payload: bool | None = None
    ) -> Envelope:
        """Send an envelope to the newest open connection (and again later, if Slack would)."""
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope = Envelope(type, copy.deepcopy(dict(payload)), accepts_response_payload)
        self.envelopes.append(envelope)
        await self._attempt(envelope, 0)
        return envelope

    async def command(
        self, text: str = "", *, user: str = "U_ALICE", channel: str = "C_GENERAL", command: str = "/orange"
    ) -> Envelope:
        """A slash command, as Slack wraps it, with a fresh response_url and trigger_id on the fake."""
        fake = self.fake
        payload = {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": fake.channels[channel].name if channel in fake.channels else channel.lower(),
            "user_id": user,
            "user_name": fake.users[user].name if user in fake.users else user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": fake.new_response_url(channel=channel, user=user),
            "trigger_id": fake.new_trigger_id(user),
        }
        return await self.deliver("slash_commands", payload)

    async def event(self, event: Mapping[str, Any], *, event_id: str | None = None) -> Envelope:
        """An Events API event_callback."""
        now = time.time()
        payload = {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}{secrets.token_hex(2).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(16)}",
        }
        return await self.deliver("events_api", payload)

    async def disconnect(
        self, reason: DisconnectReason, *, connection: Connection | None = None, close_after: float | None = None
    ) -> Connection:
        """Ask the app to reconnect; "refresh_requested" and "link_disabled" then close the socket."""
        conn = self._target(connection)
        await self._send(conn, {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}})
        if reason != "warning":
            self._spawn(self._close_later(conn, self.close_after if close_after is None else close_after))
        return conn

    # ------------------------------------------------------------------ faults

    async def close(self, connection: Connection | None = None, *, code: int = 1001) -> Connection:
        """The server ends the socket (1001: going away)."""
        conn = self._target(connection)
        await self._close(conn, code=code)
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

    # ------------------------------------------------------------------ apps.connections.open

    def _new_url(self) -> str:
        if self.url is None:
            raise SlackApiFailure("internal_error", status=500)
        ticket = str(uuid.uuid4())
        self._tickets[ticket] = time.monotonic()
        return f"{self.url}/link/?ticket={ticket}&app_id={APP_ID}"

    async def _connections_open(self, request: Request) -> Response:
        fake = self.fake
        call = Call(method=METHOD, params={}, time=time.time())
        fake.calls.append(call)
        headers = {"X-OAuth-Scopes": ",".join(sorted(self.app_scopes))}
        try:
            call.params = await fake._params(request)
            auth = request.headers.get("authorization", "")
            bearer = auth[len("Bearer ") :].strip() if auth.lower().startswith("bearer ") else None
            token = bearer or call.params.get("token")
            call.params.pop("token", None)
            check_app_token(
                token if isinstance(token, str) else None,
                app_token=self.app_token,
                bot_token=fake.bot_token,
                scopes=self.app_scopes,
            )
            fault = await fake._faults.strike(METHOD)
            if fault is not None:
                headers.update(fault.headers)
                raise SlackApiFailure(fault.error or "internal_error", status=fault.status)
            body: JSONDict = {"ok": True, "url": self._new_url()}
        except SlackApiFailure as failure:
            call.status = failure.status
            body = {"ok": False, "error": failure.error, **failure.extra}
        call.response = body
        return JSONResponse(body, status_code=call.status, headers=headers)

    # ------------------------------------------------------------------ the link

    async def _link(self, request: web.Request) -> web.StreamResponse:
        if time.monotonic() < self._outage_until:
            self.refused_handshakes += 1
            raise web.HTTPServiceUnavailable(text="the link is down")
        ticket = request.query.get("ticket", "")
        issued = self._tickets.pop(ticket, None)
        if issued is None or time.monotonic() - issued > self.ticket_ttl:
            self.refused_handshakes += 1
            raise web.HTTPUnauthorized(text="unknown, used or expired ticket")
        # Pings, pongs and closes by hand: a silent socket answers none of them.
        ws = web.WebSocketResponse(autoping=False, autoclose=False, timeout=2.0)
        await ws.prepare(request)
        conn = Connection(next(self._ids), ticket, time.time(), ws=ws)
        self.connections.append(conn)
        pinger = self._spawn(self._ping(conn)) if self.ping_interval else None
        try:
            await self._send(conn, self._hello())
            while True:
                msg = await ws.receive()
                if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if conn.silent:
                    conn.lost += 1
                    if msg.type is WSMsgType.CLOSE and request.transport is not None:
                        request.transport.close()  # no closing handshake from a dead socket
                        break
                    continue
                if msg.type is WSMsgType.CLOSE:
                    await ws.close()
                    break
                if msg.type is WSMsgType.PING:
                    conn.pings += 1
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    conn.pongs += 1
                elif msg.type is WSMsgType.TEXT:
                    self._heard(conn, msg.data)
        finally:
            if pinger is not None:
                pinger.cancel()
            if conn.closed is None:
                conn.closed, conn.closed_by = time.time(), "app"
        return ws

    def _hello(self) -> JSONDict:
        return {
            "type": "hello",
            "num_connections": len(self.open_connections),
            "debug_info": {"host": HOST, "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }

    async def _send(self, conn: Connection, message: JSONDict) -> bool:
        """Send on `conn`; False when nothing went out (closed, or silent)."""
        if conn.silent or not conn.is_open or conn.ws is None:
            return False
        async with conn.lock:
            try:
                await conn.ws.send_str(json.dumps(message))
            except ConnectionError:  # the app closed it meanwhile
                return False
        conn.sent.append(message)
        return True

    async def _close(self, conn: Connection, *, code: int) -> None:
        if not conn.is_open or conn.ws is None:
            return
        conn.closed, conn.closed_by = time.time(), "server"
        with contextlib.suppress(Exception):  # already broken on the app's side: closed all the same
            await conn.ws.close(code=code)

    async def _close_later(self, conn: Connection, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._close(conn, code=1001)

    async def _ping(self, conn: Connection) -> None:
        assert self.ping_interval is not None
        while conn.is_open:
            await asyncio.sleep(self.ping_interval)
            if conn.silent or not conn.is_open or conn.ws is None:
                continue
            async with conn.lock:
                with contextlib.suppress(ConnectionError):
                    await conn.ws.ping(b"simulator")

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
        message: JSONDict = {
            "envelope_id": delivery.envelope_id,
            "type": envelope.type,
            "payload": envelope.payload,
            "accepts_response_payload": envelope.accepts_response_payload,
        }
        if envelope.type == "events_api":
            message |= {"retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""}
        if conn is not None:
            await self._send(conn, message)
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
