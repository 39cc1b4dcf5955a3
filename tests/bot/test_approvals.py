"""Approvals end to end: signed clicks into the running app, the carrier's requests counted by the sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from bot_harness import START, Harness, fresh_quote
from sqlmodel import Session, col, select

import bot.approvals.policy as policy
from bot import approvals
from bot.blocks.approvals import ACTION_APPROVE, ACTION_REJECT, ACTION_RETRY
from bot.blocks.quotes import ACTION_QUOTE_ORDER, quote_blocks
from bot.slack import Where
from integrations.views import quote_view_from_carrier
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState, AuditAction
from storage.models import Approval, AuditEvent, OrderSnapshot, Watch

ORDER = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
COMPLETED = "37cf411f"  # a seeded completed wholesale order (prefix)
CHANNEL = "C_GENERAL"


async def ask(h: Harness, text: str, *, user: str = "U_ALICE") -> str:
    before = len(h.fake.response_posts())
    ack = await h.user.command(text, channel=CHANNEL, user=user)
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return str(h.user.render(h.fake.response_posts()[-1].body))


def approvals_in_db(h: Harness) -> list[Approval]:
    with Session(h.ctx.engine) as session:
        return list(session.exec(select(Approval).order_by(col(Approval.created_at))).all())


async def wait_state(h: Harness, states: Iterable[str], *, index: int = -1, timeout: float = 10.0) -> Approval:
    wanted = set(states)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = approvals_in_db(h)
        if rows and rows[index].state in wanted:
            return rows[index]
        if loop.time() > deadline:
            raise AssertionError(f"approval states {[r.state for r in rows]} never reached {wanted}")
        await asyncio.sleep(0.05)


async def carrier_posts(h: Harness, fragment: str) -> int:
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    return sum(n for key, n in counts.items() if key.startswith("POST ") and fragment.lower() in key.lower())


def message(h: Harness, ts: str | None) -> dict[str, Any]:
    assert ts is not None
    found = h.fake.message(CHANNEL, ts)
    assert found is not None
    return found


def shown(h: Harness, msg: dict[str, Any]) -> str:
    return str(h.user.render(msg, channel=CHANNEL))


def last_ephemeral_text(h: Harness) -> str:
    return str(h.user.render(h.fake.response_posts()[-1].body))


async def ephemeral_after(h: Harness, before: int) -> str:
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return last_ephemeral_text(h)


BUYER_REFERENCE = "PO-2026-001"


async def order_quote(
    h: Harness, *, message: dict[str, Any] | None = None, values: dict[str, Any] | None = None, user: str = "U_ALICE"
) -> str:
    """Click "Order this quote", fill in the buyer's references in the modal it opens, submit; the answer."""
    seen = {v["id"] for v in h.fake.open_views(user)}

    def opened() -> list[dict[str, Any]]:
        return [v for v in h.fake.open_views(user) if v["id"] not in seen and v["callback_id"] == "quote_order_refs"]

    await h.user.click(ACTION_QUOTE_ORDER, user=user, message=message)
    await h.fake.wait_for(opened, timeout=10)
    view_id = str(opened()[-1]["id"])
    before = len(h.fake.ephemeral_messages(user, CHANNEL))
    ack = await h.user.submit_view(view_id, values or {"order_external_id": BUYER_REFERENCE}, user=user)
    assert ack.status == 200 and not ack.body.strip(), ack.body
    await h.fake.wait_for(lambda: len(h.fake.ephemeral_messages(user, CHANNEL)) > before, timeout=10)
    return str(h.user.render(h.fake.ephemeral_messages(user, CHANNEL)[-1], channel=CHANNEL))


async def request_cancel(h: Harness, reason: str = "customer moved") -> Approval:
    answer = await ask(h, f"cancel wholesale:{ORDER} {reason}")
    assert "Asked for approval" in answer, answer
    approval = approvals_in_db(h)[-1]
    assert approval.kind == ApprovalKind.CANCEL_ORDER.value
    assert approval.state == ApprovalState.PENDING.value
    assert approval.message_ts
    return approval


# --- 1. asking --------------------------------------------------------------------------------


