"""What the Socket Mode server records: each connection the app opened, each envelope, its deliveries and acks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

from bot.simulator.params import JSONDict

__all__ = ["Ack", "Connection", "Delivery", "DisconnectReason", "Envelope", "EnvelopeType"]

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
DisconnectReason = Literal["warning", "refresh_requested", "link_disabled"]


@dataclass
class Ack:
    """One ack the app sent, as the server heard it."""

    envelope_id: str
    payload: JSONDict | None
    connection: int
    latency: float
    """Seconds from sending the envelope to hearing its ack."""
    in_time: bool
    """Within `ack_timeout`: Slack takes it; a later one is too late."""


@dataclass
class Delivery:
    """One attempt at an envelope: the first, or a retry."""

    envelope_id: str
    retry_attempt: int
    connection: int | None
    """The connection it went to; None when none was open."""
    sent: float
    acks: list[Ack] = field(default_factory=list)


@dataclass
class Envelope:
    """What Slack had to deliver, with every attempt at it."""

    type: EnvelopeType
    payload: JSONDict
    accepts_response_payload: bool
    deliveries: list[Delivery] = field(default_factory=list)
    given_up: bool = False
    """No ack in time and no attempt left: Slack stopped (a command's user sees an error)."""

    @property
    def envelope_id(self) -> str:
        """The first attempt's id (a retry has its own)."""
        return self.deliveries[0].envelope_id

    @property
    def acks(self) -> list[Ack]:
        return [ack for delivery in self.deliveries for ack in delivery.acks]

    @property
    def acked(self) -> bool:
        return any(ack.in_time for ack in self.acks)


@dataclass
class Connection:
    """One websocket the app opened, as the server saw it."""

    id: int
    ticket: str
    opened: float
    sent: list[JSONDict] = field(default_factory=list)
    """Every message the server sent on it: hello, envelopes, disconnect."""
    received: list[JSONDict] = field(default_factory=list)
    """Every JSON message the server heard from the app on it (acks)."""
    pings: int = 0
    """The app's pings the server answered."""
    pongs: int = 0
    """The app's answers to the server's pings."""
    lost: int = 0
    """Frames the app sent while the socket was silent."""
    silent: bool = False
    closed: float | None = None
    closed_by: Literal["server", "app"] | None = None
    ws: web.WebSocketResponse | None = field(default=None, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed is None
