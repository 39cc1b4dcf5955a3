"""The bot as Slack sees it: signatures, acks under a hanging carrier, hostile input, watches, App Home,
redelivered events, /healthz, and the Socket Mode watchdog."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Harness
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_health_app
from bot.simulator.render import mrkdwn_to_text
from bot.socket_mode import SocketModeRunner
from storage.db import make_engine

WHOLESALE = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"


async def last_answer(h: Harness, count: int) -> str:
    await h.fake.wait_for_responses(count=count, timeout=10)
    return str(h.user.render(h.fake.response_posts()[-1].body))


@pytest.mark.parametrize("signing", ["forged", "missing", "stale"])
async def test_forged_unsigned_and_stale_requests_get_401(harness: Harness, signing: str) -> None:
    ack = await harness.user.command("order carrier:11", signing=signing)  # type: ignore[arg-type]
    assert ack.status == 401  # bolt refuses before any listener runs: nothing can follow
    assert harness.fake.response_posts() == []


async def test_ack_comes_at_once_even_when_the_carrier_hangs(harness: Harness) -> None:
    await harness.admin.post("/_sandbox/faults", json={"path": "productOrder", "latency": 3.0, "count": -1})
    started = time.perf_counter()
    acks = await asyncio.gather(*(harness.user.command(f"order carrier:{n}") for n in (9, 11, 13, 14) * 5))
    elapsed = time.perf_counter() - started
    assert all(ack.status == 200 for ack in acks)
    assert max(ack.elapsed for ack in acks) < 1.0, [round(a.elapsed, 3) for a in acks]
    assert elapsed < 2.0  # 20 slow commands at once: every ack well inside Slack's 3 s
    await harness.fake.wait_for_responses(count=20, timeout=20)  # and every answer still arrives


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
async def test_hostile_input_never_crashes_and_always_answers(harness: Harness, text: str) -> None:
    before = len(harness.fake.response_posts())
    ack = await harness.user.command(text)
    assert ack.status == 200
    answer = await last_answer(harness, before + 1)
    assert answer.strip()
    assert "Something went wrong on our side" not in answer


async def test_watch_posts_a_root_and_a_second_watch_points_to_it(harness: Harness) -> None:
    await harness.user.command(f"watch wholesale:{WHOLESALE}")
    first = await last_answer(harness, 1)
    assert "Watching" in first
    roots = harness.fake.channel_messages("C_GENERAL")
    assert len(roots) == 1
    root = mrkdwn_to_text(str(roots[0]))
    assert f"wholesale:{WHOLESALE}" in root and "In progress" in root

    await harness.user.command(f"watch wholesale:{WHOLESALE}", user="U_BOB")
    second = await last_answer(harness, 2)
    assert "already" in second.lower() and "/archives/C_GENERAL/p" in second  # a link to the existing thread
    assert len(harness.fake.channel_messages("C_GENERAL")) == 1

    await harness.user.command("watches")
    listed = await last_answer(harness, 3)
    assert f"wholesale:{WHOLESALE}" in listed

    await harness.user.command(f"unwatch wholesale:{WHOLESALE}")
    stopped = await last_answer(harness, 4)
    assert "Stopped watching" in stopped
    updated = mrkdwn_to_text(str(harness.fake.channel_messages("C_GENERAL")[0]))
    assert "No longer watching" in updated
    await harness.user.command("watches")
    assert f"wholesale:{WHOLESALE}" not in await last_answer(harness, 5)


async def test_concurrent_watches_make_one_thread(harness: Harness) -> None:
    await asyncio.gather(*(harness.user.command("watch carrier:11", user=u) for u in ("U_ALICE", "U_BOB") * 5))
    await harness.fake.wait_for_responses(count=10, timeout=15)
    assert len(harness.fake.channel_messages("C_GENERAL")) == 1


async def test_unwatch_button(harness: Harness) -> None:
    await harness.user.command("watch carrier:11")
    await last_answer(harness, 1)
    harness.user.render(harness.fake.channel_messages("C_GENERAL")[0], channel="C_GENERAL")
    await harness.user.click("unwatch")
    await harness.fake.wait_for(
        lambda: "No longer watching" in str(harness.fake.channel_messages("C_GENERAL")[0]), timeout=10
    )


async def test_private_channel_gets_an_invite_me_message(harness: Harness) -> None:
    await harness.user.command("watch carrier:11", channel="C_PRIVATE")
    answer = await last_answer(harness, 1)
    assert "/invite" in answer
    from sqlmodel import Session, select

    from storage.models import Watch

    with Session(harness.ctx.engine) as session:
        live = session.exec(select(Watch).where(Watch.ended_at == None)).all()  # noqa: E711
    assert live == []  # the failed watch did not stay behind


async def test_app_home_lists_my_watches_and_redelivery_is_ignored(harness: Harness) -> None:
    await harness.user.command("watch carrier:11")
    await last_answer(harness, 1)
    event = {"type": "app_home_opened", "user": "U_ALICE", "tab": "home", "channel": "D_ALICE"}
    await harness.user.event(event, event_id="Ev1")
    await harness.fake.wait_for(lambda: harness.fake.home("U_ALICE") is not None, timeout=10)
    home = mrkdwn_to_text(str(harness.fake.home("U_ALICE")))
    assert "carrier:11" in home
    published = len(harness.fake.calls_to("views.publish"))
    await harness.user.event(event, event_id="Ev1", retry_num=1)  # Slack retries the same event
    # The dedup runs in middleware, before bolt answers: once the retry's HTTP answer is back it is settled.
    # A new event sent after it gives a publish to wait for instead of a sleep.
    await harness.user.event(event, event_id="Ev2")
    await harness.fake.wait_for_calls("views.publish", count=published + 1, timeout=10)
    assert len(harness.fake.calls_to("views.publish")) == published + 1  # Ev2's only, not Ev1's again


async def test_web_api_429_is_retried_after_retry_after(harness: Harness) -> None:
    harness.fake.inject("chat.postMessage", error="ratelimited", status=429, retry_after=1, count=1)
    await harness.user.command("watch carrier:11")
    assert "Watching" in await last_answer(harness, 1)
    assert len(harness.fake.channel_messages("C_GENERAL")) == 1


async def test_healthz_says_ok_or_degraded_and_nothing_more(harness: Harness, tmp_path: Path) -> None:
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harness.web), base_url="http://bot") as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}  # no backends, scheduler or error class for strangers

    broken = make_engine(f"sqlite:///{tmp_path / 'missing' / 'bot.db'}")
    ctx = replace(harness.ctx, engine=broken)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_health_app(ctx, harness.bolt.client)), base_url="http://bot"
    ) as http:
        response = await http.get("/healthz")
    broken.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "degraded"}


class FakeSocketClient:
    def __init__(self) -> None:
        self.connected = True
        self.last_ping_pong_time: float | None = None
        self.current_session: object = object()

    async def is_connected(self) -> bool:
        return self.connected


class FakeHandler:
    made = 0

    def __init__(self) -> None:
        FakeHandler.made += 1
        self.client = FakeSocketClient()
        self.closed = False

    async def connect_async(self) -> None:
        return None

    async def close_async(self) -> None:
        self.closed = True


async def test_socket_mode_watchdog_rebuilds_a_dead_or_silent_connection() -> None:
    now = [1000.0]
    runner = SocketModeRunner(FakeHandler, ping_interval=10, clock=lambda: now[0])
    await runner.connect()
    first = runner.handler
    assert isinstance(first, FakeHandler)
    first.client.last_ping_pong_time = now[0]
    assert await runner.check() is False  # healthy

    now[0] += 120  # no ping for two minutes while is_connected() still says yes
    assert await runner.check() is True
    assert first.closed and runner.handler is not first and runner.reconnects == 1

    second = runner.handler
    assert isinstance(second, FakeHandler)
    second.client.connected = False  # a dropped connection
    assert await runner.check() is True and runner.reconnects == 2


async def test_the_watchdog_leaves_alone_a_session_slack_sdk_just_reconnected() -> None:
    """slack_sdk reconnects by itself after 4 unanswered pings: it forgets its ping/pong time and sets it again only at
    the new session's first ping. The watchdog used to see no time, fall back on its own (old) connection time, and
    close the fresh session — with whatever envelope Slack had just sent on it."""
    now = [1000.0]
    runner = SocketModeRunner(FakeHandler, ping_interval=10, clock=lambda: now[0])
    await runner.connect()
    handler = runner.handler
    assert isinstance(handler, FakeHandler)
    handler.client.last_ping_pong_time = now[0]
    assert await runner.check() is False

    now[0] += 45  # no pong for 4 pings: slack_sdk gives up on the session and reconnects
    handler.client.last_ping_pong_time = None
    assert await runner.check() is False  # slack_sdk is on it
    now[0] += 2
    handler.client.current_session = object()  # its new session, not pinged yet
    assert await runner.check() is False and runner.handler is handler
    now[0] += 30
    assert await runner.check() is False  # still within the new session's stale period
    now[0] += 40  # and that one never pinged either: the watchdog rebuilds
    assert await runner.check() is True and runner.handler is not handler


async def test_app_home_shows_pending_approvals_to_who_may_decide(harness: Harness) -> None:
    await harness.user.command(f"cancel wholesale:{WHOLESALE} client changed his mind")
    await last_answer(harness, 1)
    for user, event_id in (("U_BOB", "EvB"), ("U_ALICE", "EvA")):
        event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": f"D_{user}"}
        await harness.user.event(event, event_id=event_id)
        await harness.fake.wait_for(lambda u=user: harness.fake.home(u) is not None, timeout=10)  # type: ignore[misc]
        home = mrkdwn_to_text(str(harness.fake.home(user)))
        assert WHOLESALE in home, home  # Bob may decide; Alice asked
