"""Socket Mode over a real websocket: `orange-bot run` (bot.runner.run, in-process) against the simulator's Socket
Mode server (bot/simulator/socket_mode/), which speaks Slack's protocol on loopback.

The first tests check the server itself with a bare aiohttp client; the rest run the bot: a command is acked in
time and answered, each kind of drop (the server closes, disconnect refresh_requested / warning, a silent dead
socket) is followed by a new connection that answers again, a link that refuses handshakes until the URL is dead
is left by the watchdog for a fresh one, SIGTERM stops a bot that is still connecting, and a redelivered event
(its ack came late) is not handled twice. A redelivered event is acked (answered 200), so Slack stops sending it.

Timings are scaled down so that nothing waits a minute: slack_sdk pings every 0.5 s (10 s in production), the
watchdog checks every 0.25 s, calls a connection stale after 3 s and gives an attempt 1 s (10, 60 and 30 s).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import bot.socket_mode
from bot.runner import run
from bot.settings import Settings
from bot.simulator import FakeSlack, ResponsePost
from bot.simulator.socket_mode import Ack, Envelope, SocketModeServer
from bot.socket_mode import SocketModeRunner
from integrations.sandbox.server import running

TOKEN = "xoxb-socket-test"
SECRET = "socket-test-secret"
PING = 0.5
"""slack_sdk's ping interval here (10 s in production); the watchdog's stale limit is 6 of them, as there."""
HOME = {"type": "app_home_opened", "user": "U_ALICE", "tab": "home", "channel": "D_ALICE"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with running() as sandbox:
        yield sandbox.url


# ---------------------------------------------------------------------- the server, with a bare client


async def _open(fake: FakeSlack, token: str | None) -> Any:
    """apps.connections.open's answer (the body of an error too)."""
    try:
        if token is None:
            async with httpx.AsyncClient() as http:
                return (await http.post(f"{fake.api_url}apps.connections.open")).json()
        return (await AsyncWebClient(base_url=fake.api_url).apps_connections_open(app_token=token)).data
    except SlackApiError as err:
        return err.response.data


async def test_connections_open_wants_the_app_level_token() -> None:
    async with FakeSlack.serve(bot_token=TOKEN) as fake:
        # The simulator alone knows no app token: the bot token is of the wrong type, an app token unknown.
        assert (await _open(fake, TOKEN))["error"] == "not_allowed_token_type"
        assert (await _open(fake, SocketModeServer(fake).app_token))["error"] == "invalid_auth"
        async with SocketModeServer(fake).serving() as link:
            opened = await _open(fake, link.app_token)
            assert opened["ok"] is True and opened["url"].startswith(f"{link.url}/link/?ticket=")
            assert (await _open(fake, TOKEN))["error"] == "not_allowed_token_type"
            assert (await _open(fake, "xapp-1-A_OTHER-1-nope"))["error"] == "invalid_auth"
            assert (await _open(fake, None))["error"] == "not_authed"
            assert [c.error for c in fake.calls_to("apps.connections.open")][-4:] == [
                None,
                "not_allowed_token_type",
                "invalid_auth",
                "not_authed",
            ]
        async with SocketModeServer(fake, app_scopes=()).serving() as link:
            refused = await _open(fake, link.app_token)
            assert refused["error"] == "missing_scope" and refused["needed"] == "connections:write"


async def test_hello_then_a_ticket_serves_one_connection() -> None:
    async with (
        FakeSlack.serve(bot_token=TOKEN) as fake,
        SocketModeServer(fake).serving() as link,
        aiohttp.ClientSession() as http,
    ):
        url = (await _open(fake, link.app_token))["url"]
        async with http.ws_connect(url) as ws:
            hello = await ws.receive_json(timeout=2)
            assert hello == {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-simulator", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A_SIM"},
            }
            with pytest.raises(aiohttp.WSServerHandshakeError) as reused:  # python-slack-sdk#1379
                await http.ws_connect(url)
            assert reused.value.status == 401


async def test_pings_are_answered_until_the_socket_goes_silent() -> None:
    async with (
        FakeSlack.serve(bot_token=TOKEN) as fake,
        SocketModeServer(fake).serving() as link,
        aiohttp.ClientSession() as http,
    ):
        async with http.ws_connect((await _open(fake, link.app_token))["url"], autoping=False) as ws:
            await ws.receive_json(timeout=2)
            await ws.ping(b"1")
            assert (await ws.receive(timeout=2)).type is aiohttp.WSMsgType.PONG
            conn = link.go_silent()
            await ws.ping(b"2")
            await link.deliver("events_api", {"type": "event_callback", "event_id": "EvS", "event": {}})
            with pytest.raises(TimeoutError):  # no pong, no envelope: a dead socket that is still open
                await ws.receive(timeout=0.5)
            assert conn.is_open and conn.pings == 1 and conn.lost == 1


