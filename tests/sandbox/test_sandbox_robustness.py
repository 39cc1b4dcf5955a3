"""Whatever a client sends, the sandbox answers like Orange would: never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_testing import BUSINESS, CARRIER, CATALOG, INVENTORY, ORDERING, START, get_token

from integrations.sandbox import create_app

POSTS = [
    f"{CARRIER}/geographicAddressManagement/v1/geographicAddressValidation",
    f"{CARRIER}/productOfferingQualificationManagement/v1/productOfferingQualification",
    f"{CARRIER}/quoteManagement/v1/quote",
    f"{CARRIER}/productOrderManagement/v1/productOrder",
    f"{ORDERING}/productOrder",
    f"{ORDERING}/cancelProductOrder",
    f"{ORDERING}/hub",
    f"{INVENTORY}/hub",
]
LISTS = [
    f"{CARRIER}/geographicSiteManagement/v1/geographicSite",
    f"{CARRIER}/productOrderManagement/v1/productOrder",
    f"{ORDERING}/productOrder",
    f"{INVENTORY}/product",
    f"{CATALOG}/productOffering",
    f"{BUSINESS}/requests",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "productOrderItem",
        "quoteItem",
        "productOfferingQualificationItem",
        "submittedGeographicAddress",
        "externalIdentifier",
        "productOrderSpecification",
        "relatedParty",
        "productOrder",
        "callback",
        "quote",
    ]
)
bodies = st.dictionaries(keys, json_values, max_size=5) | json_values
query_names = st.sampled_from(
    ["offset", "limit", "fields", "sort", "state", "id", "orderDate.gt", "name.ne", "x<", "depth"]
)
queries = st.lists(st.tuples(query_names, st.text(max_size=6)), max_size=4)

APP = create_app(start=START)


async def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://s") as client:
        headers = {"Authorization": f"Bearer {await get_token(client)}", "X-API-Key": "k"}
        return await client.request(method, url, headers=headers, **kwargs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.sampled_from(POSTS), body=bodies)
async def test_posts_never_fail_with_500(url: str, body: Any) -> None:
    response = await call("POST", url, content=json.dumps(body).encode())
    assert response.status_code < 500, response.text
    response.json()


@settings(max_examples=60, deadline=None)
@given(url=st.sampled_from(LISTS), query=queries)
async def test_queries_never_fail_with_500(url: str, query: list[tuple[str, str]]) -> None:
    response = await call("GET", url, params=query)
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400)


@settings(max_examples=30, deadline=None)
@given(raw=st.binary(max_size=40))
async def test_garbage_bytes_never_fail_with_500(raw: bytes) -> None:
    response = await call("POST", f"{ORDERING}/productOrder", content=raw)
    assert response.status_code in (201, 400), response.text
