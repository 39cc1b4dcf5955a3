"""One approval, one carrier order, whatever Slack and Orange do: slow card updates, a lease kept while Orange
is slow, 5xx after the order was created, late indexing, a retry of an order placed after all, a late update
of an older card state. Signed clicks into the running app; the carrier's requests counted by the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from bot_harness import START, Harness, fresh_quote
from sqlmodel import Session, col, select
from test_approvals import CHANNEL, approvals_in_db, carrier_posts, message, order_quote, shown, wait_state

import bot.approvals.policy as policy
from bot import approvals
from bot.blocks.approvals import ACTION_APPROVE
from bot.blocks.quotes import quote_blocks
from integrations.views import quote_view_from_carrier
from storage.columns import utcnow
from storage.enums import ApprovalState
from storage.models import Approval, Watch

ORDER_POST = r"productOrderManagement/v1/productOrder$"


async def request_quote_order(h: Harness, monkeypatch: pytest.MonkeyPatch) -> Approval:
    """Alice asks to order a fresh quote; the pending approval with its card in the channel."""
    monkeypatch.setattr(policy, "now", lambda: START)  # the sandbox's calendar: its quotes are valid 7 days from START
    quote = await fresh_quote(h.ctx.orange, bandwidth=20)
    view = quote_view_from_carrier(quote)
    card = {"type": "message", "ts": "", "blocks": [b.to_dict() for b in quote_blocks(view, now=START)]}
    await order_quote(h, message=card)  # the buyer's references asked in a modal first
    approval = approvals_in_db(h)[-1]
    assert approval.state == ApprovalState.PENDING.value and approval.message_ts
    return approval


async def orders_with_external_id(h: Harness, external_id: str) -> list[dict[str, Any]]:
    """Every carrier order Orange holds for this approval's key (the sandbox's own state, not its late index); the
    key travels in `projectId`, the buyer's own reference in `externalId`."""
    state = h.sandbox.state.sandbox
    return [o for o in state.carrier_orders.values() if o.get("projectId") == external_id]


def watches_of(h: Harness, order_id: str) -> list[Watch]:
    with Session(h.ctx.engine) as session:
        return list(session.exec(select(Watch).where(col(Watch.order_id) == order_id)).all())


async def fault(h: Harness, **body: Any) -> None:
    response = await h.admin.post("/_sandbox/faults", json=body)
    assert response.status_code == 201, response.text


async def test_a_slow_card_update_cannot_let_reconcile_and_retry_place_a_second_order(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card is updated after the carrier call, and Slack's long Retry-After is not waited in place."""
    h = harness
    approval = await request_quote_order(h, monkeypatch)
    h.fake.inject("chat.update", "ratelimited", status=429, retry_after=150, count=1)
    started = asyncio.get_running_loop().time()
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value], timeout=20)
    assert asyncio.get_running_loop().time() - started < 10  # nobody sat out the 150 s
    assert done.state == ApprovalState.SUBMITTED.value, done.error
    # reconcile finds nothing to settle, and a Retry is refused: the request is not failed
    assert await approvals.reconcile(h.ctx, h.bolt.client) == {}
    reply = await approvals.handle_click(h.ctx, h.bolt.client, approvals.Click("retry", str(done.id), "U_CAROL"))
    assert reply is not None and "already approved" in reply
    assert await carrier_posts(h, "productOrder") == 1
    orders = await orders_with_external_id(h, approval.external_id)
    assert len(orders) == 1
    assert len(watches_of(h, str(orders[0]["id"]))) == 1
    # The refused card update waits for Slack's Retry-After, then is redrawn from the row.
    assert "Sent to Orange" not in shown(h, message(h, approval.message_ts))
    await h.fake.wait_for(lambda: any(a.card_redraw_at for a in approvals_in_db(h)))
    await approvals.reconcile(h.ctx, h.bolt.client, at=utcnow() + policy.STALE_CARD + timedelta(seconds=1))
    assert "Sent to Orange" not in shown(h, message(h, approval.message_ts))
    await approvals.reconcile(h.ctx, h.bolt.client, at=utcnow() + timedelta(seconds=151))
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "watched in this thread" in text