async def test_an_unacked_event_comes_again_and_a_command_does_not() -> None:
    async with (
        FakeSlack.serve(bot_token=TOKEN) as fake,
        SocketModeServer(fake, ack_timeout=0.2).serving() as link,
        aiohttp.ClientSession() as http,
    ):
        async with http.ws_connect((await _open(fake, link.app_token))["url"]) as ws:
            await ws.receive_json(timeout=2)
            event = await link.event({"type": "app_home_opened", "user": "U_ALICE", "tab": "home"})
            command = await link.command("help")
            sent = {m["type"]: m for m in [await ws.receive_json(timeout=2), await ws.receive_json(timeout=2)]}
            first = sent["events_api"]
            assert "retry_attempt" not in sent["slash_commands"]  # retries are an Events API thing
            assert (
                sent["slash_commands"]["accepts_response_payload"] is True
                and first["accepts_response_payload"] is False
            )
            again = await ws.receive_json(timeout=2)  # only the event comes again, 0.2 s later
            assert first["retry_attempt"] == 0 and first["retry_reason"] == ""
            assert again["retry_attempt"] == 1 and again["retry_reason"] == "timeout"
            assert again["envelope_id"] != first["envelope_id"] and again["payload"] == first["payload"]
            await ws.send_str(json.dumps({"envelope_id": again["envelope_id"]}))
            await link.wait_for_ack(event)
            assert event.acked and [d.retry_attempt for d in event.deliveries] == [0, 1]
            assert len(command.deliveries) == 1 and command.given_up and not command.acked


# ---------------------------------------------------------------------- the bot


@dataclass
class SocketBot:
    fake: FakeSlack
    link: SocketModeServer
    runners: list[SocketModeRunner]
    task: asyncio.Task[int]

    @property
    def runner(self) -> SocketModeRunner:
        return self.runners[-1]

    async def ask(self, text: str = "help") -> tuple[Envelope, Ack, ResponsePost]:
        """A command the bot acks within Slack's 3 s and answers through its response_url, once."""
        envelope = await self.link.command(text)
        ack = await self.link.wait_for_ack(envelope, timeout=5)
        assert ack.in_time and ack.latency < 3.0, ack
        url = envelope.payload["response_url"]
        posts = await self.fake.wait_for_responses(url, timeout=10)
        assert len(posts) == 1 and posts[0].effect == "ephemeral", posts
        return envelope, ack, posts[0]


def quick_runner(runners: list[SocketModeRunner], **overrides: float) -> Callable[..., SocketModeRunner]:
    """SocketModeRunner as runner.py builds it, with slack_sdk's ping and the watchdog's timings scaled down."""

    def make(make_handler: Callable[[], Any], **kwargs: Any) -> SocketModeRunner:
        def handler() -> Any:
            made = make_handler()
            made.client.ping_interval = PING  # read when it connects: its heartbeat and its monitor
            return made

        options: dict[str, Any] = {"ping_interval": PING, "check_every": 0.25, "connect_timeout": 1.0}
        runner = SocketModeRunner(handler, **{**kwargs, **options, **overrides})
        runners.append(runner)
        return runner

    return make


@asynccontextmanager
async def socket_bot(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch, **link_options: Any
) -> AsyncIterator[SocketBot]:
    runners: list[SocketModeRunner] = []
    monkeypatch.setattr(bot.socket_mode, "SocketModeRunner", quick_runner(runners))
    async with FakeSlack.serve(bot_token=TOKEN) as fake, SocketModeServer(fake, **link_options).serving() as link:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_app_token=link.app_token,
            slack_api_url=fake.api_url,
            orange_sandbox_url=sandbox_url,
            database_url=f"sqlite:///{tmp_path / 'socket.db'}",
            port=free_port(),
        )
        task = asyncio.create_task(run(settings))
        await asyncio.sleep(0)  # run() installs its SIGTERM handler before its first await
        try:
            yield SocketBot(fake, link, runners, task)
        finally:
            if not task.done():
                signal.raise_signal(signal.SIGTERM)  # how the bot is stopped in production
            assert await asyncio.wait_for(task, timeout=10) == 0


