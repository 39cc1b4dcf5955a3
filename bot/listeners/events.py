"""Events: App Home. A redelivered event (Slack retries after 3 s) is processed once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view
from bot.context import BotContext
from bot.watching import watch_rows
from storage import crud

__all__ = ["publish_home", "register"]

log = logging.getLogger("bot.events")


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=f"event:{event_id}")):
            log.info("event %s was delivered again; already handled", event_id)
            return None  # bolt acknowledges it; nothing runs twice
        await next()
        return None

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(ctx, client, team_id=str(body.get("team_id") or ""), user_id=str(event.get("user") or ""))


async def publish_home(ctx: BotContext, client: AsyncWebClient, *, team_id: str, user_id: str) -> None:
    watches = await ctx.db(lambda s: crud.list_user_watches(session=s, team_id=team_id, user_id=user_id))
    rows = await watch_rows(ctx, client, watches)
    view = home_view(rows, [], enabled_backends=ctx.enabled)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as err:
        log.warning("could not publish App Home for %s: %s", user_id, err.response.get("error"))
