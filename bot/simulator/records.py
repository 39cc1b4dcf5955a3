"""What the fake records for tests and the demo: each request, each response_url post, each visible change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.simulator.params import JSONDict


@dataclass
class Call:
    """One request to the fake, in arrival order."""

    method: str
    params: JSONDict
    time: float
    status: int = 200
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")


@dataclass
class ResponsePost:
    token: str
    url: str
    body: JSONDict
    time: float
    effect: str
    """What Slack did: ephemeral, in_channel, replaced, deleted, or an error code."""
    ts: str | None = None


@dataclass
class SimEvent:
    """A visible change, for the demo's printer: kind is message, update, delete, ephemeral or view."""

    kind: Literal["message", "update", "delete", "ephemeral", "view", "view_closed", "home"]
    channel: str | None = None
    ts: str | None = None
    user: str | None = None
    message: JSONDict | None = None
    view: JSONDict | None = None
