"""Approvals whose answer was lost, or whose owner died, settled by looking the order up; cards redrawn."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.context import BotContext
from bot.i18n import _
from integrations import (
    APIError,
)
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalState
from storage.models import Approval

from . import policy
from .cards import refresh_card
from .carrier import CallOutcome, Placed, Refused, Unknown, conclude, held, look_up
from .kinds import kind_of

log = logging.getLogger("bot.approvals")


async def reconcile(ctx: BotContext, client: AsyncWebClient, *, at: datetime | None = None) -> dict[str, str]:
    """Settle approvals whose check is due, by asking Orange, never by sending again; {approval id: new state}.

    Due: an ambiguous answer's look-up time has come, or the owner's lease ran out (it died mid-call). Each is
    claimed by compare-and-set first, so replicas look each up once. Found → submitted (and watched); nothing
    found within `policy.SETTLE` of the call → looked for again later; after it → failed, with Retry. Then cards left
    behind their rows are redrawn, but not one Slack asked us to leave alone for now (`card_redraw_at`).
    """
    at = at or utcnow()
    due = await ctx.read(lambda s: crud.list_due_approval_checks(session=s, now=at))
    settled: dict[str, str] = {}
    for approval in due:
        owner = policy.claim_owner()

        def take(session: Session, a: Approval = approval) -> Approval | None:
            if not crud.take_approval(
                session=session, approval_id=a.id, owner=owner, now=at, lease_until=at + policy.LEASE
            ):
                return None
            return crud.get_approval(session=session, approval_id=a.id)

        taken = await ctx.db(take)
        if taken is None:
            continue  # another replica has it
        async with held(ctx, taken, owner):
            outcome = await _check(ctx, taken, at)
        state = await conclude(ctx, client, taken, owner, outcome, actor="orange-bot")
        if state != ApprovalState.SUBMITTING.value:
            settled[str(taken.id)] = state
    stale = await ctx.read(lambda s: crud.list_stale_cards(session=s, updated_before=at - policy.STALE_CARD, now=at))
    for approval in stale:
        await refresh_card(ctx, client, approval, now=at)
    return settled


async def _check(ctx: BotContext, approval: Approval, at: datetime) -> CallOutcome:
    try:
        found = await look_up(ctx, approval)
    except APIError as err:
        log.warning("approval %s: Orange did not answer the look-up (%s); trying later", approval.id, err)
        return Unknown(approval.error or str(err))
    if found is not None:
        return Placed(found)
    called = approval.called_at or approval.updated_at
    if at - called < policy.SETTLE:
        return Unknown(approval.error or _("the call's answer was lost"), checked=True)
    minutes = int((at - called).total_seconds() // 60)
    return Refused(kind_of(approval).not_found(approval, minutes))
