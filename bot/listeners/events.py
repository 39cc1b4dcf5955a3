"""Events: App Home. A redelivered event (Slack retries after 3 s) is processed once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import policy
from bot.blocks.home import ApprovalRow, home_view
from bot.context import BotContext
from bot.notify.outbox import send_outbox
from bot.slack import permalink
from bot.watching import watch_rows
from storage import crud

__all__ = ["is_member", "on_member_joined", "publish_home", "register"]

log = logging.getLogger("bot.events")


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=f"event:{event_id}")):
            log.info("event %s was delivered again; already handled", event_id)
            # Answered 200 here: a middleware that neither calls next() nor answers makes bolt say 404, and in
            # Socket Mode an unacked envelope keeps coming back.
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.event("member_joined_channel")
    async def on_joined(
        event: dict[str, Any], body: dict[str, Any], context: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("user") != context.get("bot_user_id"):
            return  # someone else joined: nothing changes for the bot
        await on_member_joined(ctx, client, team_id=ctx.team_id, channel_id=str(event.get("channel") or ""))

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish_home(ctx, client, team_id=ctx.team_id, user_id=str(event.get("user") or ""))


async def on_member_joined(ctx: BotContext, client: AsyncWebClient, *, team_id: str, channel_id: str) -> int:
    """The bot is in the channel again: its paused watches resume, and what they owe goes out now, in order."""
    resumed = await ctx.db(lambda s: crud.resume_channel(session=s, team_id=team_id, channel_id=channel_id))
    if resumed:
        log.info("invited back in %s: %d paused watches resume", channel_id, len(resumed))
        await send_outbox(ctx, client)
    return len(resumed)


async def publish_home(ctx: BotContext, client: AsyncWebClient, *, team_id: str, user_id: str) -> None:
    watches = await ctx.read(lambda s: crud.list_user_watches(session=s, team_id=team_id, user_id=user_id))
    rows = await watch_rows(ctx, client, watches)
    approvals = await pending_approval_rows(ctx, client, team_id=team_id, user_id=user_id)
    view = home_view(rows, approvals, enabled_backends=ctx.enabled, command=ctx.settings.slack_command)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as err:
        log.warning("could not publish App Home for %s: %s", user_id, err.response.get("error"))


async def pending_approval_rows(
    ctx: BotContext, client: AsyncWebClient, *, team_id: str, user_id: str
) -> list[ApprovalRow]:
    """Pending approvals this user asked for or may decide (`policy.refusal`: the channel's group, else
    APPROVER_GROUP and APPROVER_USER_IDS; none: anyone but the requester), in the channels this user is a
    member of (a private channel's requests stay in it)."""
    rows: list[ApprovalRow] = []
    member: dict[str, bool] = {}
    for approval in await ctx.read(lambda s: crud.list_pending_approvals(session=s, team_id=team_id)):
        if approval.channel_id not in member:
            member[approval.channel_id] = await is_member(client, approval.channel_id, user_id)
        if not member[approval.channel_id]:
            continue
        may_decide = await policy.refusal(ctx, client, approval, user_id, needed=policy.needed_of(approval)) is None
        if approval.requester_id != user_id and not may_decide:
            continue
        payload = approval.payload or {}
        rows.append(
            ApprovalRow(
                approval_id=str(approval.id),
                kind=approval.kind,
                requester_id=approval.requester_id,
                summary="",
                reference=f"{approval.backend}:{approval.target_id}",
                label=str(payload["label"]) if payload.get("label") else None,
                permalink=await permalink(client, approval.channel_id, approval.message_ts),
                created_at=approval.created_at,
            )
        )
    return rows


async def is_member(client: AsyncWebClient, channel_id: str, user_id: str) -> bool:
    """Whether `user_id` is a member of the channel (`conversations.members`, paged); False when Slack won't say."""
    cursor: str | None = None
    try:
        while True:
            response = await client.conversations_members(channel=channel_id, limit=200, cursor=cursor)
            if user_id in (response.get("members") or []):
                return True
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
    except SlackApiError as err:
        log.info("members of %s unknown (%s): its approvals are not listed", channel_id, err.response.get("error"))
        return False
