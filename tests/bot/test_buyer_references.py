""" "Order this quote" asks for the buyer's references in a modal (pre-filled from ORANGE_CARRIER_ORDER_DEFAULTS);
they are on the card and in the carrier order, while the bot finds its order again by its own key (`projectId`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_harness import START, Harness, fresh_quote
from sqlmodel import Session
from test_approvals import CHANNEL, approvals_in_db, carrier_posts, message, order_quote, shown, wait_state

import bot.approvals.policy as policy
from bot.approvals.carrier import look_up
from bot.blocks.approvals import ACTION_APPROVE
from bot.blocks.quotes import ACTION_QUOTE_ORDER, quote_blocks
from bot.simulator import InputRefused
from integrations.views import quote_view_from_carrier
from storage import crud
from storage.enums import ApprovalKind, ApprovalState

DEFAULTS = "externalId: ACME-ORDER\nrelatedBuyerPON: BOA12\nnote: Call the site manager first\n"


async def quote_card(h: Harness) -> dict[str, object]:
    view = quote_view_from_carrier(await fresh_quote(h.ctx.orange, bandwidth=20))
    return {"type": "message", "ts": "", "blocks": [b.to_dict() for b in quote_blocks(view, now=START)]}


async def test_the_modal_is_prefilled_checked_and_its_references_reach_the_card_and_the_order(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)
    defaults = tmp_path / "order.yaml"
    defaults.write_text(DEFAULTS, encoding="utf-8")
    monkeypatch.setattr(h.ctx.settings, "orange_carrier_order_defaults", defaults)
    card = await quote_card(h)
    await h.user.click(ACTION_QUOTE_ORDER, user="U_ALICE", message=card)
    form = await h.fake.wait_for(lambda: h.fake.open_views("U_ALICE"), timeout=10)
    view = form[-1]
    drawn = str(h.user.render(view))
    assert "ACME-ORDER" in drawn and "BOA12" in drawn and "Call the site manager first" in drawn, drawn
    assert approvals_in_db(h) == []  # nothing asked until the form is sent
    with pytest.raises(InputRefused) as refused:  # Slack's client keeps a required field from going out empty
        await h.user.submit_view(view["id"], {"order_external_id": ""}, user="U_ALICE")
    assert "order_external_id" in refused.value.errors
    with pytest.raises(InputRefused) as refused:  # nor longer than its max_length
        await h.user.submit_view(view["id"], {"order_buyer_pon": "P" * 65}, user="U_ALICE")
    assert "order_buyer_pon" in refused.value.errors
    assert approvals_in_db(h) == []
    answer = await order_quote(h, message=card, values={"order_external_id": "PO-2026-042"})
    assert "Asked for approval" in answer, answer
    approval = approvals_in_db(h)[-1]
    text = shown(h, message(h, approval.message_ts))
    assert "Order reference: PO-2026-042" in text and "Purchase order number: BOA12" in text, text
    assert "Note for Orange: Call the site manager first" in text, text

    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value and done.result is not None, done.error
    order = h.sandbox.state.sandbox.carrier_orders.get(done.result["order_id"])
    assert order is not None
    assert order["externalId"] == "PO-2026-042" and order["relatedBuyerPON"] == "BOA12"
    assert [n["text"] for n in order["note"]] == ["Call the site manager first"]
    assert order["projectId"] == approval.external_id != "PO-2026-042"  # the bot's own key, not the buyer's


async def test_the_form_refuses_a_blank_reference_even_when_slack_lets_it_through(harness: Harness) -> None:
    h = harness
    card = await quote_card(h)
    await h.user.click(ACTION_QUOTE_ORDER, user="U_ALICE", message=card)
    view = (await h.fake.wait_for(lambda: h.fake.open_views("U_ALICE"), timeout=10))[-1]
    relaxed = {**view, "blocks": [{**b, "optional": True} for b in view["blocks"]]}
    ack = await h.user.submit_view(view["id"], {"order_external_id": "  "}, user="U_ALICE", view=relaxed)
    assert ack.json()["response_action"] == "errors" and "order_external_id" in ack.json()["errors"]
    assert approvals_in_db(h) == []


async def test_the_look_up_goes_by_the_bots_key_not_the_buyers_reference(harness: Harness) -> None:
    """Another order with the same buyer reference is not taken for this approval's."""
    h = harness
    with Session(h.ctx.engine) as session:
        approval, _ = crud.open_approval(
            session=session,
            kind=ApprovalKind.QUOTE_ORDER.value,
            team_id="T",
            channel_id=CHANNEL,
            requester_id="U_ALICE",
            backend="carrier",
            target_id="8",
            payload={"reference": "carrier:8", "buyer": {"external_id": "PO-SHARED"}, "order_items": []},
        )
    item = {"id": "1", "action": "add", "product": {"productConfiguration": {"@type": "EVPL", "bandwidth": 10}}}
    await h.ctx.orange.carrier.orders.create(
        {"externalId": "PO-SHARED", "projectId": "someone-else", "productOrderItem": [item]}
    )
    found = await look_up(h.ctx, approval)
    assert found is None
    ours = await h.ctx.orange.carrier.orders.create(
        {"externalId": "PO-SHARED", "projectId": approval.external_id, "productOrderItem": [item]}
    )
    found = await look_up(h.ctx, approval)
    assert found is not None and found.detail["order_id"] == str(ours.id)
    assert await carrier_posts(h, "productOrder") == 2  # the two made here; the look-ups only read
