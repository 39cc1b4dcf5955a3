"""A backend outage costs one probe per back-off step, not a request per watch: its watches wait (no "polling is
failing" per watch), the other backends are polled as usual, and when it answers again every change is posted once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from bot_harness import Harness
from sqlmodel import Session, col, select
from test_notifier import OWNER, admin, ask, due, reload, slack, texts, watch
from test_subscriptions import scan as scan_rules

from bot.backend_health import MAX_INTERVALS, BackendHealth, health_of, is_outage
from bot.context import BotContext
from bot.jobs import poll
from bot.jobs.poll import CycleStats, poll_watches, run_cycle
from bot.notify.outbox import drain_outbox
from integrations import APIConnectionError, InternalServerError, NotFoundError, OrangeClient
from integrations.sandbox.wholesale import ORDERING_PREFIX
from storage import crud
from storage.columns import utcnow
from storage.models import Watch

CARRIER_PREFIX = "/internationalcarriers/"
ORDERING_DOWN = {"path": "^" + ORDERING_PREFIX + "/", "status": 503, "body": {"code": 5}, "count": -1}
"""The wholesale ordering API answers 503 to everything (its OAuth and the carrier API are fine)."""


class Now:
    """The poll job's clock: outages and probes are timed by the cycle's `now`, so the tests move it."""

    def __init__(self, interval: float) -> None:
        self.now = utcnow() + timedelta(seconds=1)
        self.interval = timedelta(seconds=interval)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += self.interval


@pytest.fixture
def now(harness: Harness) -> Now:
    clock = Now(harness.ctx.settings.poll_interval_seconds)
    harness.ctx.clock = clock
    return clock


@pytest.fixture
def h(harness: Harness) -> Harness:
    """The harness, its Orange client's retry waits handed in: a 503 is retried at once, as often as in production."""

    async def no_wait(seconds: float) -> None:
        return None

    ctx = harness.ctx
    ctx.orange = OrangeClient(ctx.settings, http_client=ctx.orange.http, sleep=no_wait, observer=ctx.metrics)
    return harness


ATTEMPTS = 4
"""One request and the client's 3 retries (ORANGE_MAX_RETRIES): what one failed probe costs."""


async def run(h: Harness) -> CycleStats:
    await due(h)
    stats = await run_cycle(h.ctx, owner=OWNER)
    await drain_outbox(h.ctx, slack(h))
    return stats


async def counted(h: Harness) -> dict[str, int]:
    found: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    await h.admin.post("/_sandbox/requests/reset")
    return found


def sent(found: dict[str, int], prefix: str) -> int:
    return sum(n for key, n in found.items() if key.split(" ", 1)[1].startswith(prefix))


async def watches_of(h: Harness, backend: str, count: int) -> list[Watch]:
    created = await h.admin.post("/_sandbox/bulk", json={"backend": backend, "count": count, "state": "inProgress"})
    return [await watch(h, f"{backend}:{order_id}") for order_id in created.json()["ids"]]


def outage_lines(caplog: pytest.LogCaptureFixture, backend: str) -> tuple[int, int]:
    """How many times the outage of `backend` was logged as starting, and as ending."""
    said = [r.getMessage() for r in caplog.records if r.name == "bot.backend_health" and r.levelno >= logging.INFO]
    return sum(m.startswith(f"{backend} is down") for m in said), sum(
        m.startswith(f"{backend} is back up") for m in said
    )


