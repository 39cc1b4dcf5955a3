"""The poll's fast path: an order whose list entry is the one seen last stops there (no model, no diff, no write);
anything else takes the full path, and what changed is still posted once."""

from __future__ import annotations

import json
import uuid
from typing import Any

from bot_harness import Harness
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import OWNER, W, admin, due, slack, texts, watch

from bot.jobs.poll import CycleStats, run_cycle
from bot.notify.outbox import drain_outbox
from integrations import entry_digest
from integrations.sandbox.wholesale import ORDERING_PREFIX
from storage.columns import utcnow
from storage.models import OrderSnapshot, Watch

WHOLESALE_LIST = ORDERING_PREFIX + "/productOrder"  # a request count key ends with it

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_an_entry_digest_ignores_key_order_and_nothing_else(entry: dict[str, Any]) -> None:
    reordered = dict(reversed(list(entry.items())))
    assert entry_digest(reordered) == entry_digest(json.loads(json.dumps(entry)))
    changed = {**entry, "state": ["moved", entry.get("state")]}
    assert entry_digest(changed) != entry_digest(entry)


async def run(h: Harness) -> CycleStats:
    await due(h)
    stats = await run_cycle(h.ctx, owner=OWNER)
    await drain_outbox(h.ctx, slack(h))
    return stats


def snapshot(h: Harness, w: Watch) -> OrderSnapshot:
    with Session(h.ctx.engine) as s:
        found = s.get(OrderSnapshot, w.id)
        assert found is not None
        return found


async def test_an_unchanged_order_stops_at_its_digest_and_a_change_still_posts_once(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    first = await run(h)
    assert first.polled == 1 and first.unchanged == 0  # the watch's baseline came from a GET: read the entry once
    kept = snapshot(h, w)
    assert kept.source_digest is not None and kept.state == "in_progress"
    again = await run(h)
    assert again.polled == 1 and again.unchanged == 1 and again.events == 0
    assert snapshot(h, w).updated_at == kept.updated_at  # nothing written
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    moved = await run(h)
    assert moved.unchanged == 0 and moved.events == 1
    assert sum("Held" in t for t in texts(h, w)) == 1
    after = snapshot(h, w)
    assert after.source_digest != kept.source_digest and after.state == "held"
    assert (await run(h)).unchanged == 1
    assert sum("Held" in t for t in texts(h, w)) == 1


async def test_a_snapshot_from_before_the_digest_takes_the_full_path_once(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await run(h)

    def forget(s: Session) -> None:
        s.exec(update(OrderSnapshot).values(source_digest=None, state=None))  # type: ignore[call-overload]

    await h.ctx.db(forget)
    assert (await run(h)).unchanged == 0
    assert snapshot(h, w).source_digest is not None
    assert (await run(h)).unchanged == 1
    assert texts(h, w) == []  # reading it again in full found nothing to say


async def test_an_entry_the_mapping_cannot_read_gets_its_own_get_and_the_others_stay_fast(harness: Harness) -> None:
    h = harness
    created = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 3, "state": "inProgress"})
    ids = created.json()["ids"]
    watches = [await watch(h, f"wholesale:{i}") for i in ids]
    await run(h)
    assert (await run(h)).unchanged == 3
    # The list shows one entry in a shape the model refuses; its GET (same fault path) is refused too
    state = h.sandbox.state.sandbox
    state.wholesale_orders.get(ids[0])["productOrderItem"] = "not a list"
    stats = await run(h)
    assert stats.unchanged == 2 and stats.failed == 1
    assert all(texts(h, x) == [] for x in watches)
    with Session(h.ctx.engine) as s:
        broken = s.exec(select(Watch).where(col(Watch.order_id) == ids[0])).one()
    assert broken.consecutive_failures == 1


async def test_a_cycle_takes_one_backend_at_a_time_so_each_list_request_is_a_full_page(harness: Harness) -> None:
    """200 wholesale and 100 carrier watches in batches of 100: mixed batches of ~67 wholesale watches need two
    list requests each (six), batches of one backend need four (pages of 50 ids, full)."""
    h = harness
    created = {
        backend: (await h.admin.post("/_sandbox/bulk", json={"backend": backend, "count": count})).json()["ids"]
        for backend, count in (("wholesale", 200), ("carrier", 100))
    }
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "team_id": "T_SIM",
            "channel_id": "C_GENERAL",
            "backend": backend,
            "order_id": str(order_id),
            "filter": "all",
            "created_by": "U_ALICE",
            "kind": "order",
            "thread_ts": f"1600000000.{n:06d}",
            "created_at": now,
            "consecutive_failures": 0,
        }
        for n, (backend, order_id) in enumerate((b, o) for b, ids in created.items() for o in ids)
    ]
    with h.ctx.engine.begin() as conn:
        conn.execute(Watch.__table__.insert(), rows)  # type: ignore[attr-defined]
    await due(h)
    await run_cycle(h.ctx, owner=OWNER, batch=100)  # the baselines
    await h.admin.post("/_sandbox/requests/reset")
    await due(h)
    stats = await run_cycle(h.ctx, owner=OWNER, batch=100)
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    wholesale_lists = sum(v for k, v in counts.items() if k.startswith("GET ") and k.endswith(WHOLESALE_LIST))
    assert stats.claimed == 300 and stats.unchanged == 300, stats
    assert wholesale_lists == 4, counts
