"""The Slack Web API client the bot uses everywhere: `SLACK_API_URL`, calls counted, and retries that never post twice.

    client = make_web_client(settings, metrics=metrics)

Short 429s wait for `Retry-After` in place (longer ones are raised: the outbox reschedules); 5xx and dropped
connections are retried for reads and in-place updates only, never for a call that posts something new
(`NOT_REPEATABLE`): Slack may have taken it, and the outbox's own retry looks in the thread first.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack import retry_after_header

__all__ = [
    "MAX_RETRY_AFTER",
    "NOT_REPEATABLE",
    "CappedRateLimitRetryHandler",
    "MeteredWebClient",
    "make_web_client",
    "metered_copy",
]


MAX_RETRY_AFTER = 10.0
"""Longest Slack `Retry-After` the client waits in place; a longer one is raised (the outbox reschedules the post),
so no caller holds a claim, a lease or a user's request for minutes."""


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, except that a `Retry-After` over `max_wait` seconds is not waited for."""

    def __init__(self, *, max_retry_count: int = 3, max_wait: float = MAX_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        seconds = retry_after_header(response.headers)
        return seconds is None or seconds <= self.max_wait


NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "views.open",
        "views.push",
        "files.completeUploadExternal",  # shares the file: a message in the channel
    }
)
"""Web API methods that post something new: when Slack answers 5xx or the connection drops, Slack may have taken the
call, and sending it again posts twice. The client never repeats them on such an answer; the outbox's own retry
(which first looks for the post in the thread) is the only one. A 429 is safe to wait out: Slack took nothing."""


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class _NotForPosts(AsyncRetryHandler):
    """A retry handler that never repeats a call in `NOT_REPEATABLE` (put first in the bases of a slack_sdk handler)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if _method(request) in NOT_REPEATABLE:
            return False
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


class ReadsOnlyServerErrorRetryHandler(_NotForPosts, AsyncServerErrorRetryHandler):
    """slack_sdk's 5xx retry, for calls that are safe to send twice (reads, updates in place), not for posts."""


class ReadsOnlyConnectionErrorRetryHandler(_NotForPosts, AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry on a dropped connection, likewise not for posts (the request may have reached Slack)."""


class MeteredWebClient(AsyncWebClient):
    """slack_sdk's client, counting each Web API call by method and outcome (`ok`, Slack's error, the failure)."""

    metrics: Metrics | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> Any:
        outcome = "ok"
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as err:
            outcome = str(err.response.get("error") or f"http {err.response.status_code}")
            raise
        except Exception as err:
            outcome = type(err).__name__
            raise
        finally:
            if self.metrics is not None:
                self.metrics.slack_call(api_method, outcome)


def metered_copy(client: AsyncWebClient, metrics: Metrics) -> MeteredWebClient:
    """The same client (token, base URL, session, retry handlers), counting its calls."""
    copy = MeteredWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers.copy() if client.retry_handlers is not None else None,
    )
    copy.metrics = metrics
    return copy


def make_web_client(settings: Settings, *, metrics: Metrics | None = None) -> AsyncWebClient:
    """The Web API client: `SLACK_API_URL` for every call; short 429s wait for Retry-After, 5xx back off (reads and
    updates only: a post is never repeated by the client, see `NOT_REPEATABLE`)."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = MeteredWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            CappedRateLimitRetryHandler(max_retry_count=3),
            ReadsOnlyServerErrorRetryHandler(max_retry_count=2),
            ReadsOnlyConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    client.metrics = metrics
    return client
