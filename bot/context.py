"""What every listener and job shares in one process: settings, the Orange client, the database, Slack users."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.metrics import Metrics
from bot.settings import Settings
from integrations import OrangeClient
from storage.db import session_scope

__all__ = ["BotContext", "UserDirectory"]

T = TypeVar("T")


class UserDirectory:
    """Slack users' time zones, looked up once an hour at most (`users.info`)."""

    def __init__(self, *, ttl: float = 3600.0) -> None:
        self._ttl = ttl
        self._cache: dict[str, tuple[float, ZoneInfo | None]] = {}

    async def tz(self, client: AsyncWebClient, user_id: str) -> ZoneInfo | None:
        hit = self._cache.get(user_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        zone: ZoneInfo | None = None
        try:
            response = await client.users_info(user=user_id)
            name = (response.get("user") or {}).get("tz")
            if isinstance(name, str) and name:
                zone = ZoneInfo(name)
        except (SlackApiError, ZoneInfoNotFoundError, ValueError):
            zone = None  # UTC it is; the dates say so
        self._cache[user_id] = (now, zone)
        return zone


@dataclass
class BotContext:
    settings: Settings
    orange: OrangeClient
    engine: Engine
    users: UserDirectory = field(default_factory=UserDirectory)
    metrics: Metrics = field(default_factory=Metrics)
    scheduler_running: Callable[[], bool] = lambda: False

    @property
    def enabled(self) -> list[str]:
        return list(self.orange.enabled)

    @property
    def default_backend(self) -> str | None:
        return self.orange.default_backend

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run one unit of work in a session, off the event loop (SQLite and psycopg are blocking)."""

        def run() -> T:
            with session_scope(self.engine) as session:
                return work(session)

        return await asyncio.to_thread(run)
