"""The approval's Slack card, always drawn from its current row, and the words for a click on a decided one."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.approvals import (
    ApprovalCard,
    Outcome,
    approval_decided_blocks,
    approval_request_blocks,
)
from bot.blocks.format import TermTotal, code, fallback_text, link, mention, posted_date, state_text, when
from bot.context import BotContext
from bot.i18n import _, n_, speaking
from bot.slack import permalink, retry_after
from integrations.states import OrderState
from integrations.views import PriceView
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState
from storage.models import Approval

from . import policy
from .kinds import kind_of

log = logging.getLogger("bot.approvals")


async def load(ctx: BotContext, approval_id: uuid.UUID) -> Approval | None:
    return await ctx.db(lambda s: crud.get_approval(session=s, approval_id=approval_id))


def load_amount(raw: object) -> tuple[Decimal, str] | None:
    """`{"amount": "91250", "currency": "EUR"}` from a payload, or None."""
    if not isinstance(raw, dict) or not raw.get("currency"):
        return None
    try:
        return Decimal(str(raw.get("amount"))), str(raw["currency"])
    except InvalidOperation:
        return None


def dump_amount(amount: tuple[Decimal, str] | None) -> dict[str, str] | None:
    return {"amount": str(amount[0]), "currency": amount[1]} if amount is not None else None


def term_payload(total: TermTotal | None) -> dict[str, Any]:
    """The total over the term as an approval's payload keeps it (`term_total`, `term_months`); {} without one."""
    if total is None:
        return {}
    months = {"term_months": str(total.months)} if total.months is not None else {}
    return {"term_total": dump_prices(total.prices), **months}


def card_of(approval: Approval) -> ApprovalCard:
    kind = kind_of(approval)
    payload = kind.payload(approval.payload)
    who = policy.Deciders.load(payload.approvers)
    return ApprovalCard(
        approval_id=str(approval.id),
        kind=kind.kind,
        requester_id=approval.requester_id,
        summary=tuple(payload.summary),
        reference=payload.reference,
        label=payload.label,
        approvers=who.mentions() if who is not None and not who.anyone else None,
        needed=policy.needed_of(approval),
        approved_by=tuple(payload.approved_by),
        first_year=load_amount(payload.first_year),
        limit=load_amount(payload.limit),
        **kind.card_fields(approval),
    )


def dump_prices(prices: Sequence[PriceView]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in prices]


def result_text(approval: Approval) -> str | None:
    result = approval.result or {}
    if result.get("order"):
        return _("order {order} placed", order=result["order"])
    if result.get("cancel_id") or result.get("order_state"):
        return _("Orange is cancelling the order")
    return None


def decided_text(approval: Approval) -> str:
    """What a click on a request already decided is told: who decided it, when, and where it stands."""
    who = mention(approval.decided_by) if approval.decided_by else _("someone")
    at = when(approval.decided_at) if approval.decided_at else _("earlier")
    if approval.state == ApprovalState.REJECTED.value:
        return _("This request was already rejected by {approver} ({when}).", approver=who, when=at)
    if approval.state == ApprovalState.EXPIRED.value:
        return _("This request expired without a decision ({when}); nothing was changed.", when=at)
    if policy.answer_lost(approval):
        return _(
            "This request was already approved by {approver} ({when}); Orange's answer was lost, and I am checking "
            "whether Orange has it.",
            approver=who,
            when=at,
        )
    if approval.state == ApprovalState.SUBMITTING.value:
        return _(
            "This request was already approved by {approver} ({when}); it is being sent to Orange.",
            approver=who,
            when=at,
        )
    if approval.state == ApprovalState.SUBMITTED.value:
        return _(
            "This request was already approved by {approver} ({when}); {result}.",
            approver=who,
            when=at,
            result=result_text(approval) or _("Orange has it"),
        )
    if approval.state == ApprovalState.FAILED.value:
        return _(
            "This request was already approved by {approver} ({when}); it failed: {error}.",
            approver=who,
            when=at,
            error=approval.error or _("unknown error"),
        )
    return _("This request was already approved by {approver} ({when}).", approver=who, when=at)