async def test_a_command_is_acked_in_time_and_answered(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with socket_bot(tmp_path, sandbox_url, monkeypatch) as sb:
        conn = await sb.link.wait_for_connection(timeout=15)
        opened = sb.fake.calls_to("apps.connections.open")
        assert len(opened) == 1 and opened[0].ok  # with the app token: FakeSlack itself would refuse it
        envelope, ack, post = await sb.ask("help")
        assert ack.connection == conn.id and ack.payload is None  # `/orange` acks empty, then answers
        assert "Orange bot — help" in json.dumps(post.body, ensure_ascii=False)
        assert envelope.deliveries[0].connection == conn.id and not envelope.given_up


async def _close(link: SocketModeServer) -> None:
    await link.close()


async def _refresh(link: SocketModeServer) -> None:
    await link.disconnect("refresh_requested")


async def _warning(link: SocketModeServer) -> None:
    await link.disconnect("warning")


async def _silent(link: SocketModeServer) -> None:
    link.go_silent()


@pytest.mark.parametrize(
    "drop", [_close, _refresh, _warning, _silent], ids=["server-closes", "refresh_requested", "warning", "silent"]
)
async def test_after_each_kind_of_drop_a_new_connection_answers(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch, drop: Callable[..., Any]
) -> None:
    async with socket_bot(tmp_path, sandbox_url, monkeypatch) as sb:
        first = await sb.link.wait_for_connection(timeout=15)
        before, _, _ = await sb.ask()
        await drop(sb.link)
        second = await sb.link.wait_for_connection(2, timeout=10)
        after, ack, _ = await sb.ask()
        assert after.deliveries[0].connection == second.id and ack.connection == second.id
        await sb.fake.wait_for(lambda: not first.is_open, timeout=5)  # the old socket does not linger
        if drop is _silent:
            assert first.closed_by == "app" and first.lost > 0  # it was the bot that gave up on it
        # Each command went out once and was answered once.
        assert [len(e.deliveries) for e in (before, after)] == [1, 1]
        assert len(sb.fake.response_posts()) == 2


async def test_the_watchdog_leaves_a_link_that_refuses_the_url_for_good(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The link refuses handshakes for a while, and the URL slack_sdk keeps retrying dies meanwhile: slack_sdk's
    # own reconnection would retry it for ever; the watchdog gives up on that client and builds a fresh one.
    async with socket_bot(tmp_path, sandbox_url, monkeypatch, ticket_ttl=1.0) as sb:
        await sb.link.wait_for_connection(timeout=15)
        await sb.ask()
        sb.link.outage(2.0)
        await sb.link.close()
        second = await sb.link.wait_for_connection(2, timeout=15)
        await sb.ask()
        assert sb.runner.reconnects >= 1 and sb.link.refused_handshakes >= 2
        assert second.is_open


async def test_sigterm_stops_a_bot_that_cannot_connect(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with socket_bot(tmp_path, sandbox_url, monkeypatch) as sb:
        sb.link.outage(60.0)
        await sb.fake.wait_for(lambda: sb.link.refused_handshakes >= 1, timeout=15)
        loop = asyncio.get_running_loop()
        started = loop.time()
        signal.raise_signal(signal.SIGTERM)
        assert await asyncio.wait_for(sb.task, timeout=10) == 0
        assert loop.time() - started < 3.0
        assert sb.link.connections == []


async def test_a_redelivered_event_is_not_handled_twice(
    tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.events")
    # Slack's 3 s ack window scaled down like the rest; the acks of the next two envelopes reach Slack too late.
    async with socket_bot(tmp_path, sandbox_url, monkeypatch, ack_timeout=1.0) as sb:
        await sb.link.wait_for_connection(timeout=15)
        sb.link.delay_acks(1.5, count=2)
        home = await sb.link.event(HOME)
        command = await sb.link.command("help")
        await sb.fake.wait_for_calls("views.publish", 1, timeout=5)
        retry = (await sb.link.wait_for_deliveries(home, 2, timeout=5))[1]
        assert retry.retry_attempt == 1
        await sb.fake.wait_for(lambda: "delivered again" in caplog.text, timeout=5)
        late = await sb.fake.wait_for(lambda: home.deliveries[0].acks, timeout=5)
        assert not late[0].in_time  # the first delivery was acked, after the window: hence the retry
        # The retry changed nothing: the event's one App Home publish is the first delivery's.
        assert len(sb.fake.calls_to("views.publish")) == 1
        # Slack does not deliver a command again: answered once, though Slack had stopped waiting for it.
        await sb.fake.wait_for(lambda: command.given_up, timeout=5)
        assert len(command.deliveries) == 1
        assert len(sb.fake.response_posts(command.payload["response_url"])) == 1
        await sb.ask()  # a later command: the bot is still there, and nothing more came of the first two
        assert len(sb.fake.calls_to("views.publish")) == 1


async def test_a_redelivered_event_is_acked(tmp_path: Path, sandbox_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with socket_bot(tmp_path, sandbox_url, monkeypatch, ack_timeout=1.0) as sb:
        await sb.link.wait_for_connection(timeout=15)
        sb.link.delay_acks(1.5)
        home = await sb.link.event(HOME)
        retry = (await sb.link.wait_for_deliveries(home, 2, timeout=5))[1]
        await sb.fake.wait_for(lambda: retry.acks, timeout=1.5)
        assert home.acked and len(home.deliveries) == 2
