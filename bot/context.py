"""What every listener and job shares in one process: settings, the Orange client, the database, Slack users."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.i18n import Language, language_of
from bot.metrics import Metrics
from bot.notify.pace import ChannelPacer
from bot.settings import Settings
from bot.sites import SiteNames
from bot.usergroups import GroupDirectory
from integrations import OrangeClient
from storage import crud
from storage.columns import utcnow
from storage.db import run_unit

__all__ = ["BotContext", "HomeTeam", "UserDirectory"]

T = TypeVar("T")

# Units of work run in threads of their own, readers apart from writers: a writer waiting its turn for SQLite's lock
# (behind a poll batch) holds its thread, and must not hold up the reads, nor the loop's default executor (DNS).
_UNIT_THREADS = {
    write: ThreadPoolExecutor(thread_name_prefix="db-write" if write else "db-read") for write in (False, True)
}


class UserDirectory:
    """Slack users' time zones and locales, looked up together once an hour at most (`users.info` with
    `include_locale`)."""

    def __init__(self, *, ttl: float = 3600.0) -> None:
        self._ttl = ttl
        self._cache: dict[str, tuple[float, ZoneInfo | None, str | None]] = {}

    async def tz(self, client: AsyncWebClient, user_id: str) -> ZoneInfo | None:
        return (await self._lookup(client, user_id))[0]

    async def locale(self, client: AsyncWebClient, user_id: str) -> str | None:
        """The user's Slack locale (`fr-FR`, `en-US`…); None when Slack did not say (English it is)."""
        return (await self._lookup(client, user_id))[1]

    async def _lookup(self, client: AsyncWebClient, user_id: str) -> tuple[ZoneInfo | None, str | None]:
        hit = self._cache.get(user_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1], hit[2]
        zone: ZoneInfo | None = None
        locale: str | None = None
        try:
            response = await client.users_info(user=user_id, include_locale=True)
            user = response.get("user") or {}
            tag = user.get("locale")
            locale = tag if isinstance(tag, str) and tag else None
            name = user.get("tz")
            if isinstance(name, str) and name:
                zone = ZoneInfo(name)
        except (SlackApiError, ZoneInfoNotFoundError, ValueError):
            pass  # UTC and English it is; the dates say so
        self._cache[user_id] = (now, zone, locale)
        return zone, locale


class HomeTeam:
    """The Slack team (and enterprise) this bot is installed in, from `auth.test`: learnt at start, and by the first
    request if the start could not reach Slack. Stored rows are keyed by it, whoever asks."""

    def __init__(self, team_id: str | None = None, enterprise_id: str | None = None) -> None:
        self.team_id = team_id
        self.enterprise_id = enterprise_id
        self._lock = asyncio.Lock()

    @property
    def known(self) -> bool:
        return self.team_id is not None

    async def learn(self, client: AsyncWebClient) -> bool:
        """Ask `auth.test` once (concurrent callers wait for the one answer); False when Slack could not say."""
        async with self._lock:
            if self.team_id is not None:
                return True
            try:
                response = await client.auth_test()
            except Exception:  # Slack's error, or Slack unreachable: the next request asks again
                return False
            team = response.get("team_id")
            if not isinstance(team, str) or not team:
                return False
            enterprise = response.get("enterprise_id")
            self.enterprise_id = enterprise if isinstance(enterprise, str) and enterprise else None
            self.team_id = team
            return True


@dataclass
class BotContext:
    settings: Settings
    orange: OrangeClient
    engine: Engine
    users: UserDirectory = field(default_factory=UserDirectory)
    metrics: Metrics = field(default_factory=Metrics)
    scheduler_running: Callable[[], bool] = lambda: False
    home: HomeTeam = field(default_factory=HomeTeam)
    clock: Callable[[], datetime] = utcnow
    """The notifier's time (poll, outbox, digests, retention): tests hand in a clock and advance it."""
    sites: SiteNames = field(default_factory=SiteNames)
    """Carrier site names shown on order cards and labels, cached an hour."""
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    """Slack's pace per channel for the outbox's posts, shared by every round (`bot.notify.pace`)."""
    groups: GroupDirectory = field(default_factory=GroupDirectory)
    """Approver groups' members, cached `bot.usergroups.GROUP_TTL`."""

    def now(self) -> datetime:
        return self.clock()

    @property
    def team_id(self) -> str:
        """The bot's own team: every stored row is keyed by it (known once `home.learn` succeeded)."""
        if self.home.team_id is None:
            raise RuntimeError("the bot's own Slack team is not known yet (auth.test has not answered)")
        return self.home.team_id

    @property
    def enabled(self) -> list[str]:
        return list(self.orange.enabled)

    @property
    def default_backend(self) -> str | None:
        return self.orange.default_backend

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run one unit of work that writes, off the event loop (SQLite and psycopg are blocking).

        On SQLite it holds the write lock from its first statement, and runs again if the lock stays taken for
        ``busy_timeout`` (`storage.db.run_unit`): `work` keeps its effects in the session.
        """
        return await self._unit(work, write=True)

    async def channel_language(self, team_id: str, channel_id: str) -> Language:
        """The language a channel's posts are written in (its `language` setting): a watch's root, an approval card,
        a rule's card, whoever's request posts it."""
        settings = await self.read(
            lambda s: crud.get_channel_settings(session=s, team_id=team_id, channel_id=channel_id)
        )
        return language_of(settings.language)

    async def read(self, work: Callable[[Session], T]) -> T:
        """Run one read-only unit of work, off the event loop: it never waits for a writer (SQLite in WAL mode)."""
        return await self._unit(work, write=False)

    async def _unit(self, work: Callable[[Session], T], *, write: bool) -> T:
        call = functools.partial(run_unit, self.engine, work, write=write)
        context = contextvars.copy_context()  # as asyncio.to_thread does
        return await asyncio.get_running_loop().run_in_executor(_UNIT_THREADS[write], context.run, call)
