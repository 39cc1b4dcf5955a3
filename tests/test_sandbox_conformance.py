"""The sandbox's live answers for the documented operations, checked against the official MEF / TM Forum schemas.

Differences are excused only by `spec_conformance.DEVIATIONS`, the one list of where Orange's documents differ
from the standard: a sandbox answer that differs in any other way fails here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from spec_conformance import PROSE_ONLY, definition_for, errors_for, specs_available, validate

from integrations.sandbox import create_app
from integrations.sandbox.examples import get_example

pytestmark = pytest.mark.skipif(not specs_available(), reason="shared/specs (the official OpenAPI files) is absent")

C = "/internationalcarriers/mefApi/sonata"
W = "/united-way/discover/product-ordering-management/v1"
I = "/united-way/product-inventory-management/v1"  # noqa: E741
K = "/united-way/product-catalog-management/v1"

# (method, path, body example slug, backend, api, model, partial)
OPERATIONS: list[tuple[str, str, str | None, str, str, str, bool]] = [
    (
        "GET",
        f"{C}/geographicAddressManagement/v1/geographicAddress/22482972",
        None,
        "carrier",
        "geographicAddressManagement",
        "GeographicAddress",
        False,
    ),
    (
        "POST",
        f"{C}/geographicAddressManagement/v1/geographicAddressValidation",
        "carrier/geographic-address-validation-create-request",
        "carrier",
        "geographicAddressManagement",
        "GeographicAddressValidation",
        False,
    ),
    (
        "GET",
        f"{C}/geographicSiteManagement/v1/geographicSite",
        None,
        "carrier",
        "geographicSiteManagement",
        "GeographicSiteList",
        False,
    ),
    (
        "GET",
        f"{C}/geographicSiteManagement/v1/geographicSite/105740",
        None,
        "carrier",
        "geographicSiteManagement",
        "GeographicSite",
        False,
    ),
    (
        "POST",
        f"{C}/productOfferingQualificationManagement/v1/productOfferingQualification",
        "carrier/poq-create-1-request",
        "carrier",
        "productOfferingQualificationManagement",
        "ProductOfferingQualification",
        False,
    ),
    (
        "POST",
        f"{C}/quoteManagement/v1/quote",
        "carrier/quote-create-1-request",
        "carrier",
        "quoteManagement",
        "Quote",
        False,
    ),
    ("GET", f"{C}/quoteManagement/v1/quote", None, "carrier", "quoteManagement", "QuoteList", False),
    ("GET", f"{C}/quoteManagement/v1/quote/6", None, "carrier", "quoteManagement", "Quote", False),
    (
        "POST",
        f"{C}/productOrderManagement/v1/productOrder",
        "carrier/product-order-create-1-request",
        "carrier",
        "productOrderManagement",
        "ProductOrder",
        False,
    ),
    (
        "GET",
        f"{C}/productOrderManagement/v1/productOrder",
        None,
        "carrier",
        "productOrderManagement",
        "ProductOrderList",
        False,
    ),
    (
        "GET",
        f"{C}/productOrderManagement/v1/productOrder/11",
        None,
        "carrier",
        "productOrderManagement",
        "ProductOrder",
        False,
    ),
    (
        "GET",
        f"{C}/productInventoryManagement/v1/product",
        None,
        "carrier",
        "productInventoryManagement",
        "ProductList",
        True,
    ),
    (
        "GET",
        f"{C}/productInventoryManagement/v1/product/LDD30114",
        None,
        "carrier",
        "productInventoryManagement",
        "Product",
        False,
    ),
    ("GET", f"{W}/productOrder", None, "wholesale", "productOrdering", "ProductOrderList", True),
    (
        "GET",
        f"{W}/productOrder/de76cfa1-9a55-412f-a9ee-61ca2f662a63",
        None,
        "wholesale",
        "productOrdering",
        "ProductOrder",
        False,
    ),
    (
        "GET",
        f"{W}/productOrder/de76cfa1-9a55-412f-a9ee-61ca2f662a63/productOrderItem/O40140084001",
        None,
        "wholesale",
        "productOrdering",
        "ProductOrderItem",
        False,
    ),
    (
        "POST",
        f"{W}/productOrder",
        "wholesale/product-order-create-request",
        "wholesale",
        "productOrdering",
        "ProductOrder",
        False,
    ),
    (
        "POST",
        f"{W}/cancelProductOrder",
        "wholesale/cancel-product-order-create-request",
        "wholesale",
        "productOrdering",
        "CancelProductOrder",
        False,
    ),
    ("GET", f"{I}/product", None, "wholesale", "productInventory", "ProductList", True),
    (
        "GET",
        f"{I}/product/2c9180837dba2335017dc33dffc5002a?depth=2",
        None,
        "wholesale",
        "productInventory",
        "Product",
        True,
    ),
    ("GET", f"{K}/productOffering/GOC40150084001", None, "wholesale", "productCatalog", "ProductOffering", True),
    (
        "GET",
        f"{K}/productOfferingPrice/TAR40150084003",
        None,
        "wholesale",
        "productCatalog",
        "ProductOfferingPrice",
        True,
    ),
    (
        "GET",
        f"{K}/productSpecification/PS40150084001",
        None,
        "wholesale",
        "productCatalog",
        "ProductSpecification",
        True,
    ),
    (
        "GET",
        f"{K}/productSpecCharacteristic/FONC40990080002",
        None,
        "wholesale",
        "productCatalog",
        "ProductSpecCharacteristic",
        True,
    ),
    ("GET", f"{K}/category/AERO", None, "wholesale", "productCatalog", "Category", True),
    ("GET", f"{W}/productOrder/does-not-exist", None, "wholesale", "productOrdering", "Error", False),
]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(start=datetime(2026, 1, 5, tzinfo=UTC))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
        token = (
            await client.post("/oauth/v3/token", data={"grant_type": "client_credentials"}, auth=("id", "secret"))
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.mark.parametrize(
    ("method", "path", "slug", "backend", "api", "model", "partial"),
    OPERATIONS,
    ids=[f"{op[0]} {op[1].split('/v1', 1)[-1]}" for op in OPERATIONS],
)
async def test_sandbox_answer_matches_the_official_schema(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    slug: str | None,
    backend: str,
    api: str,
    model: str,
    partial: bool,
) -> None:
    if slug is not None:
        payload = get_example(slug).body
        if slug.startswith("wholesale/cancel"):
            created = await http.post(
                f"{W}/productOrder", json=get_example("wholesale/product-order-create-request").body
            )
            payload["productOrder"]["id"] = created.json()["id"]
        response = await http.request(method, path, json=payload)
    else:
        response = await http.request(method, path)
    assert response.status_code < 500
    definition = definition_for(backend, api, model)
    assert definition is not None, f"no official definition for {backend}/{api}/{model}"
    errors = validate(response.json(), backend=backend, api=api, definition=definition, partial=partial)
    assert errors == [], "\n".join(errors)


async def test_prose_only_deviations_are_needed_by_the_sandbox(http: httpx.AsyncClient) -> None:
    created = await http.post(f"{W}/productOrder", json=get_example("wholesale/product-order-create-request").body)
    findings = errors_for(created.json(), backend="wholesale", api="productOrdering", definition="ProductOrder")
    used = {f.deviation.id for f in findings if f.deviation is not None}
    assert PROSE_ONLY <= used
