"""A fake Slack Web API with state: what the bot posted, updated, opened and published.

    async with FakeSlack.serve(port=0) as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        await client.chat_postMessage(channel="C_GENERAL", text="hi")
        assert fake.channel_messages("C_GENERAL")[0]["text"] == "hi"

The fake is an ASGI app too (``httpx.ASGITransport(app=fake)`` for in-process use). Methods live at
``POST /api/<method>`` (form or JSON body, bearer token); ``POST /response/<token>`` is a response_url.
``fake.inject(...)`` queues failures (429 with Retry-After, 5xx, ``ok: false``, delays) consumed per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.simulator.limits import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT,
    ActionIdScope,
    slack_error_body,
    validate_blocks,
    validate_view,
)
from bot.simulator.scopes import METHOD_SCOPES, Conversation, manifest_scopes, required_scope
from bot.simulator.server import serve_asgi

JSONDict = dict[str, Any]
T = TypeVar("T")
logger = logging.getLogger(__name__)

TEAM_ID = "T_SIM"
TEAM_DOMAIN = "simulator"
APP_ID = "A_SIM"
BOT_ID = "B_BOT"
BOT_USER_ID = "U_BOT"
PERMALINK_HOST = "https://simulator.slack"
DEFAULT_SCOPES: tuple[str, ...] = manifest_scopes()
"""What the app is granted unless a test says otherwise: exactly manifest.yml's bot scopes."""
_VIEW_STACK_LIMIT = 3


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None
    """The other party of a DM."""
    is_mpim: bool = False
    """A group DM (private, not a channel)."""

    @property
    def kind(self) -> Conversation:
        """Which of Slack's conversation types it is, for the scopes that depend on it."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "private" if self.is_private else "public"

    def to_dict(self) -> JSONDict:
        data: JSONDict = {
            "id": self.id,
            "created": 1_700_000_000,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
        }
        if self.is_im:
            data |= {"user": self.user, "is_open": True}
        else:
            data |= {
                "name": self.name,
                "is_channel": not self.is_private,
                "is_group": self.is_private and not self.is_mpim,
                "is_private": self.is_private,
                "is_general": self.name == "general",
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "name_normalized": self.name,
                "num_members": 3,
            }
        return data


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    tz: str = "Europe/Paris"
    is_bot: bool = False
    deleted: bool = False

    def to_dict(self) -> JSONDict:
        tz_offset, tz_label = _tz_info(self.tz)
        real_name = self.real_name or self.name.title()
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "profile": {
                "real_name": real_name,
                "display_name": self.name,
                "email": f"{self.name}@example.com",
                "team": TEAM_ID,
            },
        }


def _tz_info(tz: str) -> tuple[int, str]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except ZoneInfoNotFoundError:  # no tz database on this machine: Paris in winter
        return 3600, "Central European Time"
    offset = now.utcoffset()
    return int(offset.total_seconds()) if offset else 0, now.tzname() or tz


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
class Fault:
    method: str
    error: str | None
    status: int
    retry_after: int | None
    delay: float
    remaining: int | None


@dataclass
class ResponseTarget:
    """What a response_url is bound to: a command's channel and user, or the message clicked."""

    token: str
    channel: str
    user: str
    message_ts: str | None = None
    ephemeral: bool = False
    follows_latest: bool = False
    """A command's URL: replace_original acts on the latest response sent through it."""
    uses: int = 0
    created: float = field(default_factory=time.time)


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


