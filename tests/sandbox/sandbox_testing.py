"""Shared helpers of the sandbox tests (a unique module name: test dirs have no ``__init__.py``)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx

CARRIER = "/internationalcarriers/mefApi/sonata"
ORDERING = "/united-way/discover/product-ordering-management/v1"
INVENTORY = "/united-way/product-inventory-management/v1"
CATALOG = "/united-way/product-catalog-management/v1"
BUSINESS = "/ordering/b2b/v2"
START = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
DE76 = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"


def basic(client_id: str = "client", secret: str = "secret") -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def get_token(client: httpx.AsyncClient, client_id: str = "client") -> str:
    response = await client.post(
        "/oauth/v3/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic(client_id)}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def wholesale_order(external_id: str = "ORDER-0001", **overrides: Any) -> dict[str, Any]:
    """A minimal valid United Way order."""
    body: dict[str, Any] = {
        "externalIdentifier": [
            {
                "id": external_id,
                "externalIdentifierType": "customerIdentifier",
                "owner": "ACME",
                "@type": "ExternalIdentifier",
            }
        ],
        "productOrderSpecification": "Acquisition",
        "relatedParty": [
            {
                "@referredType": "organization",
                "id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f",
                "name": "ACME",
                "role": "buyer",
            }
        ],
        "productOrderItem": [
            {
                "id": "GOC40140084001",
                "action": "add",
                "product": {"productOffering": {"id": "GOC40140084001", "name": "Just Fibre TEST"}},
                "productOrderItemRelationship": [{"id": "O40140084001", "relationshipType": "bundles"}],
            },
            {
                "id": "O40140084001",
                "action": "add",
                "product": {"productOffering": {"id": "O40140084001", "name": "Accès"}},
            },
        ],
    }
    body.update(overrides)
    return body
