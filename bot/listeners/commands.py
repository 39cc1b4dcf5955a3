"""`/orange`: ack at once, parse, answer through `response_url` (ephemeral, with "Share in channel")."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import approvals
from bot.commands import Cancel, CommandError, QuoteNew, Unwatch, Watch, Watches, parse
from bot.context import BotContext
from bot.listeners._reply import payload, where_from_command
from bot.queries import Reply, answer, render_error
from bot.watching import Where, list_watches, start_watch, stop_watch

__all__ = ["handle_text", "register"]

log = logging.getLogger("bot.commands")

OOPS = "Something went wrong on our side while answering; nothing was changed. Try again in a moment."


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.command(ctx.settings.slack_command)
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        text = str(command.get("text") or "")
        where = where_from_command(command)
        try:
            reply = await handle_text(ctx, client, where, text, trigger_id=command.get("trigger_id"))
        except Exception:
            log.exception("the %s command failed", ctx.settings.slack_command)
            reply = Reply(text=OOPS, shareable=False)
        await respond(**payload(reply, command_text=text))


async def handle_text(
    ctx: BotContext, client: AsyncWebClient, where: Where, text: str, *, trigger_id: str | None = None
) -> Reply:
    """Everything `/orange <text>` can do, as one reply for the person who typed it."""
    command = ctx.settings.slack_command
    try:
        cmd = parse(text, default_backend=ctx.default_backend, enabled=ctx.enabled)
    except CommandError as err:
        return render_error(err, verb=err.verb, command=command, enabled=ctx.enabled)
    if isinstance(cmd, Watch):
        return await start_watch(ctx, client, where, cmd.reference, errors_only=cmd.errors_only)
    if isinstance(cmd, Unwatch):
        return await stop_watch(ctx, client, where, cmd.reference)
    if isinstance(cmd, Watches):
        return await list_watches(ctx, client, where)
    if isinstance(cmd, QuoteNew):
        return await approvals.open_quote_modal(ctx, client, where, trigger_id)
    if isinstance(cmd, Cancel):
        return await approvals.request_cancel(ctx, client, where, cmd)
    tz = await ctx.users.tz(client, where.user_id)
    return await answer(ctx, cmd, command_text=text, tz=tz)
