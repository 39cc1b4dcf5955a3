"""The simulated workspace's state: conversations, people, messages, modals and App Homes, and its queries.

The Web API handlers (bot/simulator/methods/) and response_urls (bot/simulator/response_url.py) change it
through its underscored members; tests and the user client read it through the public queries, which answer
copies.
"""

from __future__ import annotations

import copy
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence

from bot.simulator.files import StoredFile
from bot.simulator.limits import ActionIdScope
from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.records import SimEvent
from bot.simulator.team import BOT_USER_ID, TEAM_ID, Channel, User, UserGroup

# the name it logged under before the workspace left web_api.py, so that log filters keep working
logger = logging.getLogger("bot.simulator.web_api")


class Workspace:
    def __init__(
        self,
        channels: Iterable[Channel] | None,
        users: Iterable[User] | None,
        scopes: Iterable[str],
        trigger_ttl: float,
        action_id_scope: ActionIdScope,
        first_ts: str | None,
    ) -> None:
        self.scopes: set[str] = set(scopes)
        # FakeSlack sets these three from its own arguments; the upload flow (bot/simulator/files.py) reads them.
        self.bot_token = "xoxb-test"
        self.base_url = "http://simulator.local"
        self.clock: Callable[[], float] = time.monotonic
        self.trigger_ttl = trigger_ttl
        self.action_id_scope: ActionIdScope = action_id_scope
        self.channels: dict[str, Channel] = {
            c.id: c
            for c in (
                channels
                if channels is not None
                else [
                    Channel("C_GENERAL", "general"),
                    Channel("C_PRIVATE", "private", is_private=True, is_member=False),
                ]
            )
        }
        self.users: dict[str, User] = {
            u.id: u
            for u in (
                users
                if users is not None
                else [User("U_ALICE", "alice"), User("U_BOB", "bob"), User("U_CAROL", "carol")]
            )
        }
        self.users.setdefault(BOT_USER_ID, User(BOT_USER_ID, "orange-bot", "Orange Bot", is_bot=True))
        self.usergroups: dict[str, UserGroup] = {}
        self.ephemerals: dict[str, list[JSONDict]] = {}
        self.views: dict[str, JSONDict] = {}
        self.view_errors: dict[str, dict[str, str]] = {}
        self.homes: dict[str, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        """Every file announced by files.getUploadURLExternal, by id (see `file`)."""
        self._uploads_by_token: dict[str, StoredFile] = {}
        self._messages: dict[tuple[str, str], JSONDict] = {}
        self._order: list[tuple[str, str]] = []
        self._deleted: set[tuple[str, str]] = set()
        self._view_stacks: dict[str, list[str]] = {}
        self._view_owner: dict[str, str] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._listeners: list[Callable[[SimEvent], object]] = []
        # Slack's ts is its clock at the post (a look-up by `oldest=` relies on it); `first_ts` counts from there
        # instead, for tests that compare ts.
        self._clock_ts = first_ts is None
        secs, _, frac = (first_ts or "0.000000").partition(".")
        self._ts_us = int(secs) * 1_000_000 + int(frac.ljust(6, "0")) - 100
        self._ids = itertools.count(1)

    def subscribe(self, listener: Callable[[SimEvent], object]) -> Callable[[], None]:
        """Call ``listener`` on every visible change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: SimEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken printer must not turn into a Slack error for the bot
                logger.exception("simulator listener failed on %s", event.kind)

    # ------------------------------------------------------------------ set-up helpers

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
        members: set[str] | None = None,
    ) -> Channel:
        channel = Channel(channel_id, name or channel_id.lower(), is_private, is_member, is_archived, members=members)
        self.channels[channel_id] = channel
        return channel

    def add_user(
        self, user_id: str, name: str | None = None, *, tz: str = "Europe/Paris", locale: str = "en-US"
    ) -> User:
        user = User(user_id, name or user_id.lower().removeprefix("u_"), tz=tz, locale=locale)
        self.users[user_id] = user
        return user

    def add_usergroup(self, group_id: str, handle: str, *, users: Sequence[str] = ()) -> UserGroup:
        group = UserGroup(group_id, handle, users=tuple(users))
        self.usergroups[group_id] = group
        return group

    def new_trigger_id(self, user: str = "U_ALICE") -> str:
        """A trigger_id as Slack puts in interactions; views.open accepts it once, within ``trigger_ttl``."""
        trigger = f"{next(self._ids)}.{TEAM_ID}.{secrets.token_hex(8)}"
        self._triggers[trigger] = (user, time.monotonic())
        return trigger

    # ------------------------------------------------------------------ queries

    # Messages come back as copies with a "channel" key added, so they can be rendered and clicked.

    def message(self, channel: str, ts: str) -> JSONDict | None:
        """The current state of a message (None once deleted)."""
        msg = self._messages.get((channel, ts))
        return {**copy.deepcopy(msg), "channel": channel} if msg is not None else None

    def channel_messages(self, channel: str) -> list[JSONDict]:
        """Top-level messages and thread broadcasts, oldest first."""
        return [
            {**copy.deepcopy(m), "channel": channel}
            for key in self._order
            if key[0] == channel and (m := self._messages.get(key)) is not None
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]

    def thread(self, channel: str, root_ts: str) -> list[JSONDict]:
        """Replies in the thread of ``root_ts``, oldest first (the root itself excluded)."""
        return [
            {**copy.deepcopy(m), "channel": channel}
            for key in self._order
            if key[0] == channel and (m := self._messages.get(key)) is not None
            if m.get("thread_ts") == root_ts and m["ts"] != root_ts
        ]

    def ephemeral_messages(self, user: str, channel: str | None = None) -> list[JSONDict]:
        return [copy.deepcopy(m) for m in self.ephemerals.get(user, []) if channel in (None, m["channel"])]

    def view(self, view_id: str) -> JSONDict | None:
        view = self.views.get(view_id)
        return copy.deepcopy(view) if view is not None else None

    def open_views(self, user: str) -> list[JSONDict]:
        """The user's modal stack, bottom first."""
        return [copy.deepcopy(self.views[v]) for v in self._view_stacks.get(user, [])]

    def view_owner(self, view_id: str) -> str | None:
        """The user a modal was opened for, or whose App Home it is."""
        return self._view_owner.get(view_id)

    def file(self, file_id: str) -> StoredFile | None:
        """A file the bot announced, with the bytes it uploaded (`content`) and where it was shared (`shares`)."""
        return self.files.get(file_id)

    def home(self, user: str) -> JSONDict | None:
        view = self.homes.get(user)
        return copy.deepcopy(view) if view is not None else None

    # ------------------------------------------------------------------ lookups for the user client

    def find_message(self, ref_channel: str, ts: str, *, user: str | None = None) -> JSONDict | None:
        """A channel message, or the user's ephemeral message with that ts."""
        msg = self._messages.get((ref_channel, ts))
        if msg is not None:
            return copy.deepcopy(msg)
        for eph in self.ephemerals.get(user or "", []):
            if eph["ts"] == ts:
                return copy.deepcopy(eph)
        return None

    def surfaces(self, user: str) -> Sequence[tuple[str, JSONDict]]:
        """Everything a user can click, newest first: ("view", view), ("ephemeral", msg), ("message", msg)."""
        out: list[tuple[str, JSONDict]] = []
        for view_id in reversed(self._view_stacks.get(user, [])):
            out.append(("view", copy.deepcopy(self.views[view_id])))
        if user in self.homes:
            out.append(("home", copy.deepcopy(self.homes[user])))
        out += [("ephemeral", copy.deepcopy(m)) for m in reversed(self.ephemerals.get(user, []))]
        for key in reversed(self._order):
            msg = self._messages.get(key)
            if msg is not None:
                out.append(("message", {**copy.deepcopy(msg), "channel": key[0]}))
        return out

    # ------------------------------------------------------------------ for the handlers

    def _next_ts(self) -> str:
        """Later than every ts before it; Slack's clock when `first_ts` was not given."""
        self._ts_us += 100
        if self._clock_ts:
            self._ts_us = max(self._ts_us, int(time.time() * 1_000_000))
        return f"{self._ts_us // 1_000_000}.{self._ts_us % 1_000_000:06d}"

    def _find_channel(self, channel_id: object) -> Channel | None:
        """A conversation by id or (for channels) name, without side effects."""
        if not isinstance(channel_id, str) or not channel_id:
            return None
        if channel_id in self.channels:
            return self.channels[channel_id]
        name = channel_id.removeprefix("#")
        return next((c for c in self.channels.values() if not c.is_im and c.name == name), None)

    def _channel(self, channel_id: object) -> Channel:
        channel = self._find_channel(channel_id)
        if channel is not None:
            return channel
        if isinstance(channel_id, str) and channel_id in self.users:  # Slack posts to a user id in the app's DM
            return self._open_dm(channel_id)
        raise SlackApiFailure("channel_not_found")

    def _writable_channel(self, channel_id: object) -> Channel:
        channel = self._channel(channel_id)
        if channel.is_archived:
            raise SlackApiFailure("is_archived")
        if not channel.is_member and not channel.is_im:
            if channel.is_private or "chat:write.public" not in self.scopes:
                raise SlackApiFailure("not_in_channel")
        return channel

    def _user(self, user_id: object) -> User:
        if not isinstance(user_id, str) or user_id not in self.users:
            raise SlackApiFailure("user_not_found")
        return self.users[user_id]

    def _open_dm(self, user_id: str) -> Channel:
        dm_id = "D" + user_id.removeprefix("U")
        if dm_id not in self.channels:
            self.channels[dm_id] = Channel(dm_id, dm_id, is_private=True, is_im=True, user=user_id)
        return self.channels[dm_id]

    def _thread_root(self, channel: str, thread_ts: object) -> JSONDict | None:
        if thread_ts in (None, ""):
            return None
        root = self._messages.get((channel, str(thread_ts)))
        if root is None:
            raise SlackApiFailure("thread_not_found")
        if root.get("thread_ts") not in (None, root["ts"]):  # a reply's ts: Slack files it under the parent
            root = self._messages[(channel, root["thread_ts"])]
        return root
