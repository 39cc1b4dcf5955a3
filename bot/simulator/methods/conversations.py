"""conversations.info, conversations.members, conversations.open, conversations.history and conversations.replies."""

from __future__ import annotations

import base64
import copy

from bot.simulator.ids import short_id
from bot.simulator.messages import without_channel
from bot.simulator.params import JSONDict, SlackApiFailure, truthy
from bot.simulator.team import BOT_USER_ID, Channel
from bot.simulator.workspace import Workspace


async def info(ws: Workspace, params: JSONDict) -> JSONDict:
    """A private channel the bot is not in does not exist for it: `channel_not_found`, as Slack answers."""
    channel = ws._channel(params.get("channel"))
    if channel.is_private and not channel.is_member and not (channel.is_im or channel.is_mpim):
        raise SlackApiFailure("channel_not_found")
    return {"ok": True, "channel": channel.to_dict()}


async def open_conversation(ws: Workspace, params: JSONDict) -> JSONDict:
    if params.get("channel"):  # resume a DM or group DM; channels are conversations.create's business
        channel = ws._channel(params["channel"])
        if not (channel.is_im or channel.is_mpim):
            raise SlackApiFailure("method_not_supported_for_channel_type")
        return {"ok": True, "channel": channel.to_dict()}
    users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
    if not users:
        raise SlackApiFailure("users_list_not_supplied")
    for user in users:
        if ws._user(user).deleted:  # Slack: "A specified `user` has been disabled."
            raise SlackApiFailure("user_disabled")
    if len(users) > 1:
        mpim_id = "G" + short_id(",".join(sorted(users)), 9).upper()
        channel = ws.channels.setdefault(
            mpim_id, Channel(mpim_id, "mpdm-" + "--".join(users), is_private=True, is_mpim=True)
        )
        return {"ok": True, "channel": {"id": channel.id}}
    dm = ws._open_dm(users[0])
    body: JSONDict = {"ok": True, "channel": {"id": dm.id}}
    if truthy(params.get("return_im")):
        body["channel"] = dm.to_dict()
    return body


def _readable_channel(ws: Workspace, params: JSONDict) -> Channel:
    channel = ws._channel(params.get("channel"))
    if not channel.is_member and not channel.is_im:  # a bot token reads only where the bot is a member
        raise SlackApiFailure("not_in_channel")
    return channel


MAX_HISTORY_LIMIT = 999
"""conversations.history pages hold at most this many messages, whatever `limit` asks."""


def _shown(message: JSONDict, params: JSONDict) -> JSONDict:
    """A message as a read method answers it: its metadata only when `include_all_metadata` asks for it."""
    if truthy(params.get("include_all_metadata")):
        return message
    return {k: v for k, v in message.items() if k != "metadata"}


async def history(ws: Workspace, params: JSONDict) -> JSONDict:
    """Newest first, `oldest`/`latest` exclusive unless `inclusive`, paged by an opaque `cursor`."""
    channel = _readable_channel(ws, params)
    messages = [_shown(without_channel(m), params) for m in reversed(ws.channel_messages(channel.id))]
    oldest, latest = params.get("oldest"), params.get("latest")
    inclusive = truthy(params.get("inclusive"))
    if oldest:
        messages = [m for m in messages if float(m["ts"]) > float(oldest) or (inclusive and m["ts"] == oldest)]
    if latest:
        messages = [m for m in messages if float(m["ts"]) < float(latest) or (inclusive and m["ts"] == latest)]
    limit = min(int(params.get("limit") or 100), MAX_HISTORY_LIMIT)
    cursor = str(params.get("cursor") or "")
    if cursor:
        try:
            before = base64.b64decode(cursor.encode()).decode().removeprefix("next_ts:")
            float(before)
        except ValueError:
            raise SlackApiFailure("invalid_cursor") from None
        messages = [m for m in messages if float(m["ts"]) < float(before)]
    page, more = messages[:limit], len(messages) > limit
    body: JSONDict = {"ok": True, "messages": page, "has_more": more}
    if more:
        body["response_metadata"] = {"next_cursor": base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode()}
    return body


async def replies(ws: Workspace, params: JSONDict) -> JSONDict:
    channel = _readable_channel(ws, params)
    root = ws._messages.get((channel.id, str(params.get("ts", ""))))
    if root is None:
        raise SlackApiFailure("thread_not_found")
    thread = [without_channel(m) for m in ws.thread(channel.id, root["ts"])]
    return {"ok": True, "messages": [_shown(m, params) for m in [copy.deepcopy(root), *thread]], "has_more": False}


async def members(ws: Workspace, params: JSONDict) -> JSONDict:
    """Member ids, paged by an opaque cursor (`limit` at most 1,000, like Slack); a private channel the bot is not in
    is `channel_not_found`, as for any private conversation it cannot see."""
    channel = ws._channel(params.get("channel"))
    if channel.is_private and not channel.is_member:
        raise SlackApiFailure("channel_not_found")
    everyone = sorted(channel.members) if channel.members is not None else sorted(ws.users)
    ids = [u for u in everyone if u != BOT_USER_ID] + ([BOT_USER_ID] if channel.is_member else [])
    try:
        limit = min(max(int(params.get("limit") or 100), 1), 1000)
        start = int(str(params.get("cursor") or "0").removeprefix("off:"))
    except ValueError as err:
        raise SlackApiFailure("invalid_cursor") from err
    page = ids[start : start + limit]
    following = f"off:{start + limit}" if start + limit < len(ids) else ""
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}
