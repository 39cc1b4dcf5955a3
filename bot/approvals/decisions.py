"""Approve, Reject, Retry: the click that wins the claim calls Orange right after it, nothing slow in between."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.context import BotContext
from bot.i18n import _
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalState, AuditAction
from storage.models import Approval

from . import policy
from .cards import decided_text, load, refresh_card
from .carrier import audit, call, conclude, held, operation

log = logging.getLogger("bot.approvals")


Action = Literal["approve", "reject", "retry"]


@dataclass(frozen=True)
class Click:
    action: Action
    approval_id: str
    user_id: str
    delivery_key: str | None = None
    """Set for clicks: a redelivery of the same click finds it and stops."""


async def handle_click(ctx: BotContext, client: AsyncWebClient, click: Click) -> str | None:
    """Approve, Reject or Retry; the text for the clicker (ephemeral), or None when the message says it all."""
    try:
        approval_id = uuid.UUID(click.approval_id)
    except ValueError:
        return _("That button is out of date.")
    if click.delivery_key is not None:
        key = click.delivery_key[:255]
        if not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=key)):
            return None  # the same click delivered again: the first delivery answers
    approval = await load(ctx, approval_id)
    if approval is None:
        return _("That approval request no longer exists.")
    wanted = ApprovalState.FAILED.value if click.action == "retry" else ApprovalState.PENDING.value
    if approval.state != wanted:
        return decided_text(approval)
    needed = policy.needed_of(approval)
    refused = await policy.refusal(ctx, client, approval, click.user_id, needed=needed)
    if refused is not None:
        return refused
    if click.action == "reject":
        return await _reject(ctx, client, approval, click.user_id)
    if click.action == "approve" and needed > 1:
        return await _approve_of(ctx, client, approval, click.user_id, needed=needed)
    if click.action == "approve":
        return await _approve(ctx, client, approval, click.user_id)
    return await _retry(ctx, client, approval, click.user_id)


async def _lost(ctx: BotContext, approval_id: uuid.UUID) -> str:
    current = await load(ctx, approval_id)
    return decided_text(current) if current is not None else _("That approval request no longer exists.")


async def _reject(ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str) -> str | None:
    def work(session: Session) -> Approval | None:
        # A first approver of two moves the version without deciding: reject at the version the row has now.
        current = crud.get_approval(session=session, approval_id=approval.id)
        if current is None or current.state != ApprovalState.PENDING.value:
            return None
        moved = crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state=current.state,
            expected_version=current.version,
            new_state=ApprovalState.REJECTED.value,
            decided_by=user_id,
            decided_at=utcnow(),
        )
        if not moved:
            return None
        audit(session, approval, user_id, AuditAction.APPROVAL_REJECTED)
        return crud.get_approval(session=session, approval_id=approval.id)

    moved = await ctx.db(work)
    if moved is None:
        return await _lost(ctx, approval.id)
    await refresh_card(ctx, client, moved)
    return None


def _claim(
    session: Session, approval: Approval, *, owner: str, user_id: str, retry_of: Approval | None = None
) -> Approval | None:
    """pending → submitting for `owner`, audited as approved and called, in one transaction; None: lost the race."""
    at = utcnow()
    if not crud.claim_approval(
        session=session,
        approval_id=approval.id,
        expected_version=approval.version,
        owner=owner,
        lease_until=at + policy.LEASE,
        now=at,
        decided_by=user_id,
        decided_at=at,
    ):
        return None
    claimed = crud.get_approval(session=session, approval_id=approval.id)
    assert claimed is not None
    extra = {"retry_of": str(retry_of.id)} if retry_of is not None else {}
    audit(session, claimed, user_id, AuditAction.APPROVAL_APPROVED, **extra)
    audit(session, claimed, user_id, AuditAction.CARRIER_CALL, operation=operation(claimed), **extra)
    return claimed


async def _approve(ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str) -> str | None:
    owner = policy.claim_owner()
    claimed = await ctx.db(lambda s: _claim(s, approval, owner=owner, user_id=user_id))
    if claimed is None:
        return await _lost(ctx, approval.id)
    async with held(ctx, claimed, owner):
        outcome = await call(ctx, claimed)  # right after the claim: nothing slow in between
    await conclude(ctx, client, claimed, owner, outcome, actor=user_id)
    return None


async def _approve_of(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str, *, needed: int
) -> str | None:
    """One of `needed` different approvers: recorded (the card shows "1 of 2"); the one completing the count claims
    the approval in the same transaction and calls Orange, like a single approver's click (`_approve`)."""
    owner = policy.claim_owner()

    def work(session: Session) -> tuple[crud.Approvers | None, Approval | None]:
        at = utcnow()
        got = crud.record_approver(session=session, approval_id=approval.id, user_id=user_id, now=at)
        if got is None or got.again:
            return got, None
        current = got.approval
        current.payload = {**(current.payload or {}), "approved_by": list(got.approved_by)}
        session.add(current)
        session.flush()
        if len(got.approved_by) < needed:
            audit(session, current, user_id, AuditAction.APPROVAL_APPROVED, approvals=len(got.approved_by), of=needed)
            return got, None
        return got, _claim(session, current, owner=owner, user_id=user_id)

    got, claimed = await ctx.db(work)
    if got is None:
        return await _lost(ctx, approval.id)
    if got.again:
        return _("You already approved this request; another approver has to approve it too.")
    if claimed is None:
        await refresh_card(ctx, client, got.approval)
        return _(
            "Your approval is recorded ({count} of {needed}); another approver has to approve it too.",
            count=len(got.approved_by),
            needed=needed,
        )
    async with held(ctx, claimed, owner):
        outcome = await call(ctx, claimed)  # right after the claim: nothing slow in between
    await conclude(ctx, client, claimed, owner, outcome, actor=user_id)
    return None


async def _retry(ctx: BotContext, client: AsyncWebClient, failed: Approval, user_id: str) -> str | None:
    """A failed approval stays failed (crud allows no way back); the retry is a new approval row, linked to it.

    It sends the failed one's `external_id` and looks the order up before any POST: an order the first attempt
    placed after all (indexed later than `policy.SETTLE`) is adopted, not placed twice. `uq_approval_live` lets one
    retry in however many clicks race, and none while another request for the target is live.
    """
    payload = {**(failed.payload or {}), "retry_of": str(failed.id)}
    owner = policy.claim_owner()

    def open_and_claim(session: Session) -> tuple[Approval, Approval | None]:
        fresh, created = crud.open_approval(
            session=session,
            kind=failed.kind,
            team_id=failed.team_id,
            channel_id=failed.channel_id,
            requester_id=failed.requester_id,
            backend=failed.backend,
            target_id=failed.target_id,
            payload=payload,
            message_ts=failed.message_ts,
            external_id=failed.external_id,
        )
        if not created:
            return fresh, None
        return fresh, _claim(session, fresh, owner=owner, user_id=user_id, retry_of=failed)

    live, claimed = await ctx.db(open_and_claim)
    if claimed is None:
        if (live.payload or {}).get("retry_of") == str(failed.id):
            return _("This request is already being retried.")
        return decided_text(live)
    async with held(ctx, claimed, owner):
        outcome = await call(ctx, claimed, look_first=True)
    await conclude(ctx, client, claimed, owner, outcome, actor=user_id)
    return None