async def test_cancel_posts_an_approval_request(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    text = shown(h, message(h, approval.message_ts))
    assert "U_ALICE" in text or "alice" in text
    assert ORDER in text and "customer moved" in text
    assert "Approve" in text and "Reject" in text
    with Session(h.ctx.engine) as session:
        audit = session.exec(select(AuditEvent).where(col(AuditEvent.approval_id) == approval.id)).all()
    assert [e.action for e in audit] == [AuditAction.APPROVAL_REQUESTED.value]
    # asking again while it is pending points at the first request
    again = await ask(h, f"cancel wholesale:{ORDER}", user="U_BOB")
    assert "already asked" in again
    assert len(approvals_in_db(h)) == 1


async def test_final_orders_are_refused(harness: Harness) -> None:
    h = harness
    orders = (await h.ctx.orange.wholesale.orders.list({"state": "completed"})).items
    done = next(o for o in orders if o.id and o.id.startswith(COMPLETED))
    answer = await ask(h, f"cancel wholesale:{done.id}")
    assert "can't be cancelled" in answer and "final" in answer
    assert approvals_in_db(h) == []


# --- 2. who may decide ------------------------------------------------------------------------


async def test_requester_and_stranger_are_refused(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "approver_user_ids", ("U_BOB", "U_ALICE"))
    approval = await request_cancel(h)
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_APPROVE, user="U_ALICE")
    assert "asked for this yourself" in await ephemeral_after(h, before)
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_APPROVE, user="U_CAROL")
    assert "Only the approvers" in await ephemeral_after(h, before)
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_REJECT, user="U_CAROL")
    assert "Only the approvers" in await ephemeral_after(h, before)
    assert approvals_in_db(h)[-1].state == ApprovalState.PENDING.value
    assert await carrier_posts(h, "cancelProductOrder") == 0
    assert "Approve" in shown(h, message(h, approval.message_ts))


async def test_self_approval_when_allowed(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "allow_self_approval", True)
    await request_cancel(h)
    await h.user.click(ACTION_APPROVE, user="U_ALICE")
    await wait_state(h, [ApprovalState.SUBMITTED.value])


# --- 3. approve, exactly once -----------------------------------------------------------------


async def test_fifty_concurrent_approvals_call_the_carrier_once(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    msg = message(h, approval.message_ts)
    users = ["U_BOB", "U_CAROL"]
    acks = await asyncio.gather(*(h.user.click(ACTION_APPROVE, user=users[i % 2], message=msg) for i in range(50)))
    assert all(a.status == 200 for a in acks)
    done = await wait_state(h, [ApprovalState.SUBMITTED.value])
    await asyncio.sleep(0.3)  # let the losers finish
    assert await carrier_posts(h, "cancelProductOrder") == 1
    assert done.decided_by in users and done.result and done.result.get("cancel_id")
    text = shown(h, message(h, approval.message_ts))
    assert "Approve" not in text and "Sent to Orange" in text
    order = await h.ctx.orange.wholesale.orders.get(ORDER)
    assert str(order.state).lower() in {"assessingcancellation", "pendingcancellation", "cancelled"}
    with Session(h.ctx.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.at))).all()]
    assert actions == [
        AuditAction.APPROVAL_REQUESTED.value,
        AuditAction.APPROVAL_APPROVED.value,
        AuditAction.CARRIER_CALL.value,
        AuditAction.CARRIER_RESULT.value,
    ]
    # a later click says who decided and when
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_APPROVE, user="U_CAROL", message=msg)
    assert "already approved by" in await ephemeral_after(h, before)


