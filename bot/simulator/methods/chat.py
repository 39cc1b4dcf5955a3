"""chat.postMessage, chat.update, chat.delete, chat.postEphemeral and chat.getPermalink."""

from __future__ import annotations

import copy
import time

from bot.simulator.messages import content, new_message
from bot.simulator.params import JSONDict, SlackApiFailure, truthy
from bot.simulator.records import SimEvent
from bot.simulator.team import BOT_ID, BOT_USER_ID, PERMALINK_HOST, Channel
from bot.simulator.workspace import Workspace


def _stored_message(ws: Workspace, params: JSONDict, ts_key: str) -> tuple[Channel, str, JSONDict]:
    channel = ws._channel(params.get("channel"))
    ts = str(params.get(ts_key, ""))
    msg = ws._messages.get((channel.id, ts))
    if msg is None:
        raise SlackApiFailure("message_not_found")
    return channel, ts, msg


async def post_message(ws: Workspace, params: JSONDict) -> JSONDict:
    channel = ws._writable_channel(params.get("channel"))
    root = ws._thread_root(channel.id, params.get("thread_ts"))
    ts = ws._next_ts()
    text, blocks = content(params, seed=f"{channel.id}/{ts}", require=True, action_id_scope=ws.action_id_scope)
    msg = new_message(ts=ts, text=text, blocks=blocks, params=params)
    if root is not None:
        msg |= {"thread_ts": root["ts"], "parent_user_id": root.get("user", BOT_USER_ID)}
        if truthy(params.get("reply_broadcast")):
            msg["subtype"] = "thread_broadcast"
        root["thread_ts"] = root["ts"]
        root["reply_count"] = root.get("reply_count", 0) + 1
        root["latest_reply"] = ts
        root["reply_users"] = sorted({*root.get("reply_users", []), BOT_USER_ID})
    ws._messages[(channel.id, ts)] = msg
    ws._order.append((channel.id, ts))
    stored = copy.deepcopy(msg)
    ws._emit(SimEvent("message", channel=channel.id, ts=ts, message={**stored, "channel": channel.id}))
    return {"ok": True, "channel": channel.id, "ts": ts, "message": stored}


async def update(ws: Workspace, params: JSONDict) -> JSONDict:
    channel, ts, msg = _stored_message(ws, params, "ts")
    if msg.get("bot_id") != BOT_ID:
        raise SlackApiFailure("cant_update_message")
    if channel.is_archived:
        raise SlackApiFailure("is_archived")
    seed = f"{channel.id}/{ts}/{next(ws._ids)}"
    text, blocks = content(params, seed=seed, require=False, action_id_scope=ws.action_id_scope)
    if text is None and blocks is None and "attachments" not in params:
        raise SlackApiFailure("no_text")
    if text is not None:
        msg["text"] = text
    if blocks is not None:  # absent blocks are kept, like Slack; [] removes them
        msg["blocks"] = blocks
    msg["edited"] = {"user": BOT_USER_ID, "ts": f"{time.time():.6f}"}
    stored = copy.deepcopy(msg)
    ws._emit(SimEvent("update", channel=channel.id, ts=ts, message={**stored, "channel": channel.id}))
    return {"ok": True, "channel": channel.id, "ts": ts, "text": msg["text"], "message": stored}


async def delete(ws: Workspace, params: JSONDict) -> JSONDict:
    channel = ws._channel(params.get("channel"))
    ts = str(params.get("ts", ""))
    if ws._messages.pop((channel.id, ts), None) is None:
        raise SlackApiFailure("message_not_found")
    ws._deleted.add((channel.id, ts))
    ws._emit(SimEvent("delete", channel=channel.id, ts=ts))
    return {"ok": True, "channel": channel.id, "ts": ts}


async def post_ephemeral(ws: Workspace, params: JSONDict) -> JSONDict:
    channel = ws._writable_channel(params.get("channel"))
    user = ws._user(params.get("user"))
    ts = ws._next_ts()
    text, blocks = content(params, seed=f"{channel.id}/{ts}", require=True, action_id_scope=ws.action_id_scope)
    msg = new_message(ts=ts, text=text, blocks=blocks, params=params)
    msg |= {"channel": channel.id, "recipient": user.id, "is_ephemeral": True}
    if params.get("thread_ts"):
        msg["thread_ts"] = str(params["thread_ts"])
    ws.ephemerals.setdefault(user.id, []).append(msg)
    ws._emit(SimEvent("ephemeral", channel=channel.id, ts=ts, user=user.id, message=copy.deepcopy(msg)))
    return {"ok": True, "message_ts": ts}


async def get_permalink(ws: Workspace, params: JSONDict) -> JSONDict:
    channel, ts, msg = _stored_message(ws, params, "message_ts")
    link = f"{PERMALINK_HOST}/archives/{channel.id}/p{ts.replace('.', '')}"
    if msg.get("thread_ts") not in (None, ts):
        link += f"?thread_ts={msg['thread_ts']}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}
