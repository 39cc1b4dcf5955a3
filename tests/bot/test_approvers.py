"""Who decides an approval (an approver user group, a channel's own group, or anyone but the requester) and four eyes
above an amount: signed clicks into the running app, the simulator's user groups, the carrier's POSTs counted by the
sandbox."""

from __future__ import annotations

import asyncio
import json

import pytest
from bot_harness import Harness
from test_approvals import (
    approvals_in_db,
    ask,
    carrier_posts,
    ephemeral_after,
    message,
    request_cancel,
    shown,
    wait_state,
)
from test_approvals_exactly_once import request_quote_order

from bot.blocks.approvals import ACTION_APPROVE, ACTION_REJECT
from storage.enums import ApprovalState

GROUP = "S0APPROVERS"


def raw(h: Harness, ts: str | None) -> str:
    """The card's blocks as Slack holds them (mentions unrendered)."""
    return json.dumps(message(h, ts).get("blocks"))


def approvers_group(h: Harness, monkeypatch: pytest.MonkeyPatch, *members: str) -> None:
    h.fake.add_usergroup(GROUP, "network-approvers", users=members)
    monkeypatch.setattr(h.ctx.settings, "approver_group", "@network-approvers")


async def click(h: Harness, action: str, user: str, ts: str | None) -> str:
    before = len(h.fake.response_posts())
    await h.user.click(action, user=user, message=message(h, ts))
    return await ephemeral_after(h, before)


async def test_group_members_decide_and_the_card_mentions_the_group(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approvers_group(h, monkeypatch, "U_BOB")
    approval = await request_cancel(h)
    assert f"<!subteam^{GROUP}>" in raw(h, approval.message_ts)
    refused = await click(h, ACTION_APPROVE, "U_CAROL", approval.message_ts)
    assert "Only the approvers" in refused and "\n" not in refused
    assert await click(h, ACTION_REJECT, "U_CAROL", approval.message_ts) == refused
    assert approvals_in_db(h)[-1].state == ApprovalState.PENDING.value
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    assert await carrier_posts(h, "cancelProductOrder") == 1
    assert [c for c in h.fake.calls_to("usergroups.users.list")]  # read from Slack, with its scope


async def test_a_channel_names_its_own_approver_group(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    approvers_group(h, monkeypatch, "U_BOB")
    h.fake.add_usergroup("S0FINANCE", "finance", users=["U_CAROL"])
    refused = await ask(h, "settings approvers=@finance", user="U_CAROL")  # not an approver yet: refused
    assert "Only the approvers" in refused, refused
    answer = await ask(h, "settings approvers=@finance", user="U_BOB")  # an approver of the channel changes it
    assert "Who decides approvals" in answer, answer
    approval = await request_cancel(h)
    assert "<!subteam^S0FINANCE>" in raw(h, approval.message_ts)
    assert "Only the approvers" in await click(h, ACTION_APPROVE, "U_BOB", approval.message_ts)
    await h.user.click(ACTION_APPROVE, user="U_CAROL", message=message(h, approval.message_ts))
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    assert await carrier_posts(h, "cancelProductOrder") == 1


async def test_with_no_approvers_named_the_card_says_anyone_but_the_requester(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    text = shown(h, message(h, approval.message_ts))
    assert "any member of the workspace but" in text and "may approve or reject" in text


async def test_two_people_above_the_amount_and_one_carrier_call(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "approval_two_people_above", "1000 EUR")
    approval = await request_quote_order(h, monkeypatch)
    assert "Two different members must approve" in shown(h, message(h, approval.message_ts))
    first = await click(h, ACTION_APPROVE, "U_BOB", approval.message_ts)
    assert "1 of 2" in first
    await h.fake.wait_for(lambda: "1 of 2" in shown(h, message(h, approval.message_ts)), timeout=10)
    assert "already approved" in await click(h, ACTION_APPROVE, "U_BOB", approval.message_ts)
    assert await carrier_posts(h, "productOrder") == 0
    assert approvals_in_db(h)[-1].state == ApprovalState.PENDING.value
    await h.user.click(ACTION_APPROVE, user="U_CAROL", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value, done.error
    assert await carrier_posts(h, "productOrder") == 1
    await h.fake.wait_for(lambda: "Sent to Orange" in shown(h, message(h, approval.message_ts)), timeout=10)
    card = raw(h, approval.message_ts)
    assert "Approved* by <@U_BOB>, <@U_CAROL>" in card or "approved by <@U_BOB>, <@U_CAROL>" in card, card


async def test_the_requester_never_counts_and_a_reject_ends_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "allow_self_approval", True)
    monkeypatch.setattr(h.ctx.settings, "approval_two_people_above", "1000 EUR")
    approval = await request_quote_order(h, monkeypatch)
    assert "asked for this yourself" in await click(h, ACTION_APPROVE, "U_ALICE", approval.message_ts)
    assert "1 of 2" in await click(h, ACTION_APPROVE, "U_BOB", approval.message_ts)
    await h.user.click(ACTION_REJECT, user="U_CAROL", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.REJECTED.value])
    assert done.decided_by == "U_CAROL"
    assert await carrier_posts(h, "productOrder") == 0


async def test_below_the_amount_one_approver_is_enough(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "approval_two_people_above", "100000000 EUR")
    approval = await request_quote_order(h, monkeypatch)
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    assert await carrier_posts(h, "productOrder") == 1


@pytest.mark.parametrize("approvers", [2, 8])
async def test_racing_approvers_with_two_required_make_one_carrier_call(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, approvers: int
) -> None:
    h = harness
    users = [f"U_APPROVER{n}" for n in range(approvers)]
    for user in users:
        h.fake.add_user(user)
    approvers_group(h, monkeypatch, *users)
    monkeypatch.setattr(h.ctx.settings, "approval_two_people_above", "1000 EUR")
    approval = await request_quote_order(h, monkeypatch)
    card = message(h, approval.message_ts)
    acks = await asyncio.gather(*(h.user.click(ACTION_APPROVE, user=u, message=card) for u in users))
    assert all(a.status == 200 for a in acks)
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value, done.error
    await h.fake.wait_for_responses(count=approvers - 1, timeout=10)  # everyone but the winner is answered
    assert await carrier_posts(h, "productOrder") == 1
    assert len(done.payload["approved_by"]) == 2