async def test_the_same_payload_delivered_twice(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    ack = await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    before = len(h.fake.response_posts())
    again = await h.user.send(urlencode({"payload": json.dumps(ack.payload)}))
    assert again.status == 200
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await asyncio.sleep(0.3)
    assert await carrier_posts(h, "cancelProductOrder") == 1
    assert len(h.fake.response_posts()) == before  # the redelivery answers nothing


async def test_reject(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    msg = message(h, approval.message_ts)
    await h.user.click(ACTION_REJECT, user="U_BOB")
    done = await wait_state(h, [ApprovalState.REJECTED.value])
    assert done.decided_by == "U_BOB"
    await h.fake.wait_for_calls("chat.update", 1)
    text = shown(h, message(h, approval.message_ts))
    assert "Rejected" in text and "Approve" not in text
    assert await carrier_posts(h, "cancelProductOrder") == 0
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_APPROVE, user="U_CAROL", message=msg)
    assert "already rejected by" in await ephemeral_after(h, before)


async def test_carrier_failure_then_retry(harness: Harness) -> None:
    h = harness
    await h.admin.post(
        "/_sandbox/faults",
        json={"path": "cancelProductOrder", "method": "POST", "status": 400, "body": {"code": "24"}, "count": 1},
    )
    approval = await request_cancel(h)
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    failed = await wait_state(h, [ApprovalState.FAILED.value])
    assert failed.error
    await h.fake.wait_for(lambda: "Retry" in shown(h, message(h, approval.message_ts)))
    text = shown(h, message(h, approval.message_ts))
    assert "Failed" in text and "Approve" not in text
    # the requester may not retry either
    before = len(h.fake.response_posts())
    await h.user.click(ACTION_RETRY, user="U_ALICE")
    assert "asked for this yourself" in await ephemeral_after(h, before)
    msg = message(h, approval.message_ts)
    await asyncio.gather(*(h.user.click(ACTION_RETRY, user="U_CAROL", message=msg) for _ in range(10)))
    retried = await wait_state(h, [ApprovalState.SUBMITTED.value])
    await asyncio.sleep(0.3)
    assert retried.id != approval.id and retried.payload["retry_of"] == str(approval.id)
    assert retried.message_ts == approval.message_ts
    assert len(approvals_in_db(h)) == 2
    assert await carrier_posts(h, "cancelProductOrder") == 2  # the refused one and the retry
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Retry" not in text


# --- 6. a crash between the carrier call and its result ---------------------------------------


def _submitting(h: Harness, kind: ApprovalKind, backend: str, target: str) -> Approval:
    with Session(h.ctx.engine) as session:
        approval = crud.create_approval(
            session=session,
            kind=kind.value,
            team_id="T_TEST",
            channel_id=CHANNEL,
            requester_id="U_ALICE",
            backend=backend,
            target_id=target,
            payload={"reference": f"{backend}:{target}"},
        )
        assert crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state="pending",
            expected_version=0,
            new_state="submitting",
            decided_by="U_BOB",
            decided_at=START,
        )
        session.commit()
        session.refresh(approval)
        return approval


async def test_reconcile_after_a_crash(harness: Harness) -> None:
    h = harness
    placed = _submitting(h, ApprovalKind.QUOTE_ORDER, "carrier", "8")
    lost = _submitting(h, ApprovalKind.QUOTE_ORDER, "carrier", "9")
    order = await h.ctx.orange.carrier.orders.create(
        {
            "externalId": placed.external_id,
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "product": {
                        "productSpecification": {"id": "TransitELine"},
                        "productConfiguration": {"@type": "EVPL", "bandwidth": 10, "classOfService": "GUARANTEED"},
                    },
                }
            ],
        }
    )
    await h.admin.post("/_sandbox/requests/reset")
    settled = await approvals.reconcile(h.ctx, h.bolt.client)
    assert settled == {str(placed.id): "submitted"}  # the lost one is not found yet: looked for again later
    assert await carrier_posts(h, "productOrder") == 0  # looked up, never sent again
    rows = {a.id: a for a in approvals_in_db(h)}
    result = rows[placed.id].result
    assert result is not None and result["order_id"] == str(order.id)
    assert rows[lost.id].state == "submitting" and rows[lost.id].checks == 1 and rows[lost.id].lease_owner is None
    with Session(h.ctx.engine) as session:
        watch = session.exec(select(Watch).where(col(Watch.order_id) == str(order.id))).one()
        assert session.get(OrderSnapshot, watch.id) is not None
    assert await approvals.reconcile(h.ctx, h.bolt.client) == {}  # its next look-up is not due yet
    # Nothing found for longer than Orange takes to index an order: not placed, and Retry is offered.
    later = utcnow() + policy.SETTLE + timedelta(seconds=1)
    assert await approvals.reconcile(h.ctx, h.bolt.client, at=later) == {str(lost.id): "failed"}
    failed = {a.id: a for a in approvals_in_db(h)}[lost.id]
    assert failed.error is not None and "not placed" in failed.error and failed.external_id in failed.error
    assert await carrier_posts(h, "productOrder") == 0


async def test_reconcile_a_cancellation(harness: Harness) -> None:
    h = harness
    sent = _submitting(h, ApprovalKind.CANCEL_ORDER, "wholesale", ORDER)
    await h.ctx.orange.wholesale.cancellations.create(order_id=ORDER, reason="test")
    assert await approvals.reconcile(h.ctx, h.bolt.client) == {str(sent.id): "submitted"}


# --- 4. quote → order, watched in the approval's thread ---------------------------------------


