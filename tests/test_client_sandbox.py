"""Every client operation against the sandbox, in-process (httpx.ASGITransport) and over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from integrations._exceptions import (
    APIResponseValidationError,
    BusinessRuleError,
    ConflictError,
    InternalServerError,
    InvalidReferenceError,
    NotFoundError,
)
from integrations.client import BackendNotEnabledError, OrangeClient
from integrations.sandbox import create_app
from integrations.sandbox.examples import get_example
from integrations.sandbox.server import running
from integrations.settings import OrangeSettings
from integrations.states import OrderState, QuoteState
from integrations.views import (
    order_view_from_carrier,
    order_view_from_wholesale,
    poq_view,
    product_view_from_wholesale,
    quote_view_from_carrier,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BASE = "http://sandbox.test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Starlette:
    return create_app(clock=clock, start=START, step_seconds=5.0)


@pytest.fixture
async def admin(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


@pytest.fixture
async def orange(app: Starlette) -> AsyncIterator[OrangeClient]:
    async def no_sleep(seconds: float) -> None:
        return None

    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    settings = OrangeSettings(orange_sandbox_url=BASE, _env_file=None)  # type: ignore[call-arg]
    async with OrangeClient(settings, http_client=http, sleep=no_sleep) as client:
        yield client
    await http.aclose()


def body(slug: str) -> Any:
    return get_example(slug).body


async def request_count(admin: httpx.AsyncClient) -> int:
    return int((await admin.get("/_sandbox/requests")).json()["total"])


# --- carrier -------------------------------------------------------------------------------------------------


async def test_carrier_address_validation_and_lookup(orange: OrangeClient) -> None:
    result = await orange.carrier.addresses.validate(body("carrier/geographic-address-validation-create-request"))
    assert result.validation_result == "success"
    assert result.best_match_geographic_address is not None
    assert result.best_match_geographic_address.id == "22482972"
    address = await orange.carrier.addresses.get("22482972")
    assert address.id == "22482972"


async def test_carrier_sites_filter_and_get(orange: OrangeClient) -> None:
    paris = [site async for site in orange.carrier.sites.list({"geographicAddress.city": "Paris"})]
    assert [s.id for s in paris] == ["105740"]
    everything = [site.id async for site in orange.carrier.sites.list()]
    assert {"1265904", "1354977", "105740"} <= set(everything)
    site = await orange.carrier.sites.get("105740")
    assert site.site_name == "Bagnolet"
    with pytest.raises(NotFoundError):
        await orange.carrier.sites.get("999999999")


async def test_carrier_poq_quote_and_order_with_quote_reference(orange: OrangeClient) -> None:
    poq = poq_view(await orange.carrier.qualifications.create(body("carrier/poq-create-1-request")))
    assert poq.state == "done"
    assert all(item.serviceability_confidence == "green" for item in poq.items)

    quote = quote_view_from_carrier(await orange.carrier.quotes.create(body("carrier/quote-create-1-request")))
    assert quote.state is QuoteState.approved and quote.is_orderable(START)
    listed = [q.id async for q in orange.carrier.quotes.list()]
    assert {"4", "5", "6", "7", quote.id} <= set(listed)
    assert quote_view_from_carrier(await orange.carrier.quotes.get(6)).state is QuoteState.approved

    order_body = body("carrier/product-order-create-1-request")
    order_body["externalId"] = "BOT-RECONCILE-1"
    for item in order_body["productOrderItem"]:
        item["quote"] = {"id": quote.id}
    created = order_view_from_carrier(await orange.carrier.orders.create(order_body))
    assert created.quote_ids == (quote.id,)
    # Reconciliation after a crash looks the order up by its external id.
    found = [o.id async for o in orange.carrier.orders.list({"externalId": "BOT-RECONCILE-1"})]
    assert found == [created.id]
    fetched = order_view_from_carrier(await orange.carrier.orders.get(created.id))
    assert fetched.id == created.id


async def test_carrier_order_list_get_and_products(orange: OrangeClient) -> None:
    ids = [o.id async for o in orange.carrier.orders.list()]
    assert {"9", "11", "13", "14"} <= set(ids)
    eleven = order_view_from_carrier(await orange.carrier.orders.get(11))
    assert eleven.state is OrderState.pending and len(eleven.items) == 3
    products = [p.id async for p in orange.carrier.products.list()]
    assert "LDD30114" in products
    product = await orange.carrier.products.get("LDD30114")
    assert product.id == "LDD30114"


# --- wholesale -----------------------------------------------------------------------------------------------


async def test_wholesale_orders_filters_fields_and_item(orange: OrangeClient) -> None:
    in_progress = [o async for o in orange.wholesale.orders.list({"state": "INPROGRESS", "fields": ["state"]})]
    assert in_progress and all(order_view_from_wholesale(o).state is OrderState.in_progress for o in in_progress)
    order = await orange.wholesale.orders.get("de76cfa1-9a55-412f-a9ee-61ca2f662a63")
    assert order.id == "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
    item = await orange.wholesale.orders.get_item("de76cfa1-9a55-412f-a9ee-61ca2f662a63", "O40140084001")
    assert item.state == "inProgress.accepted"


async def test_wholesale_create_follow_and_cancel(orange: OrangeClient, clock: Clock) -> None:
    created = await orange.wholesale.orders.create(body("wholesale/product-order-create-request"))
    assert created.id
    view = order_view_from_wholesale(created)
    assert view.state is OrderState.acknowledged
    clock.now += 5
    assert order_view_from_wholesale(await orange.wholesale.orders.get(created.id)).state is OrderState.accepted
    cancel = await orange.wholesale.cancellations.create(order_id=created.id, reason="Rétractation client")
    assert cancel.id
    clock.now += 15
    final = order_view_from_wholesale(await orange.wholesale.orders.get(created.id))
    assert final.state is OrderState.cancelled and final.is_final
    with pytest.raises(ConflictError):
        await orange.wholesale.cancellations.create(order_id=created.id)


async def test_wholesale_business_rules_are_business_rule_errors(orange: OrangeClient) -> None:
    order = body("wholesale/product-order-create-request")
    order.pop("productorderSpecification", None)
    order.pop("productOrderSpecification", None)
    with pytest.raises(BusinessRuleError) as info:
        await orange.wholesale.orders.create(order)
    assert info.value.code == "PRO_0001_A"
    assert "productOrderSpecification" in str(info.value)


async def test_wholesale_hubs_inventory_and_catalog(orange: OrangeClient) -> None:
    hub = await orange.wholesale.hub.register(
        "https://listener.example/orders", query="eventType = ProductOrderCreateEvent"
    )
    assert hub.id
    await orange.wholesale.hub.unregister(hub.id)
    inventory_hub = await orange.wholesale.inventory_hub.register("https://listener.example/products")
    await orange.wholesale.inventory_hub.unregister(inventory_hub.id or "")

    products = [
        p async for p in orange.wholesale.products.list({"relatedParty.id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f"})
    ]
    assert products
    tree = product_view_from_wholesale(await orange.wholesale.products.get("2c9180837dba2335017dc33dffc5002a", depth=2))
    assert tree.children and tree.children[0].children

    assert (await orange.wholesale.catalog.offering("GOC40150084001")).name == "Offre exemple"
    assert (await orange.wholesale.catalog.price("TAR40150084003")).id == "TAR40150084003"
    assert (await orange.wholesale.catalog.specification("PS40150084001")).id == "PS40150084001"
    assert (await orange.wholesale.catalog.characteristic("FONC40990080002")).name == "Intervention"
    assert (await orange.wholesale.catalog.category("AERO")).name == "Aero"


# --- business ------------------------------------------------------------------------------------------------


async def test_business_requests_filter_sort_and_paging_headers(orange: OrangeClient) -> None:
    generic = [r async for r in orange.business.requests.list({"type": "C_GENERIC_S1"})]
    assert generic and all(r.request_type == "C_GENERIC_S1" for r in generic)
    page = await orange.business.requests.list({"sort": "-createdAt", "offset": 10}, limit=20)
    assert page.offset == 10 and len(page) == page.result_count and page.total is not None and page.total > 20
    one = await orange.business.requests.get("W05VL130721")
    assert one.id == "W05VL130721"


async def test_business_requires_the_api_key(app: Starlette) -> None:
    settings = OrangeSettings(orange_sandbox_url=BASE, _env_file=None)  # type: ignore[call-arg]
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    async with OrangeClient(settings, http_client=http) as orange:
        orange.business.api._headers.pop("X-API-Key")
        with pytest.raises(Exception) as info:
            await orange.business.requests.get("W05VL130721")
        assert "Missing header" in str(info.value)
    await http.aclose()


# --- collections, tokens, faults -----------------------------------------------------------------------------


async def test_pagination_walks_a_capped_server(orange: OrangeClient, admin: httpx.AsyncClient) -> None:
    created = (await admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 130})).json()
    ids = created["ids"]
    paginator = orange.wholesale.orders.list({"id": ids, "fields": ["state"]}, limit=500)
    first = await paginator
    assert len(first) == 50 and first.total == 130  # the server capped limit=500 at 50
    walked = [o.id async for o in paginator]
    assert sorted(walked) == sorted(ids)


async def test_expired_token_is_refreshed_once(orange: OrangeClient, admin: httpx.AsyncClient) -> None:
    await orange.wholesale.orders.get("de76cfa1-9a55-412f-a9ee-61ca2f662a63")
    await admin.post("/_sandbox/tokens/expire")
    await orange.wholesale.orders.get("de76cfa1-9a55-412f-a9ee-61ca2f662a63")
    assert orange.token_requests()["wholesale"] == 2


async def test_faults_are_retried_for_reads_not_for_writes(orange: OrangeClient, admin: httpx.AsyncClient) -> None:
    await admin.post("/_sandbox/faults", json={"path": "/productOrder/11$", "status": 503, "count": 2})
    assert (await orange.carrier.orders.get(11)).id == "11"

    await admin.post(
        "/_sandbox/faults",
        json={"path": "productOrderManagement/v1/productOrder$", "method": "POST", "status": 503, "count": 1},
    )
    before = await request_count(admin)
    with pytest.raises(InternalServerError):
        await orange.carrier.orders.create(body("carrier/product-order-create-1-request"))
    assert await request_count(admin) - before == 1

    await admin.post("/_sandbox/faults", json={"path": "/productOrder/11$", "status": 200, "body": "{not json"})
    with pytest.raises(APIResponseValidationError):
        await orange.carrier.orders.get(11)


async def test_bad_ids_are_refused_before_any_request(orange: OrangeClient, admin: httpx.AsyncClient) -> None:
    before = await request_count(admin)
    for bad in ["../11", "a/b", "x" * 500, "a\nb"]:
        with pytest.raises(InvalidReferenceError):
            await orange.wholesale.orders.get(bad)
    assert await request_count(admin) == before


def test_disabled_backend_is_a_clear_error() -> None:
    settings = OrangeSettings(orange_carrier_client_id="id", orange_carrier_client_secret="s", _env_file=None)  # type: ignore[call-arg]
    orange = OrangeClient(settings)
    with pytest.raises(BackendNotEnabledError) as info:
        _ = orange.wholesale
    assert "not configured" in str(info.value) and "carrier" in str(info.value)


# --- real socket -----------------------------------------------------------------------------------------------


async def test_token_and_retry_paths_over_a_real_socket() -> None:
    with running(step_seconds=5.0) as sandbox:
        settings = OrangeSettings(orange_sandbox_url=sandbox.url, _env_file=None)  # type: ignore[call-arg]
        async with OrangeClient(settings) as orange, httpx.AsyncClient(base_url=sandbox.url) as admin:
            await admin.post(
                "/_sandbox/faults",
                json={"path": "/productOrder/11$", "status": 503, "count": 1, "headers": {"Retry-After": "0"}},
            )
            assert (await orange.carrier.orders.get(11)).id == "11"
            await admin.post("/_sandbox/tokens/expire")
            assert (await orange.carrier.orders.get(9)).id == "9"
            assert orange.token_requests()["carrier"] == 2
            counts = (await admin.get("/_sandbox/requests")).json()
            assert sum(counts["token_requests"].values()) == 2
