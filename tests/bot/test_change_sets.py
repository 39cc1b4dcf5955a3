"""One reply per change: every event of one read of an order is one thread reply (a change set), items that moved
alike are one line, a milestone on every item is one line; exactly once holds for change sets (a crash between two
reads neither splits nor doubles a reply). End to end through signed requests, the sandbox, the poll and the outbox;
the grouping by property."""

from __future__ import annotations

from typing import Any

import pytest
from bot_harness import Harness, shown
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session, col, select
from test_notifier import W, admin, cycle, replies, watch

from bot.notify.changes import change_set
from bot.notify.diff import Event, EventKind
from bot.notify.owe import Owed
from bot.notify.render import change_lines, headline, render_changes
from integrations.states import OrderState
from storage import crud
from storage.models import OutboxMessage, Watch

ORDER = f"/_sandbox/orders/wholesale/{W}"
ITEMS = 10


async def test_a_ten_item_order_cancelled_in_three_steps_is_three_replies(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await cycle(h)
    for step in ("assessingCancellation", "pendingCancellation", "cancelled"):
        await admin(h, f"{ORDER}/state", {"state": step, "cascade": True})
        await cycle(h)
    texts = [shown(m) for m in replies(h, w)]
    assert len(texts) == 3, texts
    for text in texts:
        # The order's move, the items that moved alike as one count, the one that came from elsewhere.
        assert text.startswith("*State:*") and " of 10 too" in text, text
        assert text.count("Item ") <= 1, text
    assert "The order is cancelled* — the watch ends here." in texts[-1]
    # Phones show `text`: the order as people know it, and the main change.
    assert all(str(m["text"]).startswith("UW-de76cfa1 · OULLINS C: ") for m in replies(h, w)), replies(h, w)


async def test_a_milestone_reported_on_every_item_is_one_line(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    order = (await h.admin.get(ORDER)).json()
    items = [i["id"] for i in order.get("order", order)["productOrderItem"]]
    assert len(items) == ITEMS
    for item in items:
        await admin(h, f"{ORDER}/milestones", {"item": item, "message": "Raccordement réalisé"})
    await admin(h, f"{ORDER}/state", {"state": "completed", "cascade": True})
    await cycle(h)
    (reply,) = replies(h, w)
    text = shown(reply)
    assert text.count("Raccordement réalisé") == 1, text
    assert f"_({ITEMS} of {ITEMS} items)_" in text, text


async def test_a_crash_between_two_reads_neither_splits_nor_doubles_a_reply(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    await cycle(h)
    await admin(h, f"{ORDER}/state", {"state": "held"})

    real = crud.save_snapshot

    def dies(**kwargs: Any) -> None:
        raise RuntimeError("the process died before the commit")

    monkeypatch.setattr(crud, "save_snapshot", dies)
    with pytest.raises(RuntimeError):
        await cycle(h)  # read 1 saw "held": its row and its snapshot roll back together
    monkeypatch.setattr(crud, "save_snapshot", real)
    assert replies(h, w) == []

    def lease_runs_out(session: Session) -> None:  # the dead poller's claim ends
        session.exec(update(Watch).values(lease_owner=None, lease_until=None))  # type: ignore[call-overload]

    await h.ctx.db(lease_runs_out)
    with Session(h.ctx.engine) as s:
        assert s.exec(select(OutboxMessage).where(col(OutboxMessage.watch_id) == w.id)).all() == []

    await admin(h, f"{ORDER}/errors", {"item": "O40140084001", "message": "Rendez-vous à reprendre"})
    for _ in range(3):
        await cycle(h)  # read 2 and after: "held" and the error, once, in one reply
    (reply,) = replies(h, w)
    text = shown(reply)
    assert text.count("Held") == 1 and text.count("Rendez-vous à reprendre") == 1, text


async def test_the_same_read_replayed_owes_its_reply_once(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    events = [_move(EventKind.order_state, None, OrderState.in_progress, OrderState.held, "a")]
    view = (await h.ctx.orange.orders("wholesale").get(W)).model_copy()

    def owe(session: Session) -> list[bool]:
        return [Owed(session, w).changes(events, view), Owed(session, w).changes(list(reversed(events)), view)]

    assert await h.ctx.db(owe) == [True, False]
    assert await h.ctx.db(owe) == [False, False]


# --- the grouping, by property -------------------------------------------------------------------

STATES = [OrderState.acknowledged, OrderState.in_progress, OrderState.held, OrderState.completed]


def _move(
    kind: EventKind, item: str | None, old: OrderState | None, new: OrderState, fingerprint: str, **extra: Any
) -> Event:
    return Event(kind=kind, order_ref="wholesale:x", item_id=item, old=old, new=new, fingerprint=fingerprint, **extra)


@st.composite
def reads(draw: st.DrawFn) -> tuple[list[Event], int]:
    total = draw(st.integers(min_value=1, max_value=40))
    events: list[Event] = []
    if draw(st.booleans()):
        events.append(_move(EventKind.order_state, None, draw(st.sampled_from(STATES)), OrderState.held, "o"))
    for n in draw(st.lists(st.integers(min_value=0, max_value=total - 1), unique=True)):
        old = draw(st.sampled_from([None, *STATES]))
        events.append(_move(EventKind.item_state, f"I{n:03d}", old, draw(st.sampled_from(STATES)), f"i{n}"))
    for n in draw(st.lists(st.integers(min_value=0, max_value=total - 1), unique=True)):
        text = draw(st.sampled_from(["Raccordé", "Plan établi"]))
        events.append(
            Event(
                kind=EventKind.milestone_added,
                order_ref="wholesale:x",
                item_id=f"I{n:03d}",
                message=text,
                fingerprint=f"m{n}{text}",
            )
        )
    return events, total


@settings(max_examples=200, deadline=None)
@given(reads(), st.randoms())
def test_one_read_is_one_reply_that_accounts_for_every_event(read: tuple[list[Event], int], rnd: Any) -> None:
    events, total = read
    changes = change_set(events, items_total=total)
    if not events:
        assert changes is None
        return
    assert changes is not None
    lines = change_lines(changes)
    # One line per kind of move and per milestone text, not per item.
    moves = {(e.old, e.new) for e in events if e.kind is EventKind.item_state}
    texts = {e.message for e in events if e.kind is EventKind.milestone_added}
    order = any(e.kind is EventKind.order_state for e in events)
    assert len(lines) == int(order) + len(moves) + len(texts)
    # Every item that moved is named, or counted on a line that says how many of the order's items.
    body = "\n".join(lines)
    for e in events:
        if e.item_id is not None:
            assert e.item_id in body or f" of {total} " in body
    # The same events, in any order, are the same reply.
    shuffled = list(events)
    rnd.shuffle(shuffled)
    again = change_set(shuffled, items_total=total)
    assert again is not None and again.fingerprint == changes.fingerprint
    text, blocks = render_changes(changes, "ACME-LYON-0042 · Fibre")
    assert text == headline(changes, "ACME-LYON-0042 · Fibre") and text.startswith("ACME-LYON-0042 · Fibre: ")
    assert len(blocks) == 1
