"""files.getUploadURLExternal and files.completeUploadExternal: Slack's file upload flow (bot/simulator/files.py).

Refused like Slack: a missing filename or length (`invalid_arguments`), a length of 0 (`missing_argument`), alt
text over 1,000 characters (`alt_txt_too_large`); completing a file whose bytes never arrived or that was already
completed (`file_not_found`), sharing into a channel the bot is not a member of (`not_in_channel`, public channels
included: there is no chat:write.public for files), an archived one (`is_archived`), or a thread that is not there
(`thread_not_found`). Slack answers the completion with each file's id and title only; the share appears as a
message carrying `files`.
"""

from __future__ import annotations

import copy
import secrets

from bot.simulator.files import StoredFile
from bot.simulator.limits import MAX_MESSAGE_TEXT
from bot.simulator.messages import new_message
from bot.simulator.params import JSONDict, SlackApiFailure, json_field
from bot.simulator.records import SimEvent
from bot.simulator.team import BOT_USER_ID, Channel
from bot.simulator.workspace import Workspace

MAX_ALT_TXT = 1000


def _length(value: object) -> int:
    if isinstance(value, bool) or value is None:
        raise SlackApiFailure("invalid_arguments")
    try:
        length = int(str(value))
    except ValueError:
        raise SlackApiFailure("invalid_arguments") from None
    if length <= 0:
        raise SlackApiFailure("missing_argument")
    return length


async def get_upload_url(ws: Workspace, params: JSONDict) -> JSONDict:
    filename = params.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        raise SlackApiFailure("invalid_arguments")
    length = _length(params.get("length"))
    alt_txt = params.get("alt_txt")
    if alt_txt is not None and len(str(alt_txt)) > MAX_ALT_TXT:
        raise SlackApiFailure("alt_txt_too_large")
    file_id = f"F{next(ws._ids):010d}"
    token = secrets.token_urlsafe(16)
    stored = StoredFile(
        id=file_id,
        name=filename,
        length=length,
        token=token,
        issued=ws.clock(),
        alt_txt=None if alt_txt is None else str(alt_txt),
        snippet_type=None if params.get("snippet_type") is None else str(params["snippet_type"]),
    )
    ws.files[file_id] = stored
    ws._uploads_by_token[token] = stored
    return {"ok": True, "upload_url": f"{ws.base_url}/upload/v1/{token}", "file_id": file_id}


def _files_arg(ws: Workspace, params: JSONDict) -> list[tuple[StoredFile, str | None]]:
    items = json_field(params, "files", error="invalid_arguments")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise SlackApiFailure("invalid_arguments")
    out: list[tuple[StoredFile, str | None]] = []
    for item in items:
        stored = ws.files.get(str(item.get("id", "")))
        if stored is None or stored.content is None or stored.completed:
            raise SlackApiFailure("file_not_found")
        title = item.get("title")
        out.append((stored, None if title in (None, "") else str(title)))
    if len({s.id for s, _ in out}) != len(out):
        raise SlackApiFailure("invalid_arguments")
    return out


def _share_target(ws: Workspace, channel_id: object) -> Channel:
    channel = ws._channel(channel_id)
    if channel.is_archived:
        raise SlackApiFailure("is_archived")
    if not channel.is_member and not channel.is_im:
        raise SlackApiFailure("not_in_channel")
    return channel


async def complete_upload(ws: Workspace, params: JSONDict) -> JSONDict:
    files = _files_arg(ws, params)
    targets = [str(params["channel_id"])] if params.get("channel_id") else []
    if not targets and params.get("channels"):
        targets = [c.strip() for c in str(params["channels"]).split(",") if c.strip()]
    thread_ts = params.get("thread_ts") or None
    if thread_ts is not None and len(targets) != 1:  # "make sure to provide only one channel when using thread_ts"
        raise SlackApiFailure("invalid_arguments")
    comment = params.get("initial_comment")
    if comment is not None and len(str(comment)) > MAX_MESSAGE_TEXT:
        raise SlackApiFailure("msg_too_long")
    channels = [_share_target(ws, t) for t in targets]
    roots = [ws._thread_root(c.id, thread_ts) for c in channels]  # every check before anything is shared
    for stored, title in files:
        stored.completed = True
        stored.title = title or stored.name
        del ws._uploads_by_token[stored.token]
    for channel, root in zip(channels, roots, strict=True):
        ts = ws._next_ts()
        msg = new_message(ts=ts, text=None if comment is None else str(comment), blocks=None, params={})
        msg |= {"files": [s.to_dict(ws.base_url) for s, _ in files], "upload": True, "display_as_bot": False}
        if root is not None:
            msg |= {"thread_ts": root["ts"], "parent_user_id": root.get("user", BOT_USER_ID)}
            root["thread_ts"] = root["ts"]
            root["reply_count"] = root.get("reply_count", 0) + 1
            root["latest_reply"] = ts
            root["reply_users"] = sorted({*root.get("reply_users", []), BOT_USER_ID})
        ws._messages[(channel.id, ts)] = msg
        ws._order.append((channel.id, ts))
        for stored, _ in files:
            stored.shares.append((channel.id, ts))
        ws._emit(SimEvent("message", channel=channel.id, ts=ts, message={**copy.deepcopy(msg), "channel": channel.id}))
    return {"ok": True, "files": [{"id": s.id, "title": s.title} for s, _ in files]}
