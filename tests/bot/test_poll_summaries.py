"""Carrier and business watches polled from the list's summaries: details only for what changed (or is due)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from bot_harness import Harness
from sqlalchemy import update
from sqlmodel import Session, col
from test_notifier import OWNER, W, admin, due, reload, slack, texts, watch

from bot.jobs import poll
from bot.jobs.fetch import SUMMARY_MIN_WATCHES, Fetcher
from bot.jobs.poll import CycleStats, run_cycle
from bot.notify.outbox import drain_outbox
from storage.columns import utcnow
from storage.models import Watch

LIST = "/productOrder"  # the carrier list path (a request count key ends with it)


class Now:
    """The poll job's clock: refreshes are due by time, so the tests set it."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def now(harness: Harness) -> Now:
    """The notifier's clock, handed in: the tests move it."""
    clock = Now()
    harness.ctx.clock = clock
    return clock


async def run(h: Harness) -> CycleStats:
    await due(h)
    stats = await run_cycle(h.ctx, owner=OWNER)
    await drain_outbox(h.ctx, slack(h))
    return stats


async def counts(h: Harness) -> dict[str, int]:
    found: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    return found


def gets(found: dict[str, Any], what: str = "/productOrder/{") -> int:
    return sum(v for k, v in found.items() if k.startswith("GET ") and what in k)


def lists(found: dict[str, Any], path: str = LIST) -> int:
    return sum(v for k, v in found.items() if k.startswith("GET ") and k.endswith(path))


async def reset(h: Harness) -> None:
    await h.admin.post("/_sandbox/requests/reset")


async def carrier_watches(h: Harness, count: int = 10) -> list[Watch]:
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "carrier", "count": count, "state": "inProgress"})
    return [await watch(h, f"carrier:{order_id}") for order_id in created.json()["ids"]]


async def test_an_unchanged_cycle_costs_the_list_only_and_a_change_is_posted_once(harness: Harness, now: Now) -> None:
    h = harness
    watches = await carrier_watches(h)
    await run(h)  # since their creation: whatever refreshes the rule owes
    await reset(h)
    stats = await run(h)
    found = await counts(h)
    assert stats.polled == 10 and stats.failed == 0 and stats.events == 0
    assert lists(found) == 1, found  # 14 orders in the sandbox: one page
    assert gets(found) == 0, found
    assert stats.requests == 1
    assert all(texts(h, w) == [] for w in watches)

    changed = watches[3]
    await admin(h, f"/_sandbox/orders/carrier/{changed.order_id}/state", {"state": "held"})
    await reset(h)
    stats = await run(h)
    found = await counts(h)
    assert lists(found) == 1 and gets(found) == 1, found
    assert found.get(next(k for k in found if "/productOrder/{" in k)) == 1
    shown = texts(h, changed)
    assert len(shown) == 1 and "Held" in shown[0], shown
    assert all(texts(h, w) == [] for w in watches if w.id != changed.id)

    await reset(h)
    await run(h)
    await run(h)
    found = await counts(h)
    assert gets(found) == 0 and lists(found) == 2, found
    assert texts(h, changed) == shown  # once


async def test_every_watch_gets_its_detail_refresh_once_per_detail_period(harness: Harness, now: Now) -> None:
    h = harness
    watches = await carrier_watches(h)
    interval = timedelta(seconds=h.ctx.settings.poll_interval_seconds)
    await run(h)
    refreshed = 0
    for _ in range(poll.DETAIL_EVERY):
        now.now += interval
        await reset(h)
        stats = await run(h)
        assert stats.polled == 10 and stats.events == 0
        refreshed += gets(await counts(h))
    assert refreshed == len(watches)  # each exactly once over DETAIL_EVERY intervals, spread over the cycles

    now.now += poll.DETAIL_EVERY * interval  # a long pause (cycles late): each still gets one, not several
    await reset(h)
    await run(h)
    assert gets(await counts(h)) == len(watches)


async def test_an_item_change_without_an_order_state_change_is_posted_at_the_refresh(
    harness: Harness, now: Now
) -> None:
    h = harness
    watches = await carrier_watches(h)
    await run(h)
    w = watches[0]
    await admin(h, f"/_sandbox/orders/carrier/{w.order_id}/state", {"state": "held", "item": "1"})
    await run(h)
    assert texts(h, w) == []  # the list shows nothing new
    now.now += poll.DETAIL_EVERY * timedelta(seconds=h.ctx.settings.poll_interval_seconds)
    await run(h)
    shown = texts(h, w)
    assert len(shown) == 1 and "Held" in shown[0], shown


async def test_an_unreadable_list_falls_back_to_one_get_per_order(harness: Harness, now: Now) -> None:
    """The list answers, but not something we can read: each order's GET may (a list that fails with an outage, a
    5xx say, is `test_poll_outage.py`'s: no GET per order then)."""
    h = harness
    watches = await carrier_watches(h)
    await run(h)
    await admin(
        h, "/_sandbox/faults", {"path": "productOrder$", "method": "GET", "status": 200, "body": '{"id": ', "count": -1}
    )
    changed = watches[5]
    await admin(h, f"/_sandbox/orders/carrier/{changed.order_id}/state", {"state": "held"})
    await reset(h)
    stats = await run(h)
    found = await counts(h)
    assert lists(found) >= 1, found  # tried (and retried, maybe)
    assert gets(found) == len(watches), found
    assert stats.polled == 10 and stats.failed == 0
    shown = texts(h, changed)
    assert len(shown) == 1 and "Held" in shown[0], shown
    assert (await reload(h, changed)).consecutive_failures == 0

    await h.admin.delete("/_sandbox/faults")
    await reset(h)
    await run(h)
    found = await counts(h)
    assert lists(found) == 1 and gets(found) == 0, found
    assert texts(h, changed) == shown


