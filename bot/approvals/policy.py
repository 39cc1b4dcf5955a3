"""How long things may take, and who may decide: the rules every part of an approval shares.

Tests move the clock of quote validity (`now`) and shorten the leases here (`policy.LEASE`).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.format import escape, mention
from bot.context import BotContext
from bot.i18n import _
from bot.settings import Settings
from bot.usergroups import GroupsUnavailable, is_group_id
from integrations.states import OrderState
from integrations.views import PriceView
from storage import crud
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


PERIODS_PER_YEAR: dict[str, int] = {
    "day": 365,
    "daily": 365,
    "week": 52,
    "weekly": 52,
    "month": 12,
    "monthly": 12,
    "quarter": 4,
    "quarterly": 4,
    "year": 1,
    "yearly": 1,
    "annual": 1,
}
"""How many times a recurring charge of each period is paid in a year (Orange's `recurringChargePeriod` words)."""


def first_year(one_off: Sequence[PriceView], recurring: Sequence[PriceView]) -> tuple[Decimal, str] | None:
    """One-off + recurring × periods in a year, in their one currency; None when it cannot be told (no price,
    prices in several currencies, or a period `PERIODS_PER_YEAR` does not know)."""
    total, currencies = Decimal(0), set()
    for price in one_off:
        total += price.amount
        currencies.add(price.currency.upper())
    for price in recurring:
        times = PERIODS_PER_YEAR.get((price.period or "").strip().lower().removesuffix("s"))
        if times is None:
            return None
        total += price.amount * times
        currencies.add(price.currency.upper())
    if len(currencies) != 1 or not total.is_finite():
        return None
    return total, currencies.pop()


def approvers_needed(settings: Settings, amount: tuple[Decimal, str] | None) -> int:
    """2 when `APPROVAL_TWO_PEOPLE_ABOVE` is set and the first-year amount is above it, or unknown, or in another
    currency (not comparable: the safe side); else 1."""
    limit = settings.two_people_above
    if limit is None:
        return 1
    if amount is None or amount[1] != limit[1]:
        return 2
    return 2 if amount[0] > limit[0] else 1


@dataclass(frozen=True)
class Deciders:
    """Who may decide a channel's approvals: a user group, some users, both (either may), or anyone (neither)."""

    group: str | None = None
    """The group's id (`S…`); its handle when Slack could not resolve it (nobody then passes)."""
    users: tuple[str, ...] = ()

    @property
    def anyone(self) -> bool:
        return self.group is None and not self.users

    def mentions(self) -> str:
        """`<!subteam^S1>, <@U1>` (mrkdwn)."""
        named = (
            [f"<!subteam^{escape(self.group)}>" if is_group_id(self.group) else escape(self.group)]
            if self.group
            else []
        )
        return ", ".join(named + [mention(u) for u in self.users])

    def dump(self) -> dict[str, Any]:
        return {"group": self.group, "users": list(self.users)}

    @classmethod
    def load(cls, raw: object) -> Deciders | None:
        if not isinstance(raw, dict):
            return None
        group = raw.get("group")
        return cls(str(group) if group else None, tuple(str(u) for u in raw.get("users") or ()))


async def deciders(ctx: BotContext, client: AsyncWebClient, team_id: str, channel_id: str) -> Deciders:
    """The channel's `approvers=` group, else `APPROVER_GROUP` with `APPROVER_USER_IDS`. GroupsUnavailable when a
    group handle cannot be resolved."""
    row = await ctx.read(lambda s: crud.get_channel_settings(session=s, team_id=team_id, channel_id=channel_id))
    if is_group_id(row.approvers):
        return Deciders(group=row.approvers)
    group = ctx.settings.approver_group
    group_id = await ctx.groups.resolve(client, group) if group and group.strip() else None
    return Deciders(group=group_id, users=tuple(ctx.settings.approver_user_ids))


async def may_decide(ctx: BotContext, client: AsyncWebClient, who: Deciders, user_id: str) -> bool:
    if who.anyone or user_id in who.users:
        return True
    return (
        bool(who.group)
        and is_group_id(who.group or "")
        and user_id in await ctx.groups.members(client, who.group or "")
    )


async def approvers_of(ctx: BotContext, client: AsyncWebClient, approval: Approval) -> list[str]:
    """The Slack user ids of who may decide `approval` (its channel's deciders: a group's members and the named
    users); empty: anyone but the requester may, or the group cannot be read now (the reminder then goes to the
    requester)."""
    try:
        who = await deciders(ctx, client, approval.team_id, approval.channel_id)
        members = await ctx.groups.members(client, who.group) if who.group and is_group_id(who.group) else []
    except GroupsUnavailable as err:
        log.warning("the approver group could not be read for a reminder: %s", err.error)
        return list(ctx.settings.approver_user_ids)
    return list(dict.fromkeys([*members, *who.users]))


async def refusal(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str, *, needed: int = 1
) -> str | None:
    """Why `user_id` may not decide `approval`, or None when they may (the one rule): one of the channel's deciders
    (`deciders`), and not its requester (never when two people are needed)."""
    try:
        who = await deciders(ctx, client, approval.team_id, approval.channel_id)
        allowed = await may_decide(ctx, client, who, user_id)
    except GroupsUnavailable as err:
        log.warning("the approver group could not be read: %s", err.error)
        return _(
            "The approvers' user group cannot be read (Slack answered {error}); nothing was changed.", error=err.error
        )
    if not allowed:
        return _(
            "Only the approvers ({approvers}) can decide this request; nothing was changed.", approvers=who.mentions()
        )
    if user_id == approval.requester_id and (needed > 1 or not ctx.settings.allow_self_approval):
        return _("You asked for this yourself: another approver has to decide it. Nothing was changed.")
    return None


def needed_of(approval: Approval) -> int:
    """How many different approvers the approval needs (decided when it was asked for)."""
    needed = (approval.payload or {}).get("needed")
    return needed if isinstance(needed, int) and needed > 1 else 1
