"""A fake Slack Web API with state: what the bot posted, updated, opened and published.

    async with FakeSlack.serve(port=0) as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        await client.chat_postMessage(channel="C_GENERAL", text="hi")
        assert fake.channel_messages("C_GENERAL")[0]["text"] == "hi"

The fake is an ASGI app too (``httpx.ASGITransport(app=fake)`` for in-process use). Methods live at
``POST /api/<method>`` (form or JSON body, bearer token); ``POST /response/<token>`` is a response_url;
``POST /upload/v1/<token>`` is a file upload URL (bot/simulator/files.py).
``fake.inject(...)`` queues failures (429 with Retry-After, 5xx, ``ok: false``, delays) consumed per call.
chat.postMessage is limited per channel like Slack (bot/simulator/rate.py: 1 per second, a burst of 4, on the
simulator's ``clock``); ``fake.throttled`` counts the 429s that limit answered; ``post_rate=None`` lifts it.

The workspace's state and queries are bot/simulator/workspace.py, the methods bot/simulator/methods/, the
response_urls bot/simulator/response_url.py; this module serves them over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.simulator import methods
from bot.simulator.faults import Fault, Faults
from bot.simulator.limits import ActionIdScope
from bot.simulator.methods import views
from bot.simulator.methods.files import download_endpoint, upload_endpoint
from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.rate import DEFAULT_POST_RATE, LIMITED_METHODS, ChannelBuckets, PostRate
from bot.simulator.records import Call, ResponsePost, SimEvent
from bot.simulator.response_url import ResponseTarget, ResponseUrls
from bot.simulator.scopes import METHOD_SCOPES, Conversation, manifest_scopes, required_scope
from bot.simulator.server import serve_asgi
from bot.simulator.team import APP_ID, BOT_ID, BOT_USER_ID, PERMALINK_HOST, TEAM_DOMAIN, TEAM_ID, Channel, User
from bot.simulator.workspace import Workspace

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_SCOPES",
    "PERMALINK_HOST",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "Call",
    "Channel",
    "FakeSlack",
    "Fault",
    "JSONDict",
    "PostRate",
    "ResponsePost",
    "ResponseTarget",
    "SimEvent",
    "SlackApiFailure",
    "User",
]

T = TypeVar("T")

DEFAULT_SCOPES: tuple[str, ...] = manifest_scopes()
"""What the app is granted unless a test says otherwise: exactly manifest.yml's bot scopes."""


class FakeSlack(Workspace):
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
        first_ts: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        post_rate: PostRate | None = DEFAULT_POST_RATE,
    ) -> None:
        super().__init__(channels, users, scopes, trigger_ttl, action_id_scope, first_ts)
        self.clock = clock
        """Seconds, for the rate limit: a test hands in a virtual clock and advances it."""
        self.throttled = 0
        """429s the per-channel limit answered (not those a test injected)."""
        self._post_buckets: ChannelBuckets | None = None
        self.set_post_rate(post_rate)
        self.bot_token = bot_token
        self.base_url = base_url.rstrip("/")
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self._faults = Faults()
        self._response_urls = ResponseUrls(self, calls=self.calls, posts=self.responses, faults=self._faults)
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api_endpoint, methods=["GET", "POST"]),
                Route("/response/{token:path}", self._response_urls.endpoint, methods=["POST"]),
                Route("/upload/v1/{token}", self._upload_endpoint, methods=["POST"]),
                Route("/files-pri/{file_id}/{name:path}", self._download_endpoint, methods=["GET"]),
            ]
        )
        self._methods: dict[str, methods.Handler] = dict(methods.HANDLERS)
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

    # ------------------------------------------------------------------ set-up helpers

    def inject(
        self,
        method: str,
        error: str | None = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        count: int | None = 1,
        performed: bool = False,
    ) -> None:
        """Make the next ``count`` calls to ``method`` ("*" for any, "response_url" for response URLs) fail.

        ``error="ratelimited"`` answers 429 with ``Retry-After`` (default 1 s); ``status=500`` etc. answer
        that status; other errors answer 200 ``ok: false``. ``delay`` waits first (for client timeouts);
        ``error=None`` with a delay still performs the call afterwards, like a slow Slack.
        ``count=None`` keeps failing until ``clear_faults()``. ``performed=True`` carries the call out before
        failing its answer (a post Slack took, then answered 5xx for).
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.add(Fault(method, error, status, retry_after, delay, count, performed))

    def clear_faults(self) -> None:
        self._faults.clear()

    def set_post_rate(self, rate: PostRate | None) -> None:
        """Limit chat.postMessage per channel at `rate` from now on (fresh buckets); None: no limit."""
        self._post_buckets = ChannelBuckets(rate, self.clock) if rate is not None else None

    def new_response_url(
        self,
        *,
        channel: str = "C_GENERAL",
        user: str = "U_ALICE",
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """A fresh response_url on this simulator; ``message_ts`` binds it to the clicked message."""
        token = self._response_urls.bind(channel, user, message_ts, ephemeral)
        return f"{self.base_url}/response/{token}"

    # The client calls these to apply a view_submission's ack the way Slack does.

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """Close one modal (or, with ``clear``, its whole stack)."""
        views.close_view(self, view_id, clear=clear)

    def apply_view_response(self, view_id: str, response: Mapping[str, Any]) -> None:
        """Apply ``ack(response_action=...)`` from a view_submission: update, push, errors, clear or close."""
        views.apply_view_response(self, view_id, response)

    # ------------------------------------------------------------------ queries

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

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

    async def _upload_endpoint(self, request: Request) -> Response:
        return await upload_endpoint(self, request)

    async def _download_endpoint(self, request: Request) -> Response:
        return await download_endpoint(self, request)

    async def _api_endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        call = Call(method=method, params={}, time=time.time())
        self.calls.append(call)
        headers = self._headers()
        try:
            call.params = await self._params(request)
            self._authenticate(request, call.params)
            fault = await self._faults.strike(method)
            if fault is not None and not fault.performed:
                headers.update(fault.headers)
                raise SlackApiFailure(fault.error or "internal_error", status=fault.status)
            self._limit(method, call.params, headers)
            handler = self._methods.get(method)
            if handler is None:
                raise SlackApiFailure("unknown_method", status=404, req_method=method)
            scope = required_scope(method, conversation=self._conversation_kind(call.params))
            if scope is not None and scope not in self.scopes:
                raise SlackApiFailure("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))
            body = await handler(self, call.params)
            if fault is not None:  # done, and then the answer failed
                headers.update(fault.headers)
                raise SlackApiFailure(fault.error or "internal_error", status=fault.status)
        except SlackApiFailure as failure:
            call.status = failure.status
            body = failure.extra.pop("body", None) or {"ok": False, "error": failure.error, **failure.extra}
        call.response = body
        return JSONResponse(body, status_code=call.status, headers=headers)

    def _limit(self, method: str, params: JSONDict, headers: dict[str, str]) -> None:
        """Answer 429 like Slack when `method` posts to a channel over its rate."""
        if self._post_buckets is None or method not in LIMITED_METHODS:
            return
        wait = self._post_buckets.take(str(params.get("channel") or ""))
        if wait is not None:
            self.throttled += 1
            headers["Retry-After"] = str(wait)
            raise SlackApiFailure("ratelimited", status=429)

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
