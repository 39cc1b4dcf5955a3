"""Buttons: Share in channel, Next / Previous, Unwatch. A double click does nothing twice."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import ACTION_PAGE_NEXT, ACTION_PAGE_PREV, ACTION_SHARE
from bot.commands import CommandError, parse, parse_reference
from bot.context import BotContext
from bot.i18n import _
from bot.listeners._reply import payload, where_from_action
from bot.slack import CHANNEL_ERRORS, Invocation, cannot_post_text, dispatch
from bot.watching import stop_watch
from storage import crud

__all__ = ["register"]

log = logging.getLogger("bot.actions")

ACTION_UNWATCH = "unwatch"


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


def register(app: AsyncApp, ctx: BotContext) -> None:
    command = ctx.settings.slack_command

    @app.action(ACTION_SHARE)
    async def on_share(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        text = str(_action(body).get("value") or "")
        container = body.get("container") or {}
        key = f"share:{where.channel_id}:{container.get('message_ts')}:{where.user_id}:{text}"
        if not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=key[:255])):
            return  # a double click: the first one shares
        inv = Invocation(ctx, client, where, text, shared=True)
        try:
            cmd = parse(text, default_backend=ctx.default_backend, enabled=ctx.enabled)
        except CommandError as err:
            await respond(**payload(inv.error(err, err.verb), command_text=None), replace_original=False)
            return
        reply = await dispatch(inv, cmd)
        blocks = [
            *reply.blocks,
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _(
                            "Shared by <@{user}> · `{command} {text}`", user=where.user_id, command=command, text=text
                        ),
                    }
                ],
            },
        ]
        try:
            await client.chat_postMessage(channel=where.channel_id, text=reply.text, blocks=blocks, unfurl_links=False)
        except SlackApiError as err:
            error = str(err.response.get("error", ""))
            message = (
                cannot_post_text(error, command=command)
                if error in CHANNEL_ERRORS
                else _("Slack refused to post it ({error}); try again in a moment.", error=error)
            )
            await respond(text=message, response_type="ephemeral", replace_original=False)

    async def on_page(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        try:
            value = json.loads(str(_action(body).get("value") or "{}"))
            text, offset = str(value["c"]), int(value["o"])
        except (ValueError, KeyError, TypeError):
            await respond(text=_("That button is out of date; run the command again."), replace_original=False)
            return
        inv = Invocation(ctx, client, where, text, offset=offset)
        try:
            cmd = parse(text, default_backend=ctx.default_backend, enabled=ctx.enabled)
        except CommandError as err:
            reply = inv.error(err, err.verb)
        else:
            reply = await dispatch(inv, cmd)
        await respond(**payload(reply, command_text=text), replace_original=True)

    app.action(ACTION_PAGE_NEXT)(on_page)
    app.action(ACTION_PAGE_PREV)(on_page)

    @app.action(ACTION_UNWATCH)
    async def on_unwatch(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        try:
            reference = parse_reference(
                str(_action(body).get("value") or ""), default_backend=ctx.default_backend, enabled=ctx.enabled
            )
        except ValueError:
            await respond(text=_("That button is out of date."), response_type="ephemeral", replace_original=False)
            return
        stopped = await stop_watch(ctx, client, where, reference)
        await respond(text=stopped.text, response_type="ephemeral", replace_original=False)