def expired_text(approval: Approval) -> str:
    """`Expired after 7 days without a decision`: how long it waited, in days from two days, else hours, else
    minutes (so `36h` reads 36 hours, not 1 day)."""
    waited = (approval.decided_at or approval.updated_at) - approval.created_at
    days, hours = waited // timedelta(days=1), waited // timedelta(hours=1)
    if days >= 2:
        return n_("Expired after {n} day without a decision", "Expired after {n} days without a decision", days)
    if hours >= 2:
        return n_("Expired after {n} hour without a decision", "Expired after {n} hours without a decision", hours)
    minutes = max(1, waited // timedelta(minutes=1))
    return n_("Expired after {n} minute without a decision", "Expired after {n} minutes without a decision", minutes)


FINAL_STATE = "final_state"
FINAL_AT = "final_at"
"""Keys of an approval's `result` the poll sets (`bot.notify.owe.Owed.final`): the final state its order reached, and
when."""
THREAD_TS = "thread_ts"
"""A key of an approval's `result`: the order's thread, when it is not the card's own."""


def _final_note(approval: Approval) -> str | None:
    """`🚫 Cancelled on <date>`, `Order `carrier:31`: ✅ Completed on <date>` (mrkdwn), once the order is final."""
    result = approval.result or {}
    raw = result.get(FINAL_STATE)
    if not raw:
        return None
    try:
        state = OrderState(str(raw))
    except ValueError:
        state = OrderState.unknown
    at = datetime.fromisoformat(str(result[FINAL_AT])) if result.get(FINAL_AT) else approval.updated_at
    shown = state_text(state, str(raw))
    if result.get("order"):
        return _(
            "Order {order}: {state} on {date}", order=code(str(result["order"])), state=shown, date=posted_date(at)
        )
    return _("{state} on {date}", state=shown, date=posted_date(at))


def card_blocks(approval: Approval, *, thread_link: str | None = None) -> list[Block]:
    """The approval's Slack card for its current state; `thread_link`: the order's thread, when it is elsewhere."""
    card = card_of(approval)
    if approval.state == ApprovalState.PENDING.value:
        return approval_request_blocks(card)
    outcome: Outcome
    text: str | None
    notes: list[str] = []
    if approval.state == ApprovalState.REJECTED.value:
        outcome, text = "rejected", None
    elif approval.state == ApprovalState.EXPIRED.value:
        outcome, text = "expired", expired_text(approval)
    elif approval.state == ApprovalState.SUBMITTED.value:
        outcome, text = "submitted", str((approval.result or {}).get("text") or result_text(approval) or "")
        final = _final_note(approval)
        if final is not None:
            text = None  # what Orange said when it took the order is no longer true: the final state replaces it
            notes.append(final)
        if thread_link is not None:
            notes.append(_("The order is watched in {thread}.", thread=link(thread_link, _("its thread"))))
    elif approval.state == ApprovalState.FAILED.value:
        outcome = "failed"
        text = _("{error}. An approver can retry.", error=approval.error or _("The call failed"))
    elif policy.answer_lost(approval):
        outcome = "approved"
        text = _(
            "Orange's answer was lost ({error}). Orange may have it: I am checking before saying more, and will not "
            "send it twice.",
            error=approval.error,
        )
    else:
        retrying = bool((approval.payload or {}).get("retry_of"))
        outcome, text = "approved", _("Retrying: sending to Orange…") if retrying else _("Sending to Orange…")
    return approval_decided_blocks(
        card,
        decided_by=approval.decided_by or "orange-bot",
        decided_at=approval.decided_at or approval.updated_at,
        outcome=outcome,
        result_text=text,
        notes=notes,
    )


async def thread_link(client: AsyncWebClient, approval: Approval) -> str | None:
    """The permalink of the order's thread when it is not the card itself (the order was watched there already)."""
    thread = (approval.result or {}).get(THREAD_TS)
    if approval.state != ApprovalState.SUBMITTED.value or not thread or thread == approval.message_ts:
        return None
    return await permalink(client, approval.channel_id, str(thread))


def approval_note_text(facts: Mapping[str, Any], card: str | None) -> str:
    """The reply in the order's thread: who approved, who asked, and the card (`card`: its link, None in the card's
    own thread), in the language spoken."""
    approver, requester = mention(str(facts["approver"])), mention(str(facts["requester"]))
    order = code(str(facts["reference"]))
    shown = link(card, _("the approval card")) if card else None
    if facts.get("kind") == ApprovalKind.CANCEL_ORDER.value:
        if shown:
            return _(
                ":white_check_mark: Cancelling {order} was approved by {approver}, asked by {requester} ({card}).",
                order=order,
                approver=approver,
                requester=requester,
                card=shown,
            )
        return _(
            ":white_check_mark: Cancelling {order} was approved by {approver}, asked by {requester}.",
            order=order,
            approver=approver,
            requester=requester,
        )
    if shown:
        return _(
            ":white_check_mark: Order {order} was approved by {approver}, asked by {requester} ({card}).",
            order=order,
            approver=approver,
            requester=requester,
            card=shown,
        )
    return _(
        ":white_check_mark: Order {order} was approved by {approver}, asked by {requester}.",
        order=order,
        approver=approver,
        requester=requester,
    )


async def approval_note(client: AsyncWebClient, facts: Mapping[str, Any], *, thread_ts: str | None) -> str:
    """`approval_note_text`, the card linked unless this thread is the card's own."""
    card_ts = str(facts.get("card_ts") or "")
    card = None
    if card_ts and card_ts != thread_ts:
        card = await permalink(client, str(facts["card_channel"]), card_ts)
    return approval_note_text(facts, card)


async def redraw(ctx: BotContext, client: AsyncWebClient, approval_id: uuid.UUID) -> None:
    """The card of `approval_id` drawn again from its row (which the poll moved to the order's final state)."""
    approval = await load(ctx, approval_id)
    if approval is not None:
        await refresh_card(ctx, client, approval)


async def refresh_card(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, *, now: datetime | None = None
) -> None:
    """Draw the card of `approval`'s message from the newest row it shows, again if that row moved meanwhile.

    A slow update that lands after a later one is overwritten by the later caller's re-check, so the card ends
    on the current state; an update Slack refused is left to `reconcile` (the row's `shown_version` lags). A 429
    holds the card (`card_redraw_at`, Slack's `Retry-After` capped at `policy.MAX_CARD_HOLD`): nobody updates it
    before then, and `reconcile` redraws it after.
    """
    channel, ts = approval.channel_id, approval.message_ts
    if not ts:
        return
    at = now or utcnow()

    def latest(session: Session) -> tuple[Approval | None, datetime | None]:
        current = crud.latest_approval_for_message(session=session, channel_id=channel, message_ts=ts)
        return current, crud.card_held_until(session=session, channel_id=channel, message_ts=ts)

    for _attempt in range(3):
        current, held_until = await ctx.db(latest)
        if current is None:
            return
        if held_until is not None and held_until > at:
            log.info("the card of approval %s waits for Slack until %s (redrawn then)", current.id, held_until)
            return
        thread = await thread_link(client, current)
        with speaking(await ctx.channel_language(current.team_id, channel)):  # a channel post, whoever clicked
            blocks = card_blocks(current, thread_link=thread)
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            error = err.response.get("error") if isinstance(err, SlackApiError) else type(err).__name__
            wait = retry_after(err) if isinstance(err, SlackApiError) else None
            if wait is not None:
                until = at + min(timedelta(seconds=wait), policy.MAX_CARD_HOLD)
                await ctx.db(lambda s, a=current: crud.hold_card(session=s, approval_id=a.id, until=until))  # type: ignore[misc]
                log.warning("Slack asked to wait %.0f s before updating the card of approval %s", wait, current.id)
                return
            log.warning("could not update the card of approval %s: %s (redrawn later)", current.id, error)
            return
        await ctx.db(lambda s, a=current: crud.mark_card_shown(session=s, approval_id=a.id, version=a.version))  # type: ignore[misc]
        again, _held = await ctx.db(latest)
        if again is None or (again.id == current.id and again.version == current.version):
            return