async def test_an_outage_costs_one_probe_per_back_off_step_and_every_change_is_posted_once_after(
    h: Harness, now: Now, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.backend_health")
    wholesale = await watches_of(h, "wholesale", 60)
    carrier = await watches_of(h, "carrier", 30)
    await run(h)  # the baselines
    await counted(h)
    healthy = await run(h)
    assert healthy.polled == 90 and sent(await counted(h), ORDERING_PREFIX) == 2  # 60 ids: two list pages

    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    early, late, moved = wholesale[7], wholesale[42], carrier[3]
    await admin(h, f"/_sandbox/orders/wholesale/{early.order_id}/state", {"state": "held"})
    await admin(h, f"/_sandbox/orders/carrier/{moved.order_id}/state", {"state": "held"})
    probes: list[int] = []
    for cycle in range(1, 21):
        now.tick()
        stats = await run(h)
        found = await counted(h)
        cost = sent(found, ORDERING_PREFIX)
        assert cost in (0, ATTEMPTS), (cycle, found)  # the probe and its retries, or nothing: never a GET per order
        if cost:
            probes.append(cycle)
        assert stats.failed == 0 and stats.polled == 30, (cycle, stats)  # carrier: polled as usual
        assert stats.deferred == (60 if cycle == 1 else 0), (cycle, stats)  # claimed once, then left unclaimed
        assert sum(n for k, n in found.items() if k.startswith(f"GET {CARRIER_PREFIX}") and k.endswith("Order")) == 1
        if cycle == 5:  # changes during the outage
            await admin(h, f"/_sandbox/orders/wholesale/{late.order_id}/state", {"state": "held"})
            await admin(h, f"/_sandbox/orders/wholesale/{early.order_id}/errors", {"message": "Site closed"})
    assert probes == [1, 2, 4, 8, 16], probes  # found down, then probed after 1, 2, 4, 8 intervals
    assert sum("Held" in t for t in texts(h, moved)) == 1
    assert all(texts(h, w) == [] for w in wholesale)  # no "polling is failing" in 60 threads
    for w in wholesale:
        kept = await reload(h, w)
        assert kept.consecutive_failures == 0 and kept.lease_owner is None, kept
    assert outage_lines(caplog, "wholesale") == (1, 0)

    await h.admin.delete("/_sandbox/faults")
    for cycle in range(21, 25):
        now.tick()
        stats = await run(h)
        cost = sent(await counted(h), ORDERING_PREFIX)
        if cycle < 16 + MAX_INTERVALS:
            assert cost == 0 and stats.polled == 30, (cycle, stats)
    assert cost == 1 + 2 and stats.polled == 90 and stats.failed == 0  # the probe, then the two pages of ids
    assert outage_lines(caplog, "wholesale") == (1, 1)
    shown = texts(h, early)
    assert sum("Held" in t for t in shown) == 1 and sum("Error opened" in t for t in shown) == 1, shown
    assert sum("Held" in t for t in texts(h, late)) == 1
    assert all(texts(h, w) == [] for w in wholesale if w.id not in (early.id, late.id))

    now.tick()
    again = await run(h)
    assert again.events == 0 and sent(await counted(h), ORDERING_PREFIX) == 2
    assert texts(h, early) == shown


async def test_a_push_re_read_during_an_outage_asks_nothing_and_the_watch_stays_due(h: Harness, now: Now) -> None:
    ws = await watches_of(h, "wholesale", 3)
    await run(h)
    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    now.tick()
    await run(h)
    assert health_of(h.ctx.orange).is_down("wholesale")
    await admin(h, f"/_sandbox/orders/wholesale/{ws[0].order_id}/state", {"state": "held"})
    await counted(h)

    def schedule(s: Session) -> dict[object, datetime | None]:
        return {w.id: w.next_poll_at for w in (s.get(Watch, x.id) for x in ws) if w is not None}

    before = await h.ctx.db(schedule)
    stats = await poll_watches(h.ctx, [ws[0].id], owner=OWNER)  # an event said it moved: the backend is down
    assert stats.deferred == 1 and stats.failed == 0 and sent(await counted(h), ORDERING_PREFIX) == 0
    assert (await reload(h, ws[0])).lease_owner is None and await h.ctx.db(schedule) == before

    await h.admin.delete("/_sandbox/faults")
    now.tick()  # the next probe is due
    stats = await poll_watches(h.ctx, [ws[0].id], owner=OWNER)
    await drain_outbox(h.ctx, slack(h))
    assert stats.polled == 1 and not health_of(h.ctx.orange).is_down("wholesale")
    assert sum("Held" in t for t in texts(h, ws[0])) == 1


async def test_one_order_failing_while_the_list_works_is_its_own_failure_not_an_outage(h: Harness, now: Now) -> None:
    carrier = await watches_of(h, "carrier", 4)
    await run(h)
    bad = carrier[1]
    await admin(h, f"/_sandbox/orders/carrier/{bad.order_id}/state", {"state": "held"})  # so it needs its GET
    await admin(h, "/_sandbox/faults", {"path": f"/productOrder/{bad.order_id}$", "status": 503, "count": -1})
    for _ in range(poll.FAILURES_BEFORE_NOTICE):
        now.tick()
        stats = await run(h)
        assert stats.failed == 1 and stats.polled == 3 and stats.deferred == 0
    assert not health_of(h.ctx.orange).is_down("carrier")
    assert sum("can't read" in t for t in texts(h, bad)) == 1
    assert (await reload(h, bad)).consecutive_failures == poll.FAILURES_BEFORE_NOTICE


def test_the_back_off_doubles_up_to_its_cap_and_each_transition_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.backend_health")
    health = BackendHealth()
    interval = timedelta(minutes=5)
    t = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    down = InternalServerError(
        "The service is unavailable", backend="wholesale", operation="list orders", status_code=503
    )
    assert not health.is_down("wholesale") and not health.probe_due("wholesale", t)
    health.failed("wholesale", now=t, interval=interval, err=down)
    probes: list[int] = []
    for step in range(1, 40):  # one cycle per interval, each a little early or late (the scheduler's jitter)
        moment = t + step * interval + timedelta(seconds=(-20, 25)[step % 2])
        if health.probe_due("wholesale", moment):
            probes.append(step)
            health.failed("wholesale", now=moment, interval=interval, err=down)
    assert probes == [1, 3, 7, 15, 23, 31, 39]  # 1, 2, 4, 8 intervals, then 8 at most
    assert health.is_down("wholesale")
    health.recovered("wholesale", now=t + 40 * interval)
    assert not health.is_down("wholesale") and not health.probe_due("wholesale", t + 41 * interval)

    hourly = timedelta(minutes=20)  # 8 intervals would be over an hour: an hour it is
    health.failed("carrier", now=t, interval=hourly, err=APIConnectionError(backend="carrier", operation="list"))
    for _ in range(5):
        outage = health.outage("carrier")
        assert outage is not None
        health.failed("carrier", now=outage.next_probe, interval=hourly, err=down)
    outage = health.outage("carrier")
    assert outage is not None and outage.failures == 6
    waits = {r.getMessage() for r in caplog.records if r.getMessage().startswith("carrier: still down")}
    assert any("1:00:00" in m for m in waits), waits

    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m.split(" (")[0] for m in said] == [
        "wholesale is down",
        "wholesale is back up after 12000s down",
        "carrier is down",
    ]