async def test_quote_to_order_end_to_end(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)  # the sandbox's calendar: its quotes are valid 7 days from START
    quote = await fresh_quote(h.ctx.orange, bandwidth=20)
    view = quote_view_from_carrier(quote)
    card = {"type": "message", "ts": "", "blocks": [b.to_dict() for b in quote_blocks(view, now=START)]}
    assert "Asked for approval" in await order_quote(h, message=card)
    approval = approvals_in_db(h)[-1]
    assert approval.kind == ApprovalKind.QUOTE_ORDER.value and approval.target_id == view.id
    text = shown(h, message(h, approval.message_ts))
    assert view.reference in text and "Recurring" in text and "EUR" in text
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value, done.error
    assert await carrier_posts(h, "productOrder") == 1
    assert done.result is not None
    order = await h.ctx.orange.carrier.orders.get(done.result["order_id"])
    assert str(order.external_id) == BUYER_REFERENCE and str(order.project_id) == approval.external_id
    raw = order.model_dump(mode="json", by_alias=True)
    assert all(item["quote"]["id"] == view.id for item in raw["productOrderItem"])
    with Session(h.ctx.engine) as session:
        watch = session.exec(select(Watch).where(col(Watch.order_id) == str(order.id))).one()
        assert watch.thread_ts == approval.message_ts and watch.channel_id == CHANNEL
        assert session.get(OrderSnapshot, watch.id) is not None
        actions = {e.action for e in session.exec(select(AuditEvent)).all()}
    assert AuditAction.WATCH_CREATED.value in actions
    await h.fake.wait_for(lambda: "watched in this thread" in shown(h, message(h, approval.message_ts)))

    # The notifier posts the order's changes in the approval's thread and leaves the decided card as it is.
    from test_notifier import cycle

    card_before = shown(h, message(h, approval.message_ts))
    await h.admin.post(f"/_sandbox/orders/carrier/{order.id}/state", json={"state": "inProgress", "cascade": True})
    await cycle(h)
    assert shown(h, message(h, approval.message_ts)) == card_before
    replies = h.fake.thread(CHANNEL, approval.message_ts or "")
    assert any("In progress" in str(r.get("text")) for r in replies), replies


async def test_expired_quote_is_not_requested(harness: Harness) -> None:
    h = harness
    card_value = "carrier:6"  # valid until 2021-04-01
    view = quote_view_from_carrier(await h.ctx.orange.carrier.quotes.get(6))
    assert not view.is_orderable(START)
    reply = await approvals.request_quote_order(h.ctx, h.bolt.client, Where("T", CHANNEL, "U_ALICE"), card_value)
    assert "can't be ordered" in reply.text
    assert approvals_in_db(h) == []


# --- 7. the quote modal ---------------------------------------------------------------------


async def open_form(h: Harness) -> str:
    answer = await ask(h, "quote new")
    assert "quote form" in answer, answer
    views = h.fake.open_views("U_ALICE")
    assert views, "no modal opened"
    return str(views[-1]["id"])


async def test_quote_modal_site_search(harness: Harness) -> None:
    h = harness
    view_id = await open_form(h)
    ack = await h.user.options("quote_site_a", "Bagnolet", view_id, user="U_ALICE")
    options = ack.json()["options"]
    assert options and all("Bagnolet" in o["text"]["text"] or o["value"] for o in options)
    assert "105740" in {o["value"] for o in options}


async def test_quote_modal_validates_bandwidth(harness: Harness) -> None:
    h = harness
    view_id = await open_form(h)
    values = {"quote_site_a": "1265904", "quote_site_b": "1354977", "quote_bandwidth": "abc"}
    ack = await h.user.submit_view(view_id, values, user="U_ALICE")
    body = ack.json()
    assert body["response_action"] == "errors" and "bandwidth" in body["errors"]
    ack = await h.user.submit_view(view_id, {**values, "quote_bandwidth": "100001"}, user="U_ALICE")
    assert "bandwidth" in ack.json()["errors"]
    ack = await h.user.submit_view(view_id, {**values, "quote_site_b": "1265904", "quote_bandwidth": "10"})
    assert "site_b" in ack.json()["errors"]


