"""Orders named as people know them (the buyer's reference · description · place) wherever the bot shows a watched or
approved order — watch lists, App Home, digests, approval cards and results, the paused-watch DM — with the
`backend:id` kept beside it as code. Through signed requests, the simulator and the sandbox's seeded orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot_harness import START, Harness, fresh_quote
from pytest import MonkeyPatch
from sqlalchemy import update
from sqlmodel import Session
from test_approvals import (
    BUYER_REFERENCE,
    ORDER,
    approvals_in_db,
    message,
    order_quote,
    request_cancel,
    shown,
    wait_state,
)
from test_notifier import W, admin, ask, cycle, reload, watch
from test_site_names import site_gets

from bot.approvals import policy
from bot.blocks.approvals import ACTION_APPROVE
from bot.blocks.quotes import quote_blocks
from bot.simulator.render import mrkdwn_to_text
from bot.sites import SiteNames
from integrations.views import quote_view_from_carrier
from storage.enums import ApprovalState
from storage.models import Approval

assert ORDER == W
WHOLESALE_LABEL = "UW-de76cfa1 · OULLINS C"  # its externalIdentifier and building, as the seed has them
CARRIER_LABEL = "1 / BOA12 · Marseille MRS1, Marseille"  # externalId / relatedBuyerPON, site 1440397 named


async def home_of(h: Harness, user: str, event_id: str) -> str:
    before = len(h.fake.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": f"D_{user}"}
    await h.user.event(event, event_id=event_id)
    await h.fake.wait_for_calls("views.publish", count=before + 1, timeout=10)
    home = h.fake.home(user)
    assert home is not None
    return "\n".join(mrkdwn_to_text(str(b["text"]["text"])) for b in home["blocks"] if "text" in b)


async def test_the_watches_list_names_each_order_and_asks_each_site_once(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    for n in (9, 11, 13):  # three orders on the same carrier site
        await watch(h, f"carrier:{n}")
    h.ctx.sites = SiteNames()  # nothing cached: the list names the site itself
    await h.admin.post("/_sandbox/requests/reset")
    listed = await ask(h, "watches")
    assert f"{WHOLESALE_LABEL} · `wholesale:{W}`" in listed, listed
    for n in (9, 11, 13):
        assert f"{CARRIER_LABEL} · `carrier:{n}`" in listed, listed
    assert await site_gets(h) == 1  # one GET for the one distinct site
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    assert not [k for k in counts if "productOrder" in k], counts  # the labels come from the stored snapshots


async def test_watching_again_and_unwatching_name_the_order(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    again = await ask(h, f"watch wholesale:{W}")
    assert f"{WHOLESALE_LABEL} · `wholesale:{W}` is already watched" in again, again
    stopped = await ask(h, f"unwatch wholesale:{W}")
    assert f"Stopped watching {WHOLESALE_LABEL} · `wholesale:{W}`" in stopped, stopped


async def test_app_home_names_your_watches_and_the_pending_approvals(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")
    await watch(h, "carrier:11")
    await request_cancel(h)
    home = await home_of(h, "U_ALICE", "EvA")
    assert f"{WHOLESALE_LABEL} · `wholesale:{W}`" in home, home
    assert f"{CARRIER_LABEL} · `carrier:11`" in home, home
    bob = await home_of(h, "U_BOB", "EvB")  # Bob may decide Alice's request
    assert f"Cancel an order · {WHOLESALE_LABEL} · `wholesale:{W}`" in bob, bob


async def test_the_digest_names_the_orders_and_the_waiting_approvals(harness: Harness) -> None:
    h = harness
    await watch(h, f"wholesale:{W}")  # seeded with open error messages and an expected date long past
    await request_cancel(h)

    def old_request(s: Session) -> None:
        s.exec(update(Approval).values(created_at=datetime.now(UTC) - timedelta(hours=30)))  # type: ignore[call-overload]

    await h.ctx.db(old_request)
    digest = await ask(h, "digest")
    lines = [line for line in digest.splitlines() if f"wholesale:{W}" in line]
    assert len(lines) >= 3, digest  # an open error, past its date, the approval waiting
    assert all(f"{WHOLESALE_LABEL} · `wholesale:{W}`" in line for line in lines), lines


async def test_the_cancel_card_and_its_result_name_the_order(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    card = shown(h, message(h, approval.message_ts))
    assert f"cancel order {WHOLESALE_LABEL} · `wholesale:{W}`" in card, card
    again = await ask(h, f"cancel wholesale:{W}", user="U_BOB")
    assert f"Cancelling {WHOLESALE_LABEL} · `wholesale:{W}` was already asked for" in again, again
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value, done.error
    await h.fake.wait_for(lambda: "Orange is cancelling" in shown(h, message(h, approval.message_ts)), timeout=10)
    assert f"Orange is cancelling {WHOLESALE_LABEL} · `wholesale:{W}`" in shown(h, message(h, approval.message_ts))
    assert len(approvals_in_db(h)) == 1


async def test_the_paused_watch_dm_names_the_order(harness: Harness) -> None:
    h = harness
    w = await watch(h, f"wholesale:{W}")
    h.fake.inject("chat.postMessage", error="channel_not_found", count=1)
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await cycle(h)
    assert (await reload(h, w)).paused_at is not None
    dms = [c for c in h.fake.calls_to("chat.postMessage") if str(c.params.get("channel", "")).startswith("D")]
    assert len(dms) == 1, dms
    text = str(dms[0].params["text"])
    assert f"your watch of {WHOLESALE_LABEL} · `wholesale:{W}`" in text, text


async def test_an_order_placed_from_a_quote_is_named_on_the_card(harness: Harness, monkeypatch: MonkeyPatch) -> None:
    h = harness
    monkeypatch.setattr(policy, "now", lambda: START)  # the sandbox's quotes are valid 7 days from START
    view = quote_view_from_carrier(await fresh_quote(h.ctx.orange, bandwidth=20))
    card = {"type": "message", "ts": "", "blocks": [b.to_dict() for b in quote_blocks(view, now=START)]}
    await order_quote(h, message=card)
    await h.fake.wait_for(lambda: bool(approvals_in_db(h)) and bool(approvals_in_db(h)[-1].message_ts), timeout=10)
    approval = approvals_in_db(h)[-1]
    await h.user.click(ACTION_APPROVE, user="U_BOB", message=message(h, approval.message_ts))
    done = await wait_state(h, [ApprovalState.SUBMITTED.value, ApprovalState.FAILED.value])
    assert done.state == ApprovalState.SUBMITTED.value and done.result is not None, done.error
    await h.fake.wait_for(lambda: "placed" in shown(h, message(h, approval.message_ts)), timeout=10)
    text = shown(h, message(h, approval.message_ts))
    # the order's externalId is the buyer's own reference, given in the modal
    assert f"Order {BUYER_REFERENCE}" in text and f"`carrier:{done.result['order_id']}` placed" in text, text
