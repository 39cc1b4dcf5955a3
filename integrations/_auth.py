"""OAuth2 client credentials as an `httpx.Auth`, with one cached token per backend.

Orange's rule: never fetch a token per call, never hard-code its lifetime; on 401 with code 42 ("Expired
credentials") fetch a new one and replay once. Any other 401 is an authentication error and is not retried.
A lock makes 100 concurrent calls on a cold cache share a single token request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx
from pydantic import SecretStr

from integrations._base_client import BaseAPI, RetryPolicy, Sleep, parse_json, parse_model
from integrations._exceptions import APIStatusError, AuthenticationError, carrier_code, error_body
from integrations._observe import NO_OBSERVER, Observer
from integrations._redact import register_secret
from integrations.types.auth import TokenResponse as Token

__all__ = ["OAuth2ClientCredentials", "is_expired_token_response"]

log = logging.getLogger("integrations.auth")

EXPIRED_CODE = "42"


def is_expired_token_response(response: httpx.Response) -> bool:
    """True for Orange's "401, code 42: Expired credentials"."""
    return response.status_code == 401 and carrier_code(error_body(response)) == EXPIRED_CODE


class OAuth2ClientCredentials(httpx.Auth):
    def __init__(
        self,
        *,
        backend: str,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        http_client: httpx.AsyncClient,
        scopes: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.backend = backend
        self._observer = observer
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._clock = clock
        self._api = BaseAPI(
            backend=backend, http_client=http_client, retry=retry, sleep=sleep, clock=clock, observer=observer
        )
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None
        self.token_requests = 0
        register_secret(client_secret.get_secret_value())

    def _usable(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at

    async def token(self) -> str:
        """The cached token, fetched once when missing or past the lifetime the server gave."""
        if self._usable():
            assert self._token is not None
            return self._token
        async with self._lock:
            if not self._usable():
                await self._fetch()
            assert self._token is not None
            return self._token

    async def refresh(self, stale: str | None) -> str:
        """Replace `stale`; when another call already replaced it, reuse that token."""
        async with self._lock:
            if self._token is None or self._token == stale or not self._usable():
                await self._fetch()
            assert self._token is not None
            return self._token

    async def _fetch(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self._scopes:
            form["scope"] = self._scopes
        self.token_requests += 1
        self._observer.token_fetched(self.backend)
        operation = "get an access token"
        try:
            # A token request changes nothing on the server, so it may be retried like a GET.
            response = await self._api.request(
                "POST",
                self._token_url,
                operation=operation,
                form=form,
                auth=httpx.BasicAuth(self._client_id, self._client_secret.get_secret_value()),
                idempotent=True,
            )
        except APIStatusError as err:
            if err.status_code in (400, 401, 403):
                raise AuthenticationError(
                    f"Orange refused the client credentials configured for {self.backend}",
                    backend=self.backend,
                    operation=operation,
                    status_code=err.status_code,
                    code=err.code,
                ) from None
            raise
        body = parse_json(response, backend=self.backend, operation=operation)
        token = parse_model(Token, body, backend=self.backend, operation=operation)
        self._token = token.access_token
        register_secret(token.access_token)
        # The lifetime is the server's word for this token, never a constant of ours; without it we wait for 42.
        if token.expires_in is not None and token.expires_in > 0:
            margin = min(30.0, token.expires_in * 0.1)
            self._expires_at = self._clock() + token.expires_in - margin
        else:
            self._expires_at = None
        log.info("%s: new access token (lifetime %s s)", self.backend, token.expires_in)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            await response.aread()  # overriding async_auth_flow means reading the body ourselves
        if is_expired_token_response(response):
            log.info("%s: access token expired (401 code 42); refreshing once", self.backend)
            token = await self.refresh(token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2ClientCredentials works with httpx.AsyncClient only")
        yield request  # pragma: no cover
