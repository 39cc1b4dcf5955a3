"""One request path for every backend: auth, explicit timeouts, bounded retries, errors in words.

Retries follow STYLE.md: 408, 429, 502, 503, 504 and connection errors, a few times, bounded in total time;
Retry-After is obeyed up to 60 s, otherwise 0.5 s x 2^n (cap 8 s) with jitter. Orange has no idempotency keys,
so a POST is retried only when it provably never reached the server (the connection was never made).

A call about one resource passes its `reference` (`carrier:11`): every error the call raises names it, including
one raised by the OAuth flow under it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from integrations._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    RateLimitError,
    make_status_error,
)
from integrations._observe import NO_OBSERVER, Observer
from integrations._query import build_query
from integrations._rate import RateLimiter
from integrations._redact import redact

__all__ = ["DEFAULT_TIMEOUT", "BaseAPI", "RetryPolicy", "Sleep", "parse_json", "parse_model"]

log = logging.getLogger("integrations.http")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0, pool=10.0)
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most `max_retries` retries, and never past `budget` seconds in total."""

    max_retries: int = 3
    budget: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2.0**attempt))
        return ceiling * (0.5 + random.random() / 2)


def parse_json(response: httpx.Response, *, backend: str, operation: str, reference: str | None = None) -> Any:
    """The JSON body of a successful response; unreadable JSON is an `APIResponseValidationError`."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise APIResponseValidationError(
            "Orange sent an answer that is not valid JSON",
            backend=backend,
            operation=operation,
            status_code=response.status_code,
            reference=reference,
        ) from err


def parse_model(
    model: type[T] | TypeAdapter[T], data: Any, *, backend: str, operation: str, reference: str | None = None
) -> T:
    """Validate `data` into `model`, turning a validation failure into one readable sentence."""
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(data)
        return TypeAdapter(model).validate_python(data)
    except ValidationError as err:
        first = err.errors()[0] if err.errors() else {"loc": (), "msg": str(err)}
        where = ".".join(str(p) for p in first.get("loc", ())) or "the body"
        raise APIResponseValidationError(
            f"Orange sent an answer we could not read ({where}: {first.get('msg', 'invalid')})",
            backend=backend,
            operation=operation,
            reference=reference,
        ) from err


class BaseAPI:
    """Sends requests for one backend; resources call `request` / `get_json` with an operation name."""

    def __init__(
        self,
        *,
        backend: str,
        http_client: httpx.AsyncClient,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        observer: Observer = NO_OBSERVER,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.backend = backend
        self.limiter = limiter or RateLimiter(0)
        """Every attempt passes it, retries included: the backend's one request-rate cap."""
        self._observer = observer
        self._http = http_client
        self._auth = auth
        self._headers = dict(headers or {})
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock = clock

    async def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        params: Mapping[str, object] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        idempotent: bool | None = None,
        reference: str | None = None,
    ) -> httpx.Response:
        """Send one request with retries; return the response (2xx/3xx) or raise an `APIError` about `reference`."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        query = build_query(params)
        content = None
        headers = {"Accept": "application/json", **self._headers}
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, default=str).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        elif form is not None:
            content = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request_auth = auth if auth is not None else self._auth
        started = self._clock()
        attempt = 0
        while True:
            error: APIError
            retry_after: float | None = None
            await self.limiter.acquire()
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=httpx.QueryParams(tuple(query)) if query else None,
                    content=content,
                    headers=headers,
                    auth=request_auth if request_auth is not None else httpx.USE_CLIENT_DEFAULT,
                    timeout=self._timeout,
                )
            except APIError as err:  # raised by the auth flow (its token request knows nothing of this call)
                raise err.with_reference(reference)
            except httpx.UnsupportedProtocol as err:
                raise APIConnectionError(
                    f"The URL configured for {self.backend} is not usable ({redact(str(err))})",
                    backend=self.backend,
                    operation=operation,
                    sent=False,
                    reference=reference,
                ) from err
            except httpx.TimeoutException as err:
                self._observer.request_done(self.backend, operation, "timeout")
                sent = not isinstance(err, httpx.ConnectTimeout | httpx.PoolTimeout)
                error = APITimeoutError(backend=self.backend, operation=operation, sent=sent, reference=reference)
                if not (idempotent or not sent):
                    raise error from err
                cause: BaseException = err
            except httpx.TransportError as err:
                self._observer.request_done(self.backend, operation, "unreachable")
                sent = not isinstance(err, httpx.ConnectError)
                error = APIConnectionError(backend=self.backend, operation=operation, sent=sent, reference=reference)
                if not (idempotent or not sent):
                    raise error from err
                cause = err
            else:
                log.debug("%s %s %s -> %s", self.backend, method, response.request.url.path, response.status_code)
                self._observer.request_done(self.backend, operation, str(response.status_code))
                if response.status_code < 400:
                    return response
                await response.aread()
                error = make_status_error(
                    backend=self.backend, operation=operation, response=response, reference=reference
                )
                if response.status_code not in RETRY_STATUSES or not idempotent:
                    raise error
                if isinstance(error, RateLimitError):
                    retry_after = error.retry_after
                cause = error
            delay = self._retry.delay(attempt, retry_after)
            elapsed = self._clock() - started
            if attempt >= self._retry.max_retries or elapsed + delay > self._retry.budget:
                if error is cause:
                    raise error
                raise error from cause
            log.info("%s: %s failed (%s); retry %d in %.1fs", self.backend, operation, error.kind, attempt + 1, delay)
            await self._sleep(delay)
            attempt += 1

    async def get_json(
        self,
        url: str,
        *,
        operation: str,
        params: Mapping[str, object] | None = None,
        reference: str | None = None,
    ) -> tuple[Any, httpx.Response]:
        response = await self.request("GET", url, operation=operation, params=params, reference=reference)
        return parse_json(response, backend=self.backend, operation=operation, reference=reference), response

    async def post_json(
        self,
        url: str,
        body: Any,
        *,
        operation: str,
        idempotent: bool | None = None,
        reference: str | None = None,
    ) -> tuple[Any, httpx.Response]:
        response = await self.request(
            "POST", url, operation=operation, json_body=body, idempotent=idempotent, reference=reference
        )
        return parse_json(response, backend=self.backend, operation=operation, reference=reference), response
