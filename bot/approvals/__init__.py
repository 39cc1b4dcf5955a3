"""Approvals: quote → order and order cancellation behind Approve / Reject (CONTRACT §5). Being built (issue 6)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Cancel
from bot.context import BotContext
from bot.queries import Reply
from bot.watching import Where

__all__ = ["open_quote_modal", "request_cancel"]


async def open_quote_modal(ctx: BotContext, client: AsyncWebClient, where: Where, trigger_id: str | None) -> Reply:
    return Reply(text="`quote new` is not available in this version yet.", shareable=False)


async def request_cancel(ctx: BotContext, client: AsyncWebClient, where: Where, cmd: Cancel) -> Reply:
    return Reply(text="`cancel` is not available in this version yet.", shareable=False)
