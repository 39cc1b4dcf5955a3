"""Pending approvals nobody decides: their approvers reminded by DM, then the request expired.

    run = await remind_and_expire(ctx, client)          # the approvals job's step, at `ctx.now()`

`APPROVAL_REMIND_AFTER` after the request its approvers (`policy.approvers_of`; nobody configured: the requester,
told that nobody has decided) get a DM in their own language linking to the card, then every `policy.REMIND_EVERY`;
`APPROVAL_EXPIRES_AFTER` after it, a request still pending expires: terminal, audited, its card redrawn without
buttons, a late click refused.

Each reminder and each expiry is claimed by compare-and-set before anything is sent (`crud.claim_reminder`,
`crud.transition_approval`), so however many replicas run the job at once, one sends it. A replica dying between the
claim and the DMs loses that reminder (the next comes a day later); none is sent twice. Expiries go first, and a DM
Slack refuses is logged and skipped: no DM holds an expiry back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.approvals import approval_what
from bot.blocks.format import link, mention, when
from bot.context import BotContext
from bot.i18n import _, speaking
from bot.slack import permalink, send_dm
from storage import crud
from storage.enums import ApprovalState, AuditAction
from storage.models import Approval

from . import policy
from .cards import card_of, refresh_card
from .carrier import audit

__all__ = ["RemindersRun", "remind_and_expire"]

log = logging.getLogger("bot.approvals")

ACTOR = "orange-bot"


@dataclass
class RemindersRun:
    """What one run did: approvals expired and reminded (ids), and the DMs Slack took."""

    expired: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    dms: int = 0


async def remind_and_expire(ctx: BotContext, client: AsyncWebClient, *, at: datetime | None = None) -> RemindersRun:
    """Expire the pending approvals whose time ran out, then remind the approvers of those whose reminder is due."""
    at = at or ctx.now()
    run = RemindersRun()
    await _expire_due(ctx, client, at, run)
    await _remind_due(ctx, client, at, run)
    return run


async def _expire_due(ctx: BotContext, client: AsyncWebClient, at: datetime, run: RemindersRun) -> None:
    after = ctx.settings.approval_expires_after
    if after is None:
        return
    due = await ctx.read(lambda s: crud.list_due_expiries(session=s, created_before=at - after))
    for approval in due:

        def expire(session: Session, a: Approval = approval) -> Approval | None:
            if not crud.transition_approval(
                session=session,
                approval_id=a.id,
                expected_state=ApprovalState.PENDING.value,
                expected_version=a.version,
                new_state=ApprovalState.EXPIRED.value,
                decided_at=at,
            ):
                return None  # decided meanwhile, or another replica expired it
            audit(session, a, ACTOR, AuditAction.APPROVAL_EXPIRED, after_seconds=int(after.total_seconds()))
            return crud.get_approval(session=session, approval_id=a.id)

        expired = await ctx.db(expire)
        if expired is None:
            continue
        run.expired.append(str(expired.id))
        log.info("approval %s expired: nobody decided within %s", expired.id, after)
        await refresh_card(ctx, client, expired, now=at)  # a card Slack refuses now is redrawn by `reconcile`


async def _remind_due(ctx: BotContext, client: AsyncWebClient, at: datetime, run: RemindersRun) -> None:
    after = ctx.settings.approval_remind_after
    if after is None:
        return
    first_before = at - after
    due = await ctx.read(lambda s: crud.list_due_reminders(session=s, now=at, first_before=first_before))
    for approval in due:
        claimed = await ctx.db(
            lambda s, a=approval: crud.claim_reminder(  # type: ignore[misc]
                session=s, approval_id=a.id, now=at, first_before=first_before, next_at=at + policy.REMIND_EVERY
            )
        )
        if not claimed:
            continue  # another replica reminds, or it was decided meanwhile
        run.reminded.append(str(approval.id))
        run.dms += await _remind(ctx, client, approval)


async def _remind(ctx: BotContext, client: AsyncWebClient, approval: Approval) -> int:
    """DM each approver (or the requester, when nobody else may decide) about `approval`; how many DMs Slack took."""
    approvers = await policy.approvers_of(ctx, client, approval)
    others = [u for u in dict.fromkeys(approvers) if u != approval.requester_id or ctx.settings.allow_self_approval]
    url = await permalink(client, approval.channel_id, approval.message_ts)
    sent = 0
    for user_id in others or [approval.requester_id]:
        try:
            locale = await ctx.users.locale(client, user_id)
            tz = await ctx.users.tz(client, user_id)
            with speaking(locale):
                text = _words(approval, url, asked=when(approval.created_at, tz, token=True), to_approver=bool(others))
                text = text if others else text + " " + _nobody(bool(approvers), ctx.settings.allow_self_approval)
            sent += await send_dm(client, user_id, text=text, about=f"to remind of approval {approval.id}")
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("could not remind %s of approval %s: %s", user_id, approval.id, type(err).__name__)
    return sent


def _words(approval: Approval, url: str | None, *, asked: str, to_approver: bool) -> str:
    card = card_of(approval)
    params = {
        "what": approval_what(card),
        "when": asked,
        "channel": f"<#{approval.channel_id}>",
        "request": link(url, _("the request")),
    }
    if to_approver:
        return _(
            ":alarm_clock: Reminder: {requester} asked {when} in {channel} to {what}, and nobody has decided yet. "
            "Approve or reject it on {request}.",
            requester=mention(approval.requester_id),
            **params,
        )
    return _(
        ":alarm_clock: Nobody has decided yet on your request to {what} (asked {when} in {channel}); "
        "{request} is still waiting.",
        **params,
    )


def _nobody(configured: bool, self_approval: bool) -> str:
    if self_approval:  # then the only approver configured is the requester: nobody else is
        return _("You may decide it yourself, or ask a colleague.")
    if configured:
        return _("The only approver configured is you, and you may not decide your own request: ask an admin.")
    return _("No approvers are configured: any member of the channel but you may decide it, so ask a colleague.")
