"""The approval's Slack card, always drawn from its current row, and the words for a click on a decided one."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
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
from bot.blocks.format import fallback_text, mention, when
from bot.context import BotContext
from bot.i18n import _, n_, speaking
from bot.slack import retry_after
from integrations.views import PriceView
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState
from storage.models import Approval

from . import policy

log = logging.getLogger("bot.approvals")


async def load(ctx: BotContext, approval_id: uuid.UUID) -> Approval | None:
    return await ctx.db(lambda s: crud.get_approval(session=s, approval_id=approval_id))


def _prices(raw: object) -> tuple[PriceView, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(PriceView.model_validate(p) for p in raw)


def card_of(approval: Approval) -> ApprovalCard:
    payload = approval.payload or {}
    summary = payload.get("summary")
    reason = payload.get("reason")
    reference = payload.get("reference")
    label = payload.get("label")
    return ApprovalCard(
        approval_id=str(approval.id),
        kind=ApprovalKind(approval.kind),
        requester_id=approval.requester_id,
        summary=tuple(str(s) for s in summary) if isinstance(summary, list) else (),
        one_off=_prices(payload.get("one_off")),
        recurring=_prices(payload.get("recurring")),
        reason=str(reason) if reason else None,
        reference=str(reference) if reference else None,
        label=str(label) if label else None,
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


def card_blocks(approval: Approval) -> list[Block]:
    """The approval's Slack card for its current state."""
    card = card_of(approval)
    if approval.state == ApprovalState.PENDING.value:
        return approval_request_blocks(card)
    outcome: Outcome
    text: str | None
    if approval.state == ApprovalState.REJECTED.value:
        outcome, text = "rejected", None
    elif approval.state == ApprovalState.EXPIRED.value:
        outcome, text = "expired", expired_text(approval)
    elif approval.state == ApprovalState.SUBMITTED.value:
        outcome, text = "submitted", str((approval.result or {}).get("text") or result_text(approval) or "")
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
    )


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
        with speaking(await ctx.channel_language(current.team_id, channel)):  # a channel post, whoever clicked
            blocks = card_blocks(current)
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
