"""The three United Way APIs (TMF622 ordering, TMF637 inventory, TMF620 catalog) and the bases of their hrefs."""

from __future__ import annotations

from ..routing import Api

ORDERING = Api(
    "wholesale-ordering",
    backend="wholesale",
    prefixes=("/united-way/discover/product-ordering-management/v1", "/united-way/product-ordering-management/v1"),
    style="tmf",
)
INVENTORY = Api(
    "wholesale-inventory", backend="wholesale", prefixes=("/united-way/product-inventory-management/v1",), style="tmf"
)
CATALOG = Api(
    "wholesale-catalog", backend="wholesale", prefixes=("/united-way/product-catalog-management/v1",), style="tmf"
)

ORDERING_PREFIX = ORDERING.prefixes[0]
INVENTORY_PREFIX = INVENTORY.prefixes[0]