async def test_quote_modal_poq_then_quote(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)
    view_id = await open_form(h)
    values = {"quote_site_a": "1265904", "quote_site_b": "1354977", "quote_bandwidth": "100", "quote_cos": "GUARANTEED"}
    ack = await h.user.submit_view(view_id, values, user="U_ALICE")
    assert ack.status == 200 and ack.json()["response_action"] == "update"
    assert "Asking Orange" in str(h.user.render(h.fake.view(view_id) or {}))

    def rendered() -> list[str]:
        return [str(h.user.render(m, channel=CHANNEL)) for m in h.fake.ephemeral_messages("U_ALICE", CHANNEL)]

    await h.fake.wait_for(lambda: any("Order this quote" in m for m in rendered()), timeout=10)
    assert any("Every item can be delivered" in m and "Lead time" in m for m in rendered())
    assert "Asked for approval" in await order_quote(h)


async def test_quote_modal_stops_when_not_green(harness: Harness) -> None:
    h = harness
    view_id = await open_form(h)
    values = {"quote_site_a": "1265904", "quote_site_b": "999999", "quote_bandwidth": "100"}
    await h.user.submit_view(view_id, values, user="U_ALICE")

    def last() -> str:
        return str(h.user.render(h.fake.ephemeral_messages("U_ALICE", CHANNEL)[-1], channel=CHANNEL))

    await h.fake.wait_for(lambda: "no quote was asked" in last(), timeout=10)
    assert "Unknown site" in last()
    assert await carrier_posts(h, "quoteManagement") == 0


@pytest.mark.parametrize(
    ("channel", "kind", "says"),
    [
        ("C_PUB", {"is_member": False}, "I'm not a member of it"),
        ("C_PRIVATE", None, "I'm not a member of it"),  # seeded: private, the bot not in it: channel_not_found
        ("C_HIDDEN", {"is_private": True, "is_member": False}, "I'm not a member of it"),
        ("C_OLD", {"is_archived": True}, "archived"),
    ],
)
async def test_quote_new_where_the_bot_cannot_post_says_invite_me_instead_of_a_form(
    harness: Harness, channel: str, kind: dict[str, bool] | None, says: str
) -> None:
    h = harness
    if kind is not None:
        h.fake.add_channel(channel, channel.lower(), **kind)
    before = len(h.fake.response_posts())
    ack = await h.user.command("quote new", channel=channel, user="U_ALICE")
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    answer = str(h.user.render(h.fake.response_posts()[-1].body))
    assert says in answer, answer
    if kind != {"is_archived": True}:
        assert "/invite @orange-bot" in answer and "`/orange quote new` again" in answer, answer
    assert h.fake.open_views("U_ALICE") == []  # no form whose results could not be shown
    asked = [c for c in h.fake.calls if c.method == "conversations.info"]
    # Slack hides a private channel from a bot that is not in it (channel_not_found), as the simulator does
    assert len(asked) == 1 and asked[0].ok == (channel not in ("C_HIDDEN", "C_PRIVATE"))


async def test_quote_results_go_by_dm_when_the_channel_refuses_them(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)
    view_id = await open_form(h)
    h.fake.channels[CHANNEL].is_member = False  # removed from the channel while the form was open
    values = {"quote_site_a": "1265904", "quote_site_b": "1354977", "quote_bandwidth": "100", "quote_cos": "GUARANTEED"}
    ack = await h.user.submit_view(view_id, values, user="U_ALICE")
    assert ack.status == 200 and ack.json()["response_action"] == "update"

    def dms() -> list[str]:
        return [str(h.user.render(m)) for m in h.fake.channel_messages("D_ALICE")]

    await h.fake.wait_for(lambda: any("Quote carrier:" in m for m in dms()), timeout=10)
    assert len(dms()) == 2  # the serviceability check, then the quote
    assert "Every item can be delivered" in dms()[0] and "come here" in dms()[0]
    assert "come here" not in dms()[1]  # said once
    assert all("Order this quote" not in m for m in dms())  # no approval asked for from a DM
    shown = [str(m["text"]) for m in h.fake.ephemeral_messages("U_ALICE", CHANNEL)]
    assert len(shown) == 1 and "Fill in the quote form" in shown[0], shown  # the command's answer only


async def test_cancel_where_the_bot_is_not_a_member_says_to_run_cancel_again(harness: Harness) -> None:
    h = harness
    h.fake.add_channel("C_OUT", "out", is_member=False)
    before = len(h.fake.response_posts())
    await h.user.command(f"cancel wholesale:{ORDER} moved", channel="C_OUT", user="U_ALICE")
    answer = await ephemeral_after(h, before)
    assert "/invite @orange-bot" in answer and "`/orange cancel …` again" in answer, answer