async def test_a_missing_order_is_fetched_and_fails_alone(harness: Harness, now: Now) -> None:
    h = harness
    watches = await carrier_watches(h, 4)
    await run(h)
    # The list no longer shows one order (a page the server dropped): its GET decides.
    gone = watches[2]
    await admin(
        h,
        "/_sandbox/faults",
        {"path": f"productOrder/{gone.order_id}$", "status": 404, "body": {"code": 60}, "count": -1},
    )
    await admin(h, f"/_sandbox/orders/carrier/{gone.order_id}/state", {"state": "held"})
    await reset(h)
    stats = await run(h)
    assert stats.failed == 1 and stats.polled == 3
    found = await counts(h)
    assert lists(found) == 1 and gets(found) == 1, found


async def test_a_few_watches_are_polled_with_one_get_each(harness: Harness, now: Now) -> None:
    h = harness
    assert poll.SUMMARY_MIN_WATCHES == 3
    await watch(h, "carrier:11")
    await watch(h, "carrier:13")
    await run(h)
    await reset(h)
    await run(h)
    found = await counts(h)
    assert lists(found) == 0 and gets(found) == 2, found


async def test_business_requests_are_polled_from_the_list_steps(harness: Harness, now: Now) -> None:
    h = harness
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "business", "count": 4, "state": "VALIDATION"})
    watches = [await watch(h, f"business:{i}") for i in created.json()["ids"]]
    await run(h)
    await reset(h)
    await run(h)
    found = await counts(h)
    assert lists(found, "/requests") == 1 and gets(found, "/requests/{") == 0, found

    changed = watches[1]
    await admin(h, f"/_sandbox/orders/business/{changed.order_id}/state", {"state": "DELIVERY"})
    await reset(h)
    await run(h)
    found = await counts(h)
    assert gets(found, "/requests/{") == 1, found
    shown = texts(h, changed)
    assert len(shown) == 1, shown
    await run(h)
    assert texts(h, changed) == shown
    assert all(texts(h, w) == [] for w in watches if w.id != changed.id)


async def test_replicas_walk_a_summary_list_once_between_them(harness: Harness, now: Now) -> None:
    h = harness
    watches = await carrier_watches(h)
    await run(h)
    await admin(h, f"/_sandbox/orders/carrier/{watches[2].order_id}/state", {"state": "held"})
    await due(h)
    await reset(h)
    first, second = await asyncio.gather(run_cycle(h.ctx, owner="replica-a"), run_cycle(h.ctx, owner="replica-b"))
    await drain_outbox(h.ctx, slack(h))
    found = await counts(h)
    assert lists(found) == 1, found  # one walk, not one per replica
    assert first.polled + second.polled == 10 and {first.polled, second.polled} == {0, 10}
    assert sum("Held" in t for w in watches for t in texts(h, w)) == 1


async def test_a_list_walk_starts_with_the_cycle_and_only_when_enough_watches_are_due(
    harness: Harness, now: Now, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Business watches are polled after the wholesale ones (one backend at a time), but their list walk starts with
    the cycle, so it runs while the wholesale watches are polled; too few business watches due: no walk."""
    h = harness
    created = await h.admin.post(
        "/_sandbox/bulk", json={"backend": "business", "count": SUMMARY_MIN_WATCHES, "state": "VALIDATION"}
    )
    watches = [await watch(h, f"business:{i}") for i in created.json()["ids"]]
    await watch(h, f"wholesale:{W}")
    await run(h)
    started: list[str] = []
    walk, by_ids = Fetcher._walk, Fetcher.by_ids

    def spy_walk(self: Fetcher, backend: str) -> Any:
        started.append(f"walk {backend}")
        return walk(self, backend)

    def spy_ids(self: Fetcher, backend: str, ids: Any) -> Any:
        started.append(f"list {backend}")
        return by_ids(self, backend, ids)

    monkeypatch.setattr(Fetcher, "_walk", spy_walk)
    monkeypatch.setattr(Fetcher, "by_ids", spy_ids)
    await reset(h)
    stats = await run(h)
    assert started == ["walk business", "list wholesale"], started
    assert stats.polled == SUMMARY_MIN_WATCHES + 1 and lists(await counts(h), "/requests") == 1

    def one_not_due(s: Session) -> None:
        s.exec(update(Watch).values(next_poll_at=None))  # type: ignore[call-overload]
        s.exec(update(Watch).where(col(Watch.id) == watches[0].id).values(next_poll_at=now.now + timedelta(hours=1)))  # type: ignore[call-overload]

    started.clear()
    await reset(h)
    await h.ctx.db(one_not_due)
    stats = await run_cycle(h.ctx, owner=OWNER)
    assert started == ["list wholesale"] and lists(await counts(h), "/requests") == 0
    assert stats.polled == SUMMARY_MIN_WATCHES  # the business watches due, read one by one, and the wholesale one


async def test_a_small_last_batch_reads_the_walk_under_way(harness: Harness, now: Now) -> None:
    """Four carrier watches claimed three at a time: the batch of one left uses the cycle's walk, not a GET."""
    h = harness
    watches = await carrier_watches(h, count=SUMMARY_MIN_WATCHES + 1)
    await run(h)
    await reset(h)
    await due(h)
    stats = await run_cycle(h.ctx, owner=OWNER, batch=SUMMARY_MIN_WATCHES)
    found = await counts(h)
    assert stats.polled == len(watches) and stats.unchanged == len(watches), stats
    assert lists(found) == 1 and gets(found) == 0, found