def test_only_what_refuses_a_whole_list_is_an_outage() -> None:
    assert is_outage(APIConnectionError(backend="wholesale", operation="list"))
    assert is_outage(InternalServerError("x", backend="wholesale", operation="list", status_code=500))
    assert not is_outage(NotFoundError("x", backend="wholesale", operation="list", status_code=404))
    assert not is_outage(ValueError("an entry the mapping cannot read"))


async def test_the_rule_scan_asks_a_down_backend_nothing(h: Harness) -> None:
    """Five wholesale rules during an outage: one failed scan finds it (its retries included), the other rules wait;
    once the poll has the backend down, a scan asks nothing at all."""
    for n in range(5):
        answer = await ask(h, f"subscribe wholesale state=held description=rule{n}")
        assert "rule" in answer.lower(), answer
    await counted(h)
    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    await scan_rules(h)
    assert sent(await counted(h), ORDERING_PREFIX) == ATTEMPTS  # one scan, not five

    health_of(h.ctx.orange).failed(
        "wholesale",
        now=utcnow(),
        interval=timedelta(minutes=5),
        err=InternalServerError("x", backend="wholesale", operation="list", status_code=503),
    )
    await scan_rules(h)
    assert sent(await counted(h), ORDERING_PREFIX) == 0


DOWN = "is not answering"
UP = "answers again"
CHANNELS = ("C_ONE", "C_TWO", "C_THREE")


async def watches_in(h: Harness, backend: str, channel: str, count: int) -> list[Watch]:
    created = await h.admin.post("/_sandbox/bulk", json={"backend": backend, "count": count, "state": "inProgress"})
    ids = created.json()["ids"]
    for order_id in ids:
        assert "Watching" in await ask(h, f"watch {backend}:{order_id}", channel=channel)

    def find(s: Session) -> list[Watch]:
        return list(s.exec(select(Watch).where(col(Watch.channel_id) == channel, col(Watch.order_id).in_(ids))))

    return await h.ctx.db(find)


def notices(h: Harness, channel: str, words: str) -> list[str]:
    return [str(m["text"]) for m in h.fake.channel_messages(channel) if words in str(m.get("text"))]


async def three_channels(h: Harness) -> dict[str, list[Watch]]:
    for channel in CHANNELS:
        h.fake.add_channel(channel, channel.lower())
    return {
        "C_ONE": await watches_in(h, "wholesale", "C_ONE", 3),
        "C_TWO": await watches_in(h, "wholesale", "C_TWO", 2) + await watches_in(h, "carrier", "C_TWO", 1),
        "C_THREE": await watches_in(h, "carrier", "C_THREE", 2),
    }


