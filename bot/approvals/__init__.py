"""Approvals: quote → order and order cancellation behind Approve / Reject."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Cancel, QuoteNew
from bot.context import BotContext
from bot.i18n import _
from bot.slack import Invocation, Reply, Where, handles

from .decisions import Click, handle_click
from .quote_modal import open_quote_modal
from .reconcile import reconcile
from .reminders import remind_and_expire
from .requests import request_cancel_order, request_quote_order

__all__ = [
    "Click",
    "handle_click",
    "open_quote_modal",
    "reconcile",
    "remind_and_expire",
    "request_cancel",
    "request_quote_order",
]


@handles(QuoteNew)
async def _quote_new(inv: Invocation, cmd: QuoteNew) -> Reply:
    return await open_quote_modal(inv.ctx, inv.client, inv.where, inv.trigger_id)


@handles(Cancel)
async def _cancel(inv: Invocation, cmd: Cancel) -> Reply:
    return await request_cancel(inv.ctx, inv.client, inv.where, cmd)


async def request_cancel(ctx: BotContext, client: AsyncWebClient, where: Where, cmd: Cancel) -> Reply:
    """`cancel wholesale:<id> [reason]`: an approval request in the channel (final orders are refused)."""
    if cmd.reference.backend != "wholesale":
        return Reply(
            text=_("Only wholesale orders can be cancelled from here (`cancel wholesale:<id>`)."), shareable=False
        )
    return await request_cancel_order(ctx, client, where, cmd.reference.id, cmd.reason)