async def test_a_live_owner_keeps_its_claim_while_orange_is_slow(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(policy, "LEASE", timedelta(seconds=0.3))  # renewed every 0.1 s while the call runs
    approval = await request_quote_order(h, monkeypatch)
    await fault(h, path=ORDER_POST, method="POST", latency=1.5, after=True)
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    await wait_state(h, [ApprovalState.SUBMITTING.value])
    takeovers: list[dict[str, str]] = []
    while approvals_in_db(h)[-1].state == ApprovalState.SUBMITTING.value:
        takeovers.append(await approvals.reconcile(h.ctx, h.bolt.client))
        await asyncio.sleep(0.1)
    assert len(takeovers) >= 5 and not any(takeovers)
    done = approvals_in_db(h)[-1]
    assert done.state == ApprovalState.SUBMITTED.value and done.checks == 0
    assert await carrier_posts(h, "productOrder") == 1
    assert len(await orders_with_external_id(h, approval.external_id)) == 1


async def test_a_5xx_after_the_order_was_created_and_late_indexing_end_with_one_watched_order(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approval = await request_quote_order(h, monkeypatch)
    await h.admin.post("/_sandbox/indexing", json={"delay": 30})
    await fault(h, path=ORDER_POST, method="POST", status=502, body={"code": 5}, after=True)
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    await h.fake.wait_for(lambda: "answer was lost" in shown(h, message(h, approval.message_ts)), timeout=10)
    lost = approvals_in_db(h)[-1]
    assert lost.state == ApprovalState.SUBMITTING.value and lost.lease_owner is None  # not failed: Orange may have it
    assert "Retry" not in shown(h, message(h, approval.message_ts))
    assert len(await orders_with_external_id(h, approval.external_id)) == 1  # it has

    # Not indexed yet: not found is not "not placed"; looked for again, later.
    first = utcnow() + policy.FIRST_CHECK + timedelta(seconds=1)
    assert await approvals.reconcile(h.ctx, h.bolt.client, at=first) == {}
    waiting = approvals_in_db(h)[-1]
    assert waiting.state == ApprovalState.SUBMITTING.value and waiting.checks == 1
    assert "Retry" not in shown(h, message(h, approval.message_ts))

    h.clock.now += 31  # Orange's index catches up
    second = first + policy.MAX_CHECK_GAP
    assert await approvals.reconcile(h.ctx, h.bolt.client, at=second) == {str(lost.id): "submitted"}
    assert await carrier_posts(h, "productOrder") == 1
    orders = await orders_with_external_id(h, approval.external_id)
    assert len(orders) == 1
    (watch,) = watches_of(h, str(orders[0]["id"]))
    assert watch.thread_ts == approval.message_ts
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Retry" not in text


async def test_retry_adopts_an_order_placed_after_all_instead_of_placing_another(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approval = await request_quote_order(h, monkeypatch)
    await h.admin.post("/_sandbox/indexing", json={"delay": 3600})  # longer than the bot waits
    await fault(h, path=ORDER_POST, method="POST", status=504, after=True)
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    await wait_state(h, [ApprovalState.SUBMITTING.value])
    await h.fake.wait_for(lambda: approvals_in_db(h)[-1].lease_owner is None, timeout=10)
    settled = await approvals.reconcile(h.ctx, h.bolt.client, at=utcnow() + policy.SETTLE + timedelta(seconds=1))
    assert settled == {str(approval.id): "failed"}
    failed = approvals_in_db(h)[-1]
    assert failed.error is not None and "not placed" in failed.error
    assert "Retry" in shown(h, message(h, approval.message_ts))

    h.clock.now += 3601  # the order shows up at last
    reply = await approvals.handle_click(h.ctx, h.bolt.client, approvals.Click("retry", str(failed.id), "U_CAROL"))
    assert reply is None
    retried = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert retried.state == ApprovalState.SUBMITTED.value, retried.error
    assert retried.id != failed.id and retried.external_id == failed.external_id
    assert await carrier_posts(h, "productOrder") == 1  # looked up first, never posted again
    orders = await orders_with_external_id(h, approval.external_id)
    assert len(orders) == 1 and retried.result and retried.result["order_id"] == str(orders[0]["id"])
    assert len(watches_of(h, str(orders[0]["id"]))) == 1


async def test_a_late_update_of_an_older_state_does_not_stay_on_the_card(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approval = await request_quote_order(h, monkeypatch)
    await fault(h, path=ORDER_POST, method="POST", status=400, body={"code": "24"}, count=1)
    h.fake.inject("chat.update", None, delay=1.5, count=1)  # the "failed" card is slow to land
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    failed = await wait_state(h, [ApprovalState.FAILED.value])
    await h.fake.wait_for_calls("chat.update", 1)
    # While the failed card is still on its way, an approver retries and the retry goes through.
    await approvals.handle_click(h.ctx, h.bolt.client, approvals.Click("retry", str(failed.id), "U_CAROL"))
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await h.fake.wait_for(lambda: len(h.fake.calls_to("chat.update")) >= 3, timeout=10)
    await asyncio.sleep(0.2)
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Retry" not in text, text
    assert await carrier_posts(h, "productOrder") == 2  # the refused one and the retry


async def test_one_live_approval_per_target_however_requests_race(harness: Harness) -> None:
    from test_approvals import ORDER

    h = harness
    acks = await asyncio.gather(*(h.user.command(f"cancel wholesale:{ORDER} r{n}", channel=CHANNEL) for n in range(6)))
    assert all(a.status == 200 for a in acks)
    posts = await h.fake.wait_for_responses(count=6, timeout=10)
    answers = [str(h.user.render(p.body)) for p in posts]
    assert sum("Asked for approval" in a for a in answers) == 1, answers
    assert sum("already asked" in a for a in answers) == 5, answers
    live = [a for a in approvals_in_db(h) if a.state in ("pending", "submitting", "submitted")]
    assert len(live) == 1
    assert sum(1 for m in h.fake.channel_messages(CHANNEL) if "asks to cancel" in str(m.get("text"))) == 1