async def test_an_outage_is_one_notice_per_watching_channel_and_one_when_it_ends(h: Harness, now: Now) -> None:
    watched = await three_channels(h)
    await run(h)  # the baselines
    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    for _ in range(10):  # found down, then probed (and still down) after 1, 2, 4, 8 intervals
        now.tick()
        await run(h)
        assert [len(notices(h, c, DOWN)) for c in CHANNELS] == [1, 1, 0]
    one, two = notices(h, "C_ONE", DOWN)[0], notices(h, "C_TWO", DOWN)[0]
    assert "Orange wholesale" in one and "HTTP 503" in one and "the 3 orders watched here wait" in one, one
    assert "the 2 orders watched here wait" in two, two  # its carrier watch is not waiting
    assert all(notices(h, c, UP) == [] for c in CHANNELS)
    assert all(texts(h, w) == [] for ws in watched.values() for w in ws)  # nothing in any order's thread

    await h.admin.delete("/_sandbox/faults")
    for _ in range(10):  # the next probe answers, and the orders are polled again
        now.tick()
        await run(h)
    assert [len(notices(h, c, UP)) for c in CHANNELS] == [1, 1, 0]
    assert [len(notices(h, c, DOWN)) for c in CHANNELS] == [1, 1, 0]
    assert "Orange wholesale answers again" in notices(h, "C_ONE", UP)[0]
    assert all(texts(h, w) == [] for ws in watched.values() for w in ws)


async def test_two_pollers_seeing_one_outage_give_one_notice_per_channel(h: Harness, now: Now) -> None:
    await three_channels(h)
    await run(h)

    async def no_wait(seconds: float) -> None:
        return None

    settings = h.ctx.settings
    other = BotContext(
        settings=settings,
        orange=OrangeClient(settings, http_client=h.ctx.orange.http, sleep=no_wait),
        engine=h.ctx.engine,
        clock=now,
    )
    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    for cycle in range(12):
        if cycle == 6:
            await h.admin.delete("/_sandbox/faults")
        now.tick()
        await due(h)
        if cycle == 0:  # one after the other: the first leaves the wholesale watches due, the second finds them so
            await run_cycle(h.ctx, owner="replica-a")
            await run_cycle(other, owner="replica-b")
        else:
            await asyncio.gather(run_cycle(h.ctx, owner="replica-a"), run_cycle(other, owner="replica-b"))
        await drain_outbox(h.ctx, slack(h))
        if cycle == 0:  # both found the outage
            assert health_of(h.ctx.orange).is_down("wholesale") and health_of(other.orange).is_down("wholesale")
    assert not health_of(h.ctx.orange).is_down("wholesale") and not health_of(other.orange).is_down("wholesale")
    assert [len(notices(h, c, DOWN)) for c in CHANNELS] == [1, 1, 0]
    assert [len(notices(h, c, UP)) for c in CHANNELS] == [1, 1, 0]


async def test_an_outage_left_recorded_by_replicas_that_restarted_ends_at_the_next_answer(h: Harness, now: Now) -> None:
    """Every replica that saw the outage restarted, and the backend answered meanwhile: the recorded outage ends at
    the first list that answers (one recovery notice a channel), so the next real outage is told again."""
    await three_channels(h)
    await run(h)
    since = now.now - timedelta(hours=1)
    await h.ctx.db(lambda s: crud.open_outage(session=s, backend="wholesale", since=since, reason="HTTP 503"))
    now.tick()
    await run(h)
    assert [len(notices(h, c, UP)) for c in CHANNELS] == [1, 1, 0]
    assert await h.ctx.read(lambda s: crud.current_outage(session=s, backend="wholesale")) is None
    now.tick()
    await run(h)
    assert [len(notices(h, c, UP)) for c in CHANNELS] == [1, 1, 0]  # once

    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    now.tick()
    await run(h)
    assert [len(notices(h, c, DOWN)) for c in CHANNELS] == [1, 1, 0]  # the next outage is told


async def test_a_channel_set_to_french_is_told_of_an_outage_in_french(h: Harness, now: Now) -> None:
    """Notices are worded when sent, in the channel's language: C_ONE reads French, C_TWO English."""
    await three_channels(h)
    assert "`fr`" in await ask(h, "settings language=fr", channel="C_ONE")
    await run(h)
    await admin(h, "/_sandbox/faults", ORDERING_DOWN)
    for _ in range(2):
        now.tick()
        await run(h)
    (one,) = notices(h, "C_ONE", "ne répond plus")
    assert "Orange wholesale ne répond plus (HTTP 503)" in one and "les 3 commandes suivies ici attendent" in one, one
    assert len(notices(h, "C_TWO", DOWN)) == 1 and notices(h, "C_ONE", DOWN) == []
    await h.admin.delete("/_sandbox/faults")
    for _ in range(10):
        now.tick()
        await run(h)
    assert len(notices(h, "C_ONE", "répond de nouveau")) == 1 and len(notices(h, "C_TWO", UP)) == 1
