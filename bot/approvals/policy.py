"""How long things may take, and who may decide: the rules every part of an approval shares.

Tests move the clock of quote validity (`now`) and shorten the leases here (`policy.LEASE`).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.format import mention
from bot.context import BotContext
from bot.i18n import _
from bot.settings import Settings
from integrations.states import OrderState
from storage.columns import utcnow
from storage.enums import ApprovalState
from storage.models import Approval

log = logging.getLogger("bot.approvals")


CANCELLING = frozenset({OrderState.assessing_cancellation, OrderState.pending_cancellation, OrderState.cancelled})


LEASE = timedelta(seconds=60)
"""How long a claim on a submitting approval lasts without a heartbeat (its owner renews it every third)."""


FIRST_CHECK = timedelta(seconds=10)
"""After an ambiguous answer, the first look-up waits this long: Orange indexes a new order late."""


MAX_CHECK_GAP = timedelta(minutes=5)


SETTLE = timedelta(minutes=15)
"""How long after the call "not found" still means "not indexed yet"; then the approval fails, with Retry."""


STALE_CARD = timedelta(seconds=30)
"""A card behind its row for this long is redrawn by `reconcile` (its update failed or was lost)."""


MAX_CARD_HOLD = timedelta(minutes=10)
"""The longest Slack's `Retry-After` on a card update keeps the card from being redrawn (a sane cap on its word)."""


REMIND_EVERY = timedelta(days=1)
"""After the first reminder (`APPROVAL_REMIND_AFTER` after the request), a pending approval's approvers are reminded
this often until it is decided or expires (`APPROVAL_EXPIRES_AFTER`)."""


def now() -> datetime:
    """The time quote validity is judged at (tests move it)."""
    return utcnow()


def claim_owner() -> str:
    """One claim's token: which process, and which claim in it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def check_gap(checks: int) -> timedelta:
    return min(FIRST_CHECK * (1 << min(checks, 10)), MAX_CHECK_GAP)


def answer_lost(approval: Approval) -> bool:
    """Submitting with no owner: Orange's answer was lost and the order is being looked for."""
    return approval.state == ApprovalState.SUBMITTING.value and approval.lease_owner is None


async def approvers_of(ctx: BotContext, client: AsyncWebClient, approval: Approval) -> list[str]:
    """The Slack user ids of who may decide `approval`, as configured; empty: anyone but the requester may.

    The one place reminders learn the approvers from (today `APPROVER_USER_IDS`; a user group's members read with
    `client` belong here too).
    """
    return list(ctx.settings.approver_user_ids)


def refusal(settings: Settings, requester_id: str, user_id: str) -> str | None:
    """Why `user_id` may not decide a request `requester_id` made, or None when they may (the one rule)."""
    approvers = settings.approver_user_ids
    if approvers and user_id not in approvers:
        names = ", ".join(mention(a) for a in approvers)
        return _("Only the approvers ({approvers}) can decide this request; nothing was changed.", approvers=names)
    if user_id == requester_id and not settings.allow_self_approval:
        return _("You asked for this yourself: another approver has to decide it. Nothing was changed.")
    return None
