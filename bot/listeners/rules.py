"""Buttons of subscriptions and paused watches: watch the existing orders too, only new ones, unsubscribe, resume.

Ack first; each acts once whatever the clicks (the database decides), and answers the clicker ephemerally.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.format import fallback_text
from bot.blocks.subscriptions import (
    ACTION_SUBSCRIPTION_EXISTING,
    ACTION_SUBSCRIPTION_NEW_ONLY,
    ACTION_UNSUBSCRIBE,
    Choice,
    subscription_card,
)
from bot.blocks.watches import ACTION_RESUME_WATCH, ACTION_UNWATCH_PRODUCT
from bot.commands import parse_reference
from bot.context import BotContext
from bot.i18n import _, speaking
from bot.listeners._reply import where_from_action
from bot.notify.outbox import send_outbox
from bot.subscriptions import choose_existing, end_rule, row_of
from bot.watching import resume, stop_watch
from storage import crud
from storage.enums import WatchKind

__all__ = ["register"]

log = logging.getLogger("bot.listeners.rules")


def _value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(dict(actions[0]).get("value") or "")


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _redraw(
    ctx: BotContext, client: AsyncWebClient, body: dict[str, Any], rule_id: uuid.UUID, choice: Choice, user: str
) -> None:
    """The rule's card, once the channel chose (its buttons gone)."""
    rule = await ctx.read(lambda s: crud.get_subscription(session=s, subscription_id=rule_id))
    container = body.get("container") or {}
    if rule is None or not container.get("message_ts"):
        return
    row = await row_of(ctx, rule, matching=None)
    with speaking(await ctx.channel_language(rule.team_id, rule.channel_id)):  # a channel post, whoever chose
        blocks = subscription_card(row, choice=choice, chosen_by=user)
    try:
        await client.chat_update(
            channel=rule.channel_id,
            ts=str(container["message_ts"]),
            text=fallback_text(blocks),
            blocks=[b.to_dict() for b in blocks],
        )
    except SlackApiError as err:
        log.info("could not redraw the card of rule %s: %s", rule.number, err.response.get("error"))


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def say(respond: AsyncRespond, text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(ACTION_SUBSCRIPTION_EXISTING)
    async def on_existing(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        rule_id = _uuid(_value(body))
        if rule_id is None:
            return await say(respond, _("That button is out of date."))
        rule = await choose_existing(ctx, client, rule_id)
        if rule is None:
            return await say(respond, _("Someone chose already, or the rule has ended."))
        await _redraw(ctx, client, body, rule_id, "existing", where.user_id)
        await send_outbox(ctx, client)
        return None

    @app.action(ACTION_SUBSCRIPTION_NEW_ONLY)
    async def on_new_only(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        rule_id = _uuid(_value(body))
        if rule_id is not None:
            await _redraw(ctx, client, body, rule_id, "new_only", where_from_action(body, team_id=ctx.team_id).user_id)

    @app.action(ACTION_UNSUBSCRIBE)
    async def on_unsubscribe(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        rule_id = _uuid(_value(body))
        rule = await ctx.read(lambda s: crud.get_subscription(session=s, subscription_id=rule_id)) if rule_id else None
        if rule is None or rule.channel_id != where.channel_id:
            return await say(respond, _("That rule is no longer here."))
        done = await end_rule(ctx, rule, reason=f"unsubscribed by {where.user_id}", actor=where.user_id)
        return await say(respond, done.text)

    @app.action(ACTION_RESUME_WATCH)
    async def on_resume(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        watch_id = _uuid(_value(body))
        if watch_id is None:
            return await say(respond, _("That button is out of date."))
        text = await resume(ctx, where_from_action(body, team_id=ctx.team_id), watch_id)
        await send_outbox(ctx, client)
        return await say(respond, text)

    @app.action(ACTION_UNWATCH_PRODUCT)
    async def on_unwatch_product(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        try:
            reference = parse_reference(_value(body), default_backend=ctx.default_backend, enabled=ctx.enabled)
        except ValueError:
            return await say(respond, _("That button is out of date."))
        stopped = await stop_watch(
            ctx, client, where_from_action(body, team_id=ctx.team_id), reference, kind=WatchKind.PRODUCT
        )
        return await say(respond, stopped.text)
