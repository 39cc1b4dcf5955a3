"""Files uploaded with Slack's external upload flow, and the upload URL that receives their bytes.

    ticket = await client.files_getUploadURLExternal(filename="report.png", length=len(png))
    # POST the bytes (raw or multipart) to ticket["upload_url"]: 200 "OK - <length>"
    await client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Report"}], channel_id="C1")
    fake.file(ticket["file_id"]).content == png       # what the bot uploaded, byte for byte

The upload URL is served by the simulator itself (``POST /upload/v1/<token>``), so it is reachable wherever the
Web API is. Like Slack, it refuses an unknown, spent or expired URL (404) and a body whose size differs from the
``length`` announced (400); an accepted upload is private until files.completeUploadExternal shares it. The
shared file is readable at its ``url_private`` with the bot token (``GET /files-pri/<file id>/<name>``), as in
Slack. The Web API methods and both URLs are served by bot/simulator/methods/files.py.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field

from bot.simulator.params import JSONDict

__all__ = ["UPLOAD_TTL", "StoredFile"]

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
