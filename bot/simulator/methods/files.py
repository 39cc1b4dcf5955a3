"""files.getUploadURLExternal and files.completeUploadExternal: Slack's file upload flow (bot/simulator/files.py).

Refused like Slack: a missing filename or length (`invalid_arguments`), a length of 0 (`missing_argument`), alt
text over 1,000 characters (`alt_txt_too_large`); completing a file whose bytes never arrived or that was already
completed (`file_not_found`), sharing into a channel the bot is not a member of (`not_in_channel`, public channels
included: there is no chat:write.public for files), an archived one (`is_archived`), or a thread that is not there
(`thread_not_found`). Slack answers the completion with each file's id and title only; the share appears as a
message carrying `files`. `upload_endpoint` is the upload URL, `download_endpoint` a shared file's url_private.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.simulator.files import UPLOAD_TTL, StoredFile
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


def _multipart_file(body: bytes, content_type: str) -> bytes | None:
    """The first file part of a multipart/form-data body (curl's ``-F file=@x``, ``-F filename=@x``)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    parts = [p for p in message.iter_parts() if p.get_content_disposition() == "form-data"]
    chosen = next((p for p in parts if p.get_filename() is not None), parts[0] if parts else None)
    if chosen is None:
        return None
    payload = chosen.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else None


async def upload_endpoint(ws: Workspace, request: Request) -> Response:
    """``POST /upload/v1/<token>``: take the bytes of an announced file, once, within `UPLOAD_TTL`."""
    stored = ws._uploads_by_token.get(request.path_params["token"])
    if stored is None or stored.completed or ws.clock() - stored.issued > UPLOAD_TTL:
        return PlainTextResponse("upload url not found or expired", status_code=404)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        data = _multipart_file(body, content_type)
        if data is None:
            return PlainTextResponse("no file in the multipart body", status_code=400)
    else:
        data = body
    if len(data) != stored.length:
        return PlainTextResponse(f"length mismatch: announced {stored.length}, got {len(data)}", status_code=400)
    stored.content = data
    return PlainTextResponse(f"OK - {len(data)}")


async def download_endpoint(ws: Workspace, request: Request) -> Response:
    """``GET /files-pri/<id>/<name>``: a completed file's bytes, for a bearer of the bot token (Slack's url_private)."""
    auth = request.headers.get("authorization", "")
    stored = ws.files.get(request.path_params["file_id"])
    if auth != f"Bearer {ws.bot_token}":
        return PlainTextResponse("not authed", status_code=403)
    if stored is None or not stored.completed or stored.content is None:
        return PlainTextResponse("file not found", status_code=404)
    return Response(stored.content, media_type=stored.mimetype)
