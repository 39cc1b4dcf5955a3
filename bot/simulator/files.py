"""Files uploaded with Slack's external upload flow, and the upload URL that receives their bytes.

    ticket = await client.files_getUploadURLExternal(filename="report.png", length=len(png))
    # POST the bytes (raw or multipart) to ticket["upload_url"]: 200 "OK - <length>"
    await client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Report"}], channel_id="C1")
    fake.file(ticket["file_id"]).content == png       # what the bot uploaded, byte for byte

The upload URL is served by the simulator itself (``POST /upload/v1/<token>``), so it is reachable wherever the
Web API is. Like Slack, it refuses an unknown, spent or expired URL (404) and a body whose size differs from the
``length`` announced (400); an accepted upload is private until files.completeUploadExternal shares it. The
shared file is readable at its ``url_private`` with the bot token (``GET /files-pri/<file id>/<name>``), as in
Slack. The Web API methods are bot/simulator/methods/files.py.
"""

from __future__ import annotations

import email.parser
import email.policy
import mimetypes
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.simulator.params import JSONDict

if TYPE_CHECKING:
    from bot.simulator.workspace import Workspace

__all__ = ["UPLOAD_TTL", "StoredFile", "download_endpoint", "upload_endpoint"]

UPLOAD_TTL = 600.0
"""Seconds an upload URL accepts the bytes (Slack does not document its lifetime; ten minutes is generous for a
client that uploads at once, which is all the bot does)."""


@dataclass
class StoredFile:
    """One file from files.getUploadURLExternal on: announced, then uploaded, then completed (shared or not)."""

    id: str
    name: str
    length: int
    token: str
    issued: float
    """The simulator's clock when the upload URL was handed out."""
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    """The bytes POSTed to the upload URL (None until then)."""
    title: str | None = None
    completed: bool = False
    shares: list[tuple[str, str]] = field(default_factory=list)
    """(channel, message ts) of each message that shared it."""

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def to_dict(self, base_url: str) -> JSONDict:
        """The file object as a message's ``files`` carries it (the fields the bot or a reader would use)."""
        data: JSONDict = {
            "id": self.id,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "filetype": self.name.rpartition(".")[2].lower() if "." in self.name else "binary",
            "size": self.length,
            "url_private": f"{base_url}/files-pri/{self.id}/{self.name}",
            "is_external": False,
        }
        if self.alt_txt:
            data["alt_txt"] = self.alt_txt
        return data


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
