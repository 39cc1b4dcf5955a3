"""Who reads decides the language: every request is answered in its user's Slack locale.

The requesting user's locale (`users.info` with `include_locale`, cached with their time zone: `UserDirectory`) is
set as `bot.i18n`'s language for the whole request (`speak`): the listener, and every task it or bolt starts for
it (bolt's ack task, `asyncio.create_task`, `BotContext.db`/`read` threads), since each copies the context it is
created in. So private answers, ephemeral replies, modals, App Home and DMs to that user speak their language;
a channel post says `with speaking(channel language)` around its own words.

    register(app, ctx)            # right after the trust middleware
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.context import BotContext
from bot.i18n import speak

__all__ = ["LOCALE_TIMEOUT", "register", "requesting_user"]

log = logging.getLogger("bot.language")

LOCALE_TIMEOUT = 1.0
"""At most this long (before the ack) for a user's first `users.info`; then English, and the next request asks."""


def requesting_user(body: Mapping[str, Any]) -> str | None:
    """The user a request is answered to: who typed the command, clicked, submitted, or opened App Home."""
    if isinstance(body.get("user_id"), str) and body.get("command"):
        return str(body["user_id"])
    user = body.get("user")
    if isinstance(user, Mapping) and isinstance(user.get("id"), str):
        return str(user["id"])
    event = body.get("event")
    if isinstance(event, Mapping) and event.get("type") == "app_home_opened" and isinstance(event.get("user"), str):
        return str(event["user"])
    return None


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.middleware
    async def in_the_readers_language(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        user_id = requesting_user(body)
        locale: str | None = None
        if user_id:
            try:
                locale = await asyncio.wait_for(ctx.users.locale(context.client, user_id), LOCALE_TIMEOUT)
            except TimeoutError:
                log.info("users.info did not answer within %s s: this request is answered in English", LOCALE_TIMEOUT)
        # Set, not a `with` block: bolt calls the listener after every middleware has returned, in this context (or
        # in tasks copying it). Each request runs in a context of its own (its HTTP task; `create_web_app`).
        speak(locale)
        await next()
