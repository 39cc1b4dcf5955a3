"""The shared request path against httpx.MockTransport: auth, retries, errors in words, secrets kept out."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from integrations._auth import OAuth2ClientCredentials
from integrations._base_client import BaseAPI, RetryPolicy
from integrations._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BusinessRuleError,
    ConflictError,
    InternalServerError,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

SECRET = "s3cr3t-client-secret"
TOKEN_URL = "https://auth.test/oauth/v3/token"
API = "https://api.test/v1"


class Recorder:
    """A stateful MockTransport handler: a token endpoint plus a scripted API."""

    def __init__(self, script: Callable[[httpx.Request, int], httpx.Response] | None = None) -> None:
        self.token_requests = 0
        self.api_requests = 0
        self.tokens: list[str] = []
        self.valid: set[str] = set()
        self.script = script
        self.token_delay = 0.0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests += 1
            assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"cid:{SECRET}".encode()).decode()
            assert b"grant_type=client_credentials" in request.content
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            token = f"tok{self.token_requests}"
            self.tokens.append(token)
            self.valid = {token}
            return httpx.Response(200, json={"token_type": "Bearer", "access_token": token, "expires_in": 3600})
        self.api_requests += 1
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid:
            return httpx.Response(401, json={"code": 42, "message": "Expired credentials", "description": "..."})
        if self.script:
            return self.script(request, self.api_requests)
        return httpx.Response(200, json={"id": "1"})


def make_api(
    handler: Recorder, *, retry: RetryPolicy | None = None
) -> tuple[BaseAPI, OAuth2ClientCredentials, list[float]]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    auth = OAuth2ClientCredentials(
        backend="wholesale",
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret=SecretStr(SECRET),
        http_client=http,
        sleep=sleep,
    )
    api = BaseAPI(backend="wholesale", http_client=http, auth=auth, retry=retry or RetryPolicy(), sleep=sleep)
    return api, auth, sleeps


async def test_hundred_concurrent_calls_on_a_cold_cache_fetch_one_token() -> None:
    handler = Recorder()
    handler.token_delay = 0.01
    api, _, _ = make_api(handler)
    await asyncio.gather(*(api.get_json(f"{API}/productOrder", operation="list orders") for _ in range(100)))
    assert handler.token_requests == 1
    assert handler.api_requests == 100


async def test_expired_token_code_42_refreshes_once_and_replays() -> None:
    handler = Recorder()
    api, _, _ = make_api(handler)
    await api.get_json(f"{API}/x", operation="get")
    handler.valid = set()  # the server expires every token
    body, _ = await api.get_json(f"{API}/x", operation="get")
    assert body == {"id": "1"}
    assert handler.token_requests == 2


async def test_concurrent_expiry_refreshes_once() -> None:
    handler = Recorder()
    api, _, _ = make_api(handler)
    await api.get_json(f"{API}/x", operation="get")
    handler.valid = set()
    await asyncio.gather(*(api.get_json(f"{API}/x", operation="get") for _ in range(50)))
    assert handler.token_requests == 2


async def test_other_401_is_an_authentication_error_not_retried() -> None:
    def script(request: httpx.Request, n: int) -> httpx.Response:
        return httpx.Response(401, json={"code": 41, "message": "Invalid credentials", "description": "bad"})

    handler = Recorder(script)
    api, _, sleeps = make_api(handler)
    with pytest.raises(AuthenticationError) as info:
        await api.get_json(f"{API}/x", operation="list orders")
    assert info.value.code == "41" and info.value.status_code == 401
    assert handler.api_requests == 1 and handler.token_requests == 1 and sleeps == []


async def test_a_token_that_keeps_expiring_is_replayed_only_once() -> None:
    handler = Recorder(lambda r, n: httpx.Response(401, json={"code": 42, "message": "Expired credentials"}))
    api, _, _ = make_api(handler)
    with pytest.raises(AuthenticationError):
        await api.get_json(f"{API}/x", operation="get")
    assert handler.api_requests == 2 and handler.token_requests == 2


async def test_token_endpoint_refusal_says_so_without_the_secret() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": 41, "message": f"bad secret {SECRET}"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    auth = OAuth2ClientCredentials(
        backend="carrier", token_url=TOKEN_URL, client_id="cid", client_secret=SecretStr(SECRET), http_client=http
    )
    api = BaseAPI(backend="carrier", http_client=http, auth=auth)
    with pytest.raises(AuthenticationError) as info:
        await api.get_json(f"{API}/x", operation="get")
    assert "client credentials" in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)


@pytest.mark.parametrize("status", [429, 502, 503, 504, 408])
async def test_get_is_retried_on_transient_statuses(status: int) -> None:
    handler = Recorder(lambda r, n: httpx.Response(status, json={"code": 5}) if n < 3 else httpx.Response(200, json=[]))
    api, _, sleeps = make_api(handler)
    body, _ = await api.get_json(f"{API}/x", operation="get")
    assert body == [] and handler.api_requests == 3 and len(sleeps) == 2
    assert all(0.25 <= s <= 8 for s in sleeps)


async def test_retry_after_is_honoured() -> None:
    handler = Recorder(
        lambda r, n: (
            httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 53}) if n == 1 else httpx.Response(200)
        )
    )
    api, _, sleeps = make_api(handler)
    await api.request("GET", f"{API}/x", operation="get")
    assert sleeps == [7.0]


async def test_retries_are_bounded_in_count_and_time() -> None:
    handler = Recorder(
        lambda r, n: httpx.Response(503, json={"code": 5, "message": "The service is temporarily unavailable"})
    )
    api, _, sleeps = make_api(handler, retry=RetryPolicy(max_retries=3))
    with pytest.raises(InternalServerError) as info:
        await api.get_json(f"{API}/x", operation="get order")
    assert handler.api_requests == 4 and len(sleeps) == 3
    assert "temporarily unavailable" in str(info.value) and "HTTP 503" in str(info.value)

    handler2 = Recorder(lambda r, n: httpx.Response(429, headers={"Retry-After": "3600"}))
    api2, _, sleeps2 = make_api(handler2)
    with pytest.raises(RateLimitError) as info2:
        await api2.get_json(f"{API}/x", operation="get")
    assert sleeps2 == [] and info2.value.retry_after == 3600


async def test_post_is_not_retried_once_it_may_have_reached_the_server() -> None:
    handler = Recorder(lambda r, n: httpx.Response(503))
    api, _, sleeps = make_api(handler)
    with pytest.raises(InternalServerError):
        await api.post_json(f"{API}/productOrder", {"a": 1}, operation="create order")
    assert handler.api_requests == 1 and sleeps == []

    def read_timeout(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    api2, _, sleeps2 = make_api(Recorder(read_timeout))
    with pytest.raises(APITimeoutError) as info:
        await api2.post_json(f"{API}/productOrder", {"a": 1}, operation="create order")
    assert info.value.sent and sleeps2 == []


async def test_post_is_retried_when_the_connection_was_never_made() -> None:
    def refuse_twice(request: httpx.Request, n: int) -> httpx.Response:
        if n <= 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"id": "9"})

    handler = Recorder(refuse_twice)
    api, _, sleeps = make_api(handler)
    body, response = await api.post_json(f"{API}/productOrder", {"a": 1}, operation="create order")
    assert body == {"id": "9"} and response.status_code == 201 and len(sleeps) == 2


async def test_connection_errors_on_get_become_api_connection_error() -> None:
    def refuse(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api, _, sleeps = make_api(Recorder(refuse), retry=RetryPolicy(max_retries=2))
    with pytest.raises(APIConnectionError) as info:
        await api.get_json(f"{API}/x", operation="list sites")
    assert "could not be reached" in str(info.value) and len(sleeps) == 2


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "words"),
    [
        (400, {"code": 25, "description": "Missing header", "message": "X-API-Key"}, BadRequestError, "25", "invalid"),
        (
            400,
            {"code": "PRO_0001_A", "message": "the productOrderSpecification is mandatory"},
            BusinessRuleError,
            "PRO_0001_A",
            "productOrderSpecification",
        ),
        (400, {"code": "PRO_0005_A"}, BusinessRuleError, "PRO_0005_A", "already exists"),
        (403, {"code": 50, "message": "Access denied"}, PermissionDeniedError, "50", "not allowed"),
        (403, {"code": 53, "message": "Too many requests"}, RateLimitError, "53", "limiting"),
        (
            404,
            {"code": "60", "message": "No entity found with ID 'x'!", "reason": "Resource not found", "@type": "Error"},
            NotFoundError,
            "60",
            "No entity found",
        ),
        (405, {"code": 61, "message": "Method not allowed"}, MethodNotAllowedError, "61", "does not allow"),
        (409, {"code": "69", "message": "Conflict"}, ConflictError, "69", "conflict"),
        (500, {"code": 1, "message": "Internal Server Error"}, InternalServerError, "1", "failing"),
        (500, "<html>oops</html>", InternalServerError, None, "failing"),
    ],
)
async def test_errors_are_classified_and_said_in_words(
    status: int, body: object, cls: type[Exception], code: str | None, words: str
) -> None:
    def script(request: httpx.Request, n: int) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    api, _, _ = make_api(Recorder(script), retry=RetryPolicy(max_retries=0))
    with pytest.raises(cls) as info:
        await api.get_json(f"{API}/productOrder/x", operation="get order")
    err = info.value
    assert getattr(err, "code") == code
    assert getattr(err, "backend") == "wholesale" and getattr(err, "operation") == "get order"
    assert getattr(err, "status_code") == status
    assert words.lower() in str(err).lower()


async def test_malformed_json_is_a_validation_error() -> None:
    api, _, _ = make_api(Recorder(lambda r, n: httpx.Response(200, content=b"{not json")))
    with pytest.raises(APIResponseValidationError) as info:
        await api.get_json(f"{API}/x", operation="get order")
    assert "not valid JSON" in str(info.value)


async def test_secrets_never_reach_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    from integrations._redact import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)

    def leak(request: httpx.Request, n: int) -> httpx.Response:
        token = request.headers["Authorization"]
        return httpx.Response(400, json={"code": 26, "message": f"Invalid header value {token} for {SECRET}"})

    handler = Recorder(leak)
    api, _, _ = make_api(handler)
    with pytest.raises(BadRequestError) as info:
        await api.get_json(f"{API}/x", operation="get")
    logging.getLogger("t").warning("leaking %s and %s", SECRET, handler.tokens[0])
    text = str(info.value) + caplog.text + json.dumps(info.value.message)
    assert SECRET not in text
    assert handler.tokens[0] not in text
    assert "[redacted]" in text
