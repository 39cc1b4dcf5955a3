"""Every carrier error names the reference it was about (`carrier:999999`), in `str(err)` and in the bot's line."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from bot.blocks.common import carrier_error_blocks, carrier_error_text
from integrations._exceptions import (
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    make_status_error,
)
from integrations._redact import register_secret
from integrations.client import OrangeClient
from integrations.sandbox import create_app
from integrations.sandbox.examples import get_example
from integrations.settings import OrangeSettings

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BASE = "http://sandbox.test"
TOKEN_PATH = "/oauth/v3/token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(seconds: float) -> None:
    return None


def sandbox_settings() -> OrangeSettings:
    return OrangeSettings(orange_sandbox_url=BASE, orange_max_retries=1, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Starlette:
    return create_app(clock=clock, start=START, step_seconds=5.0)


@pytest.fixture
async def orange(app: Starlette) -> AsyncIterator[OrangeClient]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    async with OrangeClient(sandbox_settings(), http_client=http, sleep=no_sleep) as client:
        yield client
    await http.aclose()


def mocked(handler: Callable[[httpx.Request], httpx.Response]) -> OrangeClient:
    """A client whose token endpoint works and whose API calls go to `handler`."""

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"token_type": "Bearer", "access_token": "tok-123456", "expires_in": 3600})
        return handler(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(route))
    return OrangeClient(sandbox_settings(), http_client=http, sleep=no_sleep)


def assert_names(err: APIError, reference: str) -> None:
    assert err.reference == reference
    assert reference in str(err)
    assert reference in carrier_error_text(err)


# --- the client ----------------------------------------------------------------------------------


async def test_carrier_order_not_found_names_the_order(orange: OrangeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await orange.carrier.orders.get(999999)
    assert_names(info.value, "carrier:999999")
    assert str(info.value).startswith("carrier:999999: get order: Orange has no such resource")
    assert "code 60" in str(info.value)


@pytest.mark.parametrize(
    ("call", "reference"),
    [
        (lambda o: o.carrier.orders.get("999999"), "carrier:999999"),
        (lambda o: o.carrier.quotes.get(999999), "carrier:999999"),
        (lambda o: o.carrier.sites.get("999999999"), "carrier:999999999"),
        (lambda o: o.carrier.products.get("NOPE0001"), "carrier:NOPE0001"),
        (
            lambda o: o.wholesale.orders.get("00000000-0000-0000-0000-000000000000"),
            "wholesale:00000000-0000-0000-0000-000000000000",
        ),
        (lambda o: o.wholesale.products.get("no-such-product"), "wholesale:no-such-product"),
        (lambda o: o.wholesale.catalog.offering("GOC00000000000"), "wholesale:GOC00000000000"),
        (lambda o: o.business.requests.get("W00NOPE0000"), "business:W00NOPE0000"),
    ],
)
async def test_every_lookup_error_names_its_reference(
    orange: OrangeClient, call: Callable[[OrangeClient], object], reference: str
) -> None:
    with pytest.raises(NotFoundError) as info:
        await call(orange)  # type: ignore[misc]
    assert_names(info.value, reference)


async def test_a_list_names_no_reference(orange: OrangeClient) -> None:
    await orange.http.post(BASE + "/_sandbox/faults", json={"path": "/productOrder$", "status": 404, "count": 1})
    with pytest.raises(NotFoundError) as info:
        await orange.carrier.orders.list().to_list()
    assert info.value.reference is None
    assert str(info.value).startswith("carrier: list orders: ")


async def test_a_refused_cancellation_names_the_order(orange: OrangeClient) -> None:
    created = await orange.wholesale.orders.create(get_example("wholesale/product-order-create-request").body)
    await orange.wholesale.cancellations.create(order_id=created.id)
    with pytest.raises(ConflictError) as info:
        await orange.wholesale.cancellations.create(order_id=created.id)
    assert_names(info.value, f"wholesale:{created.id}")
    # The same when the caller writes the body itself.
    with pytest.raises(ConflictError) as info:
        await orange.wholesale.cancellations.create({"productOrder": {"id": created.id}, "cancellationReason": "x"})
    assert_names(info.value, f"wholesale:{created.id}")


async def test_a_timeout_on_a_get_names_the_reference() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with mocked(slow) as orange:
        with pytest.raises(APITimeoutError) as info:
            await orange.carrier.orders.get(999999)
        await orange.http.aclose()
    assert_names(info.value, "carrier:999999")
    assert "did not answer in time" in str(info.value)


async def test_an_unreadable_answer_names_the_reference() -> None:
    async with mocked(lambda request: httpx.Response(200, content=b"{not json")) as orange:
        with pytest.raises(APIResponseValidationError) as info:
            await orange.wholesale.orders.get("de76cfa1-9a55-412f-a9ee-61ca2f662a63")
        await orange.http.aclose()
    assert_names(info.value, "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63")


async def test_a_token_refusal_under_a_get_names_the_reference() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(401, json={"code": 41, "message": "Invalid credentials"})
        return httpx.Response(200, json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    async with OrangeClient(sandbox_settings(), http_client=http, sleep=no_sleep) as orange:
        with pytest.raises(AuthenticationError) as info:
            await orange.business.requests.get("W05VL130721")
    await http.aclose()
    assert_names(info.value, "business:W05VL130721")


async def test_the_reference_is_redacted(orange: OrangeClient) -> None:
    register_secret("s3cr3t-in-a-reference")
    with pytest.raises(NotFoundError) as info:
        await orange.carrier.orders.get("s3cr3t-in-a-reference")
    err = info.value
    assert err.reference == "carrier:[redacted]"
    for text in (str(err), repr(err.args), carrier_error_text(err)):
        assert "s3cr3t-in-a-reference" not in text


# --- the bot's line ------------------------------------------------------------------------------


async def test_carrier_error_blocks_name_the_reference(orange: OrangeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await orange.carrier.orders.get(999999)
    assert [b.to_dict() for b in carrier_error_blocks(info.value)] == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": ":x: `carrier:999999`: Orange has no such order (code 60)"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "carrier · get order · HTTP 404"}]},
    ]


def test_carrier_error_text_escapes_the_reference() -> None:
    response = httpx.Response(
        404, json={"code": "60"}, request=httpx.Request("GET", "https://api.example/productOrder/x")
    )
    err = make_status_error(backend="carrier", operation="get order", response=response, reference="carrier:<!here>`x")
    section = carrier_error_blocks(err)[0].to_dict()["text"]["text"]
    assert section == ":x: `carrier:&lt;!here&gt;'x`: Orange has no such order (code 60)"


def test_an_error_without_reference_reads_as_before() -> None:
    response = httpx.Response(
        404, json={"code": "60"}, request=httpx.Request("GET", "https://api.example/productOrder/x")
    )
    err = make_status_error(backend="carrier", operation="get order", response=response)
    assert err.reference is None
    assert carrier_error_text(err) == "Orange has no such order (code 60)"
    assert str(err) == "carrier: get order: Orange has no such resource: Resource not found (HTTP 404, code 60)"
