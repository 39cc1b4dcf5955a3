"""`/orange`: ack at once, parse, answer through `response_url` (ephemeral, with "Share in channel")."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

import bot.approvals
import bot.channel_settings
import bot.digests
import bot.history.commands
import bot.queries
import bot.subscriptions
import bot.watching  # noqa: F401  # the features register their command handlers on import
from bot.commands import CommandError, parse
from bot.context import BotContext
from bot.i18n import _
from bot.listeners._reply import payload, where_from_command
from bot.slack import Invocation, Reply, Where, dispatch

__all__ = ["handle_text", "register"]

log = logging.getLogger("bot.commands")


def oops() -> str:
    return _("Something went wrong on our side while answering; nothing was changed. Try again in a moment.")


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.command(ctx.settings.slack_command)
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        text = str(command.get("text") or "")
        where = where_from_command(command, team_id=ctx.team_id)
        try:
            reply = await handle_text(ctx, client, where, text, trigger_id=command.get("trigger_id"))
        except Exception:
            log.exception("the %s command failed", ctx.settings.slack_command)
            reply = Reply(text=oops(), shareable=False)
        await respond(**payload(reply, command_text=text))


async def handle_text(
    ctx: BotContext, client: AsyncWebClient, where: Where, text: str, *, trigger_id: str | None = None
) -> Reply:
    """Everything `/orange <text>` can do, as one reply for the person who typed it."""
    inv = Invocation(ctx, client, where, text, trigger_id=trigger_id)
    try:
        cmd = parse(text, default_backend=ctx.default_backend, enabled=ctx.enabled)
    except CommandError as err:
        return inv.error(err, err.verb)
    return await dispatch(inv, cmd)
