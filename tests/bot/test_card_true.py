"""The card kept true: one price line per kind and the total over the term; the order's thread says who approved and
links the card; the card links the order's thread and shows the order's final state once its watch ends."""

from __future__ import annotations

import pytest
from bot_harness import START, Harness, fresh_quote
from sqlmodel import Session, col, select
from test_approvals import CHANNEL, ORDER, approvals_in_db, message, order_quote, request_cancel, shown, wait_state
from test_notifier import admin, cycle, slack, watch

import bot.approvals.policy as policy
from bot.blocks.approvals import ACTION_APPROVE
from bot.blocks.quotes import quote_blocks
from bot.notify.diff import NoticeKind
from bot.notify.outbox import drain_outbox
from integrations.views import quote_view_from_carrier
from storage.enums import ApprovalState
from storage.models import OutboxMessage


def _rows(h: Harness, kind: str) -> list[OutboxMessage]:
    with Session(h.ctx.engine) as session:
        return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == kind)).all())


async def test_the_quote_and_its_approval_card_show_each_price_once_and_the_total_over_the_term(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)
    quote = await fresh_quote(h.ctx.orange, bandwidth=20)  # 90 EUR a day, a 1-year term
    view = quote_view_from_carrier(quote)
    blocks = [b.to_dict() for b in quote_blocks(view, now=START)]
    card = {"type": "message", "ts": "", "blocks": blocks}
    quote_text = shown(h, card)
    assert quote_text.count("90 EUR / day (recurring)") == 1, quote_text
    assert "Total over the term: 32,850 EUR over 12 months" in quote_text  # 90 × 365

    assert "Asked for approval" in await order_quote(h, message=card)
    approval = approvals_in_db(h)[-1]
    text = shown(h, message(h, approval.message_ts))
    assert text.count("/ day (recurring)") == 1, text
    assert "Recurring: recurring charge: 90 EUR / day (recurring)" in text
    assert "Total over the term: 32,850 EUR over 12 months" in text


async def test_a_cancellation_s_thread_names_who_approved_and_the_card_links_the_thread(harness: Harness) -> None:
    h = harness
    watched = await watch(h, f"wholesale:{ORDER}")  # the order has a thread of its own in the channel
    approval = await request_cancel(h)
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await drain_outbox(h.ctx, slack(h))
    await drain_outbox(h.ctx, slack(h))  # nothing owed twice

    assert watched.thread_ts is not None and approval.message_ts is not None
    notes = [r for r in h.fake.thread(CHANNEL, watched.thread_ts) if "was approved by" in str(r.get("text"))]
    assert len(notes) == 1, notes
    note = str(notes[0]["text"])
    assert "<@U_BOB>" in note and "asked by <@U_ALICE>" in note and ORDER in note
    assert f"p{approval.message_ts.replace('.', '')}" in note  # the card's permalink
    await h.fake.wait_for(lambda: "watched in" in shown(h, message(h, approval.message_ts)))
    blocks = str(message(h, approval.message_ts).get("blocks"))
    assert f"p{watched.thread_ts.replace('.', '')}" in blocks  # the card links the order's thread


async def test_the_card_shows_the_order_cancelled_once_its_watch_ends(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await h.fake.wait_for(lambda: "Orange is cancelling" in shown(h, message(h, approval.message_ts)))
    assert approval.message_ts is not None

    await cycle(h)  # the first read of the order: a baseline in the card's thread
    await admin(h, f"/_sandbox/orders/wholesale/{ORDER}/state", {"state": "cancelled"})
    await cycle(h)
    text = shown(h, message(h, approval.message_ts))
    assert "Cancelled on" in text, text
    assert "Orange is cancelling" not in text and "Sent to Orange" in text and "U_BOB" in text
    replies = [str(r.get("text")) for r in h.fake.thread(CHANNEL, approval.message_ts)]
    assert sum("was approved by <@U_BOB>" in r for r in replies) == 1, replies

    updates = len(h.fake.calls_to("chat.update"))
    await cycle(h)  # the watch has ended: nothing more, and the card keeps its final state
    assert len(h.fake.calls_to("chat.update")) == updates
    assert len(_rows(h, NoticeKind.approval_card)) == 1
    assert "Cancelled on" in shown(h, message(h, approval.message_ts))