class SlackApiFailure(Exception):
    """An ``ok: false`` answer raised inside a handler."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def _json_field(params: Mapping[str, Any], key: str, *, error: str) -> Any:
    value = params.get(key)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackApiFailure(error) from None
    return value


def _without_channel(msg: JSONDict) -> JSONDict:
    return {k: v for k, v in msg.items() if k != "channel"}


def _short_id(seed: str, length: int = 5) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def _assign_ids(blocks: list[JSONDict], seed: str) -> list[JSONDict]:
    """Give blocks and interactive elements the ids Slack adds when the app leaves them out."""
    blocks = copy.deepcopy(blocks)
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", _short_id(f"{seed}/{i}"))
        elements: list[Any] = list(block.get("elements", []) or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for j, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") not in (None, "image", "plain_text", "mrkdwn"):
                element.setdefault("action_id", _short_id(f"{seed}/{i}/{j}", 4))
    return blocks


class FakeSlack:
    """State and ASGI app of the simulated Slack workspace; see the module docstring.

    ``action_id_scope="message"`` rejects an action_id repeated anywhere in a message, stricter than Slack,
    which only rejects repeats within one block (``"block"``). Views always use Slack's rule.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        channels: Iterable[Channel] | None = None,
        users: Iterable[User] | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        base_url: str = "http://simulator.local",
        trigger_ttl: float = 3.0,
        action_id_scope: ActionIdScope = "message",
        first_ts: str = "1700000000.000100",
    ) -> None:
        self.bot_token = bot_token
        self.scopes: set[str] = set(scopes)
        self.base_url = base_url.rstrip("/")
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
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self.ephemerals: dict[str, list[JSONDict]] = {}
        self.views: dict[str, JSONDict] = {}
        self.view_errors: dict[str, dict[str, str]] = {}
        self.homes: dict[str, JSONDict] = {}
        self._messages: dict[tuple[str, str], JSONDict] = {}
        self._order: list[tuple[str, str]] = []
        self._deleted: set[tuple[str, str]] = set()
        self._view_stacks: dict[str, list[str]] = {}
        self._view_owner: dict[str, str] = {}
        self._targets: dict[str, ResponseTarget] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._faults: list[Fault] = []
        self._listeners: list[Callable[[SimEvent], object]] = []
        secs, _, frac = first_ts.partition(".")
        self._ts_us = int(secs) * 1_000_000 + int(frac.ljust(6, "0")) - 100
        self._ids = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api_endpoint, methods=["GET", "POST"]),
                Route("/response/{token:path}", self._response_endpoint, methods=["POST"]),
            ]
        )
        self._methods: dict[str, Callable[[JSONDict], Awaitable[JSONDict]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
        }
        unknown = sorted(set(self._methods) - set(METHOD_SCOPES))
        if unknown:  # every method the fake answers must say which scope Slack wants for it
            raise RuntimeError(f"no scope is known for {', '.join(unknown)}: add it to bot/simulator/scopes.py")

    # ------------------------------------------------------------------ running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The fake is itself an ASGI app: ``httpx.ASGITransport(app=fake)``."""
        await self.app(scope, receive, send)

    @property
    def api_url(self) -> str:
        """What the bot sets as ``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    @classmethod
    @contextlib.asynccontextmanager
    async def serve(cls, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncIterator[FakeSlack]:
        """A new FakeSlack listening on loopback until the block exits."""
        fake = cls(**options)
        async with fake.serving(host=host, port=port):
            yield fake

    @contextlib.asynccontextmanager
    async def serving(self, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[FakeSlack]:
        """Serve this instance on loopback (uvicorn in the running loop) until the block exits."""
        previous = self.base_url
        async with serve_asgi(self.app, host=host, port=port) as base_url:
            self.base_url = base_url
            try:
                yield self
            finally:
                self.base_url = previous

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
    ) -> Channel:
        channel = Channel(channel_id, name or channel_id.lower(), is_private, is_member, is_archived)
        self.channels[channel_id] = channel
        return channel

    def add_user(self, user_id: str, name: str | None = None, *, tz: str = "Europe/Paris") -> User:
        user = User(user_id, name or user_id.lower().removeprefix("u_"), tz=tz)
        self.users[user_id] = user
        return user

    def inject(
        self,
        method: str,
        error: str | None = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        count: int | None = 1,
    ) -> None:
        """Make the next ``count`` calls to ``method`` ("*" for any, "response_url" for response URLs) fail.

        ``error="ratelimited"`` answers 429 with ``Retry-After`` (default 1 s); ``status=500`` etc. answer
        that status; other errors answer 200 ``ok: false``. ``delay`` waits first (for client timeouts);
        ``error=None`` with a delay still performs the call afterwards, like a slow Slack.
        ``count=None`` keeps failing until ``clear_faults()``.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(Fault(method, error, status, retry_after, delay, count))

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method in (method, "*"):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def new_trigger_id(self, user: str = "U_ALICE") -> str:
        """A trigger_id as Slack puts in interactions; views.open accepts it once, within ``trigger_ttl``."""
        trigger = f"{next(self._ids)}.{TEAM_ID}.{secrets.token_hex(8)}"
        self._triggers[trigger] = (user, time.monotonic())
        return trigger

    def new_response_url(
        self,
        *,
        channel: str = "C_GENERAL",
        user: str = "U_ALICE",
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A fresh response_url on this simulator; ``message_ts`` binds it to the clicked message."""
        token = f"{TEAM_ID}/{next(self._ids)}/{secrets.token_urlsafe(12)}"
        self._targets[token] = ResponseTarget(
            token, channel, user, message_ts, ephemeral, follows_latest=message_ts is None
        )
        return f"{self.base_url}/response/{token}"

    # ------------------------------------------------------------------ queries

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

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

    def home(self, user: str) -> JSONDict | None:
        view = self.homes.get(user)
        return copy.deepcopy(view) if view is not None else None

    def response_posts(self, url_or_token: str | None = None) -> list[ResponsePost]:
        token = None if url_or_token is None else url_or_token.rsplit("/response/", 1)[-1]
        return [r for r in self.responses if token in (None, r.token)]

    async def wait_for(self, predicate: Callable[[], T], *, timeout: float = 5.0) -> T:
        """Poll ``predicate`` until it returns something truthy; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulator: condition not met within {timeout}s")
            await asyncio.sleep(0.005)

    async def wait_for_calls(self, method: str, count: int = 1, *, timeout: float = 5.0) -> list[Call]:
        def ready() -> list[Call]:
            calls = self.calls_to(method)
            return calls if len(calls) >= count else []

        return await self.wait_for(ready, timeout=timeout)

    async def wait_for_responses(
        self, url_or_token: str | None = None, count: int = 1, *, timeout: float = 5.0
    ) -> list[ResponsePost]:
        def ready() -> list[ResponsePost]:
            posts = self.response_posts(url_or_token)
            return posts if len(posts) >= count else []

        return await self.wait_for(ready, timeout=timeout)

    # ------------------------------------------------------------------ HTTP plumbing

    def _next_ts(self) -> str:
        self._ts_us += 100
        return f"{self._ts_us // 1_000_000}.{self._ts_us % 1_000_000:06d}"

    def _headers(self) -> dict[str, str]:
        return {"X-OAuth-Scopes": ",".join(sorted(self.scopes))}

    async def _params(self, request: Request) -> JSONDict:
        params: JSONDict = dict(request.query_params)
        body = await request.body()
        if not body:
            return params
        content_type = request.headers.get("content-type", "")
        if "application/json" in content_type:
            try:
                data = json.loads(body)
            except json.JSONDecodeError:
                raise SlackApiFailure("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackApiFailure("invalid_json")
            params.update(data)
        elif "multipart/form-data" in content_type:  # file uploads: no method here takes them
            raise SlackApiFailure("invalid_form_data")
        else:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params

    def _authenticate(self, request: Request, params: JSONDict) -> None:
        auth = request.headers.get("authorization", "")
        token = auth[len("Bearer ") :].strip() if auth.lower().startswith("bearer ") else params.pop("token", None)
        params.pop("token", None)
        if not token:
            raise SlackApiFailure("not_authed")
        if token != self.bot_token:
            raise SlackApiFailure("invalid_auth")

    async def _api_endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        call = Call(method=method, params={}, time=time.time())
        self.calls.append(call)
        headers = self._headers()
        try:
            call.params = await self._params(request)
            self._authenticate(request, call.params)
            fault = self._take_fault(method)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.error is not None or fault.status != 200:
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    raise SlackApiFailure(fault.error or "internal_error", status=fault.status)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackApiFailure("unknown_method", status=404, req_method=method)
            scope = required_scope(method, conversation=self._conversation_kind(call.params))
            if scope is not None and scope not in self.scopes:
                raise SlackApiFailure("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))
            body = await handler(call.params)
        except SlackApiFailure as failure:
            call.status = failure.status
            body = failure.extra.pop("body", None) or {"ok": False, "error": failure.error, **failure.extra}
        call.response = body
        return JSONResponse(body, status_code=call.status, headers=headers)

    # ------------------------------------------------------------------ channels and users

    def _conversation_kind(self, params: JSONDict) -> Conversation:
        """The kind of the conversation a call is about (its `channel`, or conversations.open's `users`).

        Only methods whose scope depends on it look at the answer; an unknown channel reads as public, and the
        method then answers channel_not_found.
        """
        channel_id = params.get("channel")
        if not channel_id and params.get("users") is not None:  # conversations.open: 1 user a DM, more a group DM
            users = [u for u in str(params["users"]).split(",") if u.strip()]
            return "mpim" if len(users) > 1 else "im"
        if isinstance(channel_id, str) and channel_id in self.users:  # a user id: the app's DM with them
            return "im"
        channel = self._find_channel(channel_id)
        return channel.kind if channel is not None else "public"

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

    # ------------------------------------------------------------------ messages

    def _content(self, params: JSONDict, *, seed: str, require: bool) -> tuple[str | None, list[JSONDict] | None]:
        text = params.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        blocks = _json_field(params, "blocks", error="invalid_blocks_format")
        if blocks is not None:
            errors = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS, action_id_scope=self.action_id_scope)
            if errors:
                raise SlackApiFailure("invalid_blocks", body=slack_error_body("invalid_blocks", errors))
            blocks = _assign_ids(blocks, seed)
        attachments = _json_field(params, "attachments", error="invalid_attachments")
        if require and not text and not blocks and not attachments:
            raise SlackApiFailure("no_text")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise SlackApiFailure("msg_too_long")
        return text, blocks

    def _new_message(self, *, ts: str, text: str | None, blocks: list[JSONDict] | None, params: JSONDict) -> JSONDict:
        msg: JSONDict = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": text or "",
            "blocks": blocks or [],
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "orange-bot", "team_id": TEAM_ID},
        }
        attachments = _json_field(params, "attachments", error="invalid_attachments")
        if attachments:
            msg["attachments"] = attachments
        metadata = _json_field(params, "metadata", error="invalid_metadata")
        if metadata:
            msg["metadata"] = metadata
        return msg

    def _thread_root(self, channel: str, thread_ts: object) -> JSONDict | None:
        if thread_ts in (None, ""):
            return None
        root = self._messages.get((channel, str(thread_ts)))
        if root is None:
            raise SlackApiFailure("thread_not_found")
        if root.get("thread_ts") not in (None, root["ts"]):  # a reply's ts: Slack files it under the parent
            root = self._messages[(channel, root["thread_ts"])]
        return root

    async def _api_test(self, params: JSONDict) -> JSONDict:
        return {"ok": True, "args": params}

    async def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "ok": True,
            "url": f"{PERMALINK_HOST}/",
            "team": "Simulator",
            "user": "orange-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    async def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._writable_channel(params.get("channel"))
        root = self._thread_root(channel.id, params.get("thread_ts"))
        ts = self._next_ts()
        text, blocks = self._content(params, seed=f"{channel.id}/{ts}", require=True)
        msg = self._new_message(ts=ts, text=text, blocks=blocks, params=params)
        if root is not None:
            msg |= {"thread_ts": root["ts"], "parent_user_id": root.get("user", BOT_USER_ID)}
            if _truthy(params.get("reply_broadcast")):
                msg["subtype"] = "thread_broadcast"
            root["thread_ts"] = root["ts"]
            root["reply_count"] = root.get("reply_count", 0) + 1
            root["latest_reply"] = ts
            root["reply_users"] = sorted({*root.get("reply_users", []), BOT_USER_ID})
        self._messages[(channel.id, ts)] = msg
        self._order.append((channel.id, ts))
        stored = copy.deepcopy(msg)
        self._emit(SimEvent("message", channel=channel.id, ts=ts, message={**stored, "channel": channel.id}))
        return {"ok": True, "channel": channel.id, "ts": ts, "message": stored}

    async def _chat_update(self, params: JSONDict) -> JSONDict:
        channel = self._channel(params.get("channel"))
        ts = str(params.get("ts", ""))
        msg = self._messages.get((channel.id, ts))
        if msg is None:
            raise SlackApiFailure("message_not_found")
        if msg.get("bot_id") != BOT_ID:
            raise SlackApiFailure("cant_update_message")
        if channel.is_archived:
            raise SlackApiFailure("is_archived")
        text, blocks = self._content(params, seed=f"{channel.id}/{ts}/{next(self._ids)}", require=False)
        if text is None and blocks is None and "attachments" not in params:
            raise SlackApiFailure("no_text")
        if text is not None:
            msg["text"] = text
        if blocks is not None:  # absent blocks are kept, like Slack; [] removes them
            msg["blocks"] = blocks
        msg["edited"] = {"user": BOT_USER_ID, "ts": f"{time.time():.6f}"}
        stored = copy.deepcopy(msg)
        self._emit(SimEvent("update", channel=channel.id, ts=ts, message={**stored, "channel": channel.id}))
        return {"ok": True, "channel": channel.id, "ts": ts, "text": msg["text"], "message": stored}

    async def _chat_delete(self, params: JSONDict) -> JSONDict:
        channel = self._channel(params.get("channel"))
        ts = str(params.get("ts", ""))
        if self._messages.pop((channel.id, ts), None) is None:
            raise SlackApiFailure("message_not_found")
        self._deleted.add((channel.id, ts))
        self._emit(SimEvent("delete", channel=channel.id, ts=ts))
        return {"ok": True, "channel": channel.id, "ts": ts}

    async def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = self._writable_channel(params.get("channel"))
        user = self._user(params.get("user"))
        ts = self._next_ts()
        text, blocks = self._content(params, seed=f"{channel.id}/{ts}", require=True)
        msg = self._new_message(ts=ts, text=text, blocks=blocks, params=params)
        msg |= {"channel": channel.id, "recipient": user.id, "is_ephemeral": True}
        if params.get("thread_ts"):
            msg["thread_ts"] = str(params["thread_ts"])
        self.ephemerals.setdefault(user.id, []).append(msg)
        self._emit(SimEvent("ephemeral", channel=channel.id, ts=ts, user=user.id, message=copy.deepcopy(msg)))
        return {"ok": True, "message_ts": ts}

    async def _chat_get_permalink(self, params: JSONDict) -> JSONDict:
        channel = self._channel(params.get("channel"))
        ts = str(params.get("message_ts", ""))
        msg = self._messages.get((channel.id, ts))
        if msg is None:
            raise SlackApiFailure("message_not_found")
        link = f"{PERMALINK_HOST}/archives/{channel.id}/p{ts.replace('.', '')}"
        if msg.get("thread_ts") not in (None, ts):
            link += f"?thread_ts={msg['thread_ts']}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    async def _conversations_info(self, params: JSONDict) -> JSONDict:
        return {"ok": True, "channel": self._channel(params.get("channel")).to_dict()}

    async def _conversations_open(self, params: JSONDict) -> JSONDict:
        if params.get("channel"):  # resume a DM or group DM; channels are conversations.create's business
            channel = self._channel(params["channel"])
            if not (channel.is_im or channel.is_mpim):
                raise SlackApiFailure("method_not_supported_for_channel_type")
            return {"ok": True, "channel": channel.to_dict()}
        users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        for user in users:
            self._user(user)
        if len(users) > 1:
            mpim_id = "G" + _short_id(",".join(sorted(users)), 9).upper()
            channel = self.channels.setdefault(
                mpim_id, Channel(mpim_id, "mpdm-" + "--".join(users), is_private=True, is_mpim=True)
            )
            return {"ok": True, "channel": {"id": channel.id}}
        dm = self._open_dm(users[0])
        body: JSONDict = {"ok": True, "channel": {"id": dm.id}}
        if _truthy(params.get("return_im")):
            body["channel"] = dm.to_dict()
        return body

    async def _conversations_history(self, params: JSONDict) -> JSONDict:
        channel = self._channel(params.get("channel"))
        if not channel.is_member and not channel.is_im:  # a bot token reads only where the bot is a member
            raise SlackApiFailure("not_in_channel")
        messages = [_without_channel(m) for m in reversed(self.channel_messages(channel.id))]
        oldest, latest = params.get("oldest"), params.get("latest")
        if oldest:
            messages = [m for m in messages if float(m["ts"]) >= float(oldest)]
        if latest:
            messages = [m for m in messages if float(m["ts"]) <= float(latest)]
        limit = int(params.get("limit") or 100)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    async def _conversations_replies(self, params: JSONDict) -> JSONDict:
        channel = self._channel(params.get("channel"))
        if not channel.is_member and not channel.is_im:  # a bot token reads only where the bot is a member
            raise SlackApiFailure("not_in_channel")
        root = self._messages.get((channel.id, str(params.get("ts", ""))))
        if root is None:
            raise SlackApiFailure("thread_not_found")
        replies = [_without_channel(m) for m in self.thread(channel.id, root["ts"])]
        return {"ok": True, "messages": [copy.deepcopy(root), *replies], "has_more": False}

    async def _users_info(self, params: JSONDict) -> JSONDict:
        return {"ok": True, "user": self._user(params.get("user")).to_dict()}

    # ------------------------------------------------------------------ views

    def _use_trigger(self, trigger_id: object) -> str:
        if not isinstance(trigger_id, str) or not trigger_id:
            raise SlackApiFailure("invalid_arguments")
        if trigger_id not in self._triggers:
            raise SlackApiFailure("invalid_trigger_id")
        user, issued = self._triggers[trigger_id]
        if user == "":
            raise SlackApiFailure("exchanged_trigger_id")
        if time.monotonic() - issued > self.trigger_ttl:
            raise SlackApiFailure("expired_trigger_id")
        self._triggers[trigger_id] = ("", issued)
        return user

    def _checked_view(self, params: JSONDict, *, kind: str | None = None) -> JSONDict:
        view = _json_field(params, "view", error="invalid_arguments")
        if not isinstance(view, dict):
            raise SlackApiFailure("invalid_arguments")
        errors = validate_view(view)
        if kind is not None and view.get("type") != kind:
            errors.append(f"must be {kind} [json-pointer:/view/type]")
        if errors:
            raise SlackApiFailure("invalid_arguments", body=slack_error_body("invalid_arguments", errors))
        return view

    def _store_view(
        self, view: JSONDict, *, view_id: str | None, root_id: str | None, previous: str | None
    ) -> JSONDict:
        view_id = view_id or f"V{next(self._ids):010d}"
        stored: JSONDict = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": _assign_ids(list(view.get("blocks", []) or []), view_id),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root_id or view_id,
            "previous_view_id": previous,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        self.views[view_id] = stored
        self.view_errors.pop(view_id, None)
        return stored

    def _find_view(self, params: JSONDict) -> JSONDict:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        for view in self.views.values():
            if (view_id and view["id"] == view_id) or (external_id and view.get("external_id") == external_id):
                return view
        raise SlackApiFailure("not_found")

    async def _views_open(self, params: JSONDict) -> JSONDict:
        view = self._checked_view(params, kind="modal")
        user = self._use_trigger(params.get("trigger_id"))
        stored = self._store_view(view, view_id=None, root_id=None, previous=None)
        self._view_stacks[user] = [stored["id"]]
        self._view_owner[stored["id"]] = user
        self._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
        return {"ok": True, "view": copy.deepcopy(stored)}

    async def _views_push(self, params: JSONDict) -> JSONDict:
        view = self._checked_view(params, kind="modal")
        user = self._use_trigger(params.get("trigger_id"))
        stack = self._view_stacks.setdefault(user, [])
        if not stack:
            raise SlackApiFailure("not_found")
        if len(stack) >= _VIEW_STACK_LIMIT:
            raise SlackApiFailure("push_limit_reached")
        stored = self._store_view(view, view_id=None, root_id=stack[0], previous=stack[-1])
        stack.append(stored["id"])
        self._view_owner[stored["id"]] = user
        self._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
        return {"ok": True, "view": copy.deepcopy(stored)}

    async def _views_update(self, params: JSONDict) -> JSONDict:
        current = self._find_view(params)
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        view = self._checked_view(params)
        stored = self._store_view(
            view, view_id=current["id"], root_id=current["root_view_id"], previous=current["previous_view_id"]
        )
        user = self._view_owner.get(stored["id"])
        kind: Literal["home", "view"] = "home" if stored["type"] == "home" else "view"
        if kind == "home" and user is not None:
            self.homes[user] = stored
        self._emit(SimEvent(kind, user=user, view=copy.deepcopy(stored)))
        return {"ok": True, "view": copy.deepcopy(stored)}

    async def _views_publish(self, params: JSONDict) -> JSONDict:
        user = self._user(params.get("user_id"))
        view = self._checked_view(params, kind="home")
        current = self.homes.get(user.id)
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        view_id = current["id"] if current is not None else None
        stored = self._store_view(view, view_id=view_id, root_id=None, previous=None)
        self.homes[user.id] = stored
        self._view_owner[stored["id"]] = user.id
        self._emit(SimEvent("home", user=user.id, view=copy.deepcopy(stored)))
        return {"ok": True, "view": copy.deepcopy(stored)}

    # The client calls these to apply a view_submission's ack the way Slack does.

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """Close one modal (or, with ``clear``, its whole stack)."""
        user = self._view_owner.get(view_id)
        stack = self._view_stacks.get(user or "", [])
        if view_id in stack:
            del stack[0 if clear else stack.index(view_id) :]
        self._emit(SimEvent("view_closed", user=user, view=self.view(view_id)))

    def apply_view_response(self, view_id: str, response: Mapping[str, Any]) -> None:
        """Apply ``ack(response_action=...)`` from a view_submission: update, push, errors, clear or close."""
        action = response.get("response_action")
        user = self._view_owner.get(view_id, "")
        current = self.views.get(view_id)
        if action == "errors":
            errors = response.get("errors")
            self.view_errors[view_id] = dict(errors) if isinstance(errors, Mapping) else {}
        elif action == "update" and current is not None:
            stored = self._store_view(
                dict(response.get("view", {})),
                view_id=view_id,
                root_id=current["root_view_id"],
                previous=current["previous_view_id"],
            )
            self._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
        elif action == "push" and current is not None:
            stack = self._view_stacks.setdefault(user, [])
            stored = self._store_view(
                dict(response.get("view", {})), view_id=None, root_id=current["root_view_id"], previous=view_id
            )
            stack.append(stored["id"])
            self._view_owner[stored["id"]] = user
            self._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
        else:
            self.close_view(view_id, clear=action == "clear")

    # ------------------------------------------------------------------ response_url

    async def _response_endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        url = str(request.url)
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            body = None
        call = Call(method="response_url", params=body if isinstance(body, dict) else {}, time=time.time())
        self.calls.append(call)
        fault = self._take_fault("response_url")
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.error is not None or fault.status != 200:
                call.status = fault.status if fault.status != 200 else 500
                call.response = {"ok": False, "error": fault.error or "internal_error"}
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return JSONResponse(call.response, status_code=call.status, headers=headers)
        try:
            if not isinstance(body, dict):
                raise SlackApiFailure("invalid_payload", status=400)
            target = self._targets.get(token)
            if target is None:
                raise SlackApiFailure("no_active_hooks", status=404)
            if target.uses >= 5 or time.time() - target.created > 30 * 60:  # Slack: 5 uses within 30 minutes
                raise SlackApiFailure("used_url", status=404)
            target.uses += 1
            effect, ts = self._respond(target, body)
        except SlackApiFailure as failure:
            call.status, call.response = failure.status, {"ok": False, "error": failure.error}
            self.responses.append(ResponsePost(token, url, body or {}, call.time, failure.error))
            return JSONResponse(call.response, status_code=failure.status)
        call.response = {"ok": True}
        self.responses.append(ResponsePost(token, url, body, call.time, effect, ts))
        return JSONResponse({"ok": True})

    def _respond(self, target: ResponseTarget, body: JSONDict) -> tuple[str, str | None]:
        channel = self._channel(target.channel)
        if _truthy(body.get("delete_original")):
            if target.message_ts is None:
                raise SlackApiFailure("no_original_message", status=404)
            self._delete_original(target, channel.id)
            return "deleted", target.message_ts
        ts = target.message_ts
        if _truthy(body.get("replace_original")) and ts is not None:
            text, blocks = self._content(body, seed=f"{channel.id}/{ts}/{next(self._ids)}", require=True)
            if target.ephemeral:
                msg = next((m for m in self.ephemerals.get(target.user, []) if m["ts"] == ts), None)
            else:
                msg = self._messages.get((channel.id, ts))
            if msg is None:
                raise SlackApiFailure("message_not_found", status=404)
            msg["text"] = text or ""
            msg["blocks"] = blocks or []
            kind: Literal["ephemeral", "update"] = "ephemeral" if target.ephemeral else "update"
            self._emit(SimEvent(kind, channel=channel.id, ts=ts, user=target.user, message=copy.deepcopy(msg)))
            return "replaced", ts
        new_ts = self._next_ts()
        text, blocks = self._content(body, seed=f"{channel.id}/{new_ts}", require=True)
        msg = self._new_message(ts=new_ts, text=text, blocks=blocks, params=body)
        if body.get("response_type") == "in_channel":
            root = self._thread_root(channel.id, body.get("thread_ts"))
            if root is not None:
                msg["thread_ts"] = root["ts"]
            self._messages[(channel.id, new_ts)] = msg
            self._order.append((channel.id, new_ts))
            self._emit(SimEvent("message", channel=channel.id, ts=new_ts, message={**msg, "channel": channel.id}))
            if target.follows_latest:
                target.message_ts, target.ephemeral = new_ts, False
            return "in_channel", new_ts
        msg |= {"channel": channel.id, "recipient": target.user, "is_ephemeral": True}
        self.ephemerals.setdefault(target.user, []).append(msg)
        self._emit(SimEvent("ephemeral", channel=channel.id, ts=new_ts, user=target.user, message=copy.deepcopy(msg)))
        if target.follows_latest:
            target.message_ts, target.ephemeral = new_ts, True
        return "ephemeral", new_ts

    def _delete_original(self, target: ResponseTarget, channel: str) -> None:
        ts = target.message_ts
        if target.ephemeral:
            kept = [m for m in self.ephemerals.get(target.user, []) if m["ts"] != ts]
            self.ephemerals[target.user] = kept
        elif self._messages.pop((channel, ts or ""), None) is not None:
            self._deleted.add((channel, ts or ""))
        self._emit(SimEvent("delete", channel=channel, ts=ts, user=target.user))

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
