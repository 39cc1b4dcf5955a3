"""Seed examples → read views: the one table both the view tests and the Block Kit tests walk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from integrations.sandbox.examples import Example, load_examples
from integrations.types.carrier import CarrierProductOrder, ProductOfferingQualification, Quote
from integrations.types.wholesale import ProductOfferingCatalog, WholesaleProductOrder
from integrations.views import (
    OfferingView,
    PriceView,
    address_match_view,
    address_validation_view,
    offering_view,
    order_item_view_from_carrier,
    order_item_view_from_wholesale,
    order_view_from_business,
    order_view_from_carrier,
    order_view_from_wholesale,
    poq_view,
    price_view_from_catalog,
    product_view_from_carrier,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)

__all__ = ["MAPPERS", "VIEWED", "views_of"]

Mapper = Callable[[Any], BaseModel]


def _catalog_offerings(body: dict[str, Any]) -> list[OfferingView]:
    catalog = ProductOfferingCatalog.model_validate(body)
    return [
        offering_view(o, prices=catalog.product_offering_prices, specifications=catalog.product_specifications)
        for o in catalog.product_offerings
    ]


def _catalog_price(body: dict[str, Any]) -> PriceView:
    price = price_view_from_catalog(body)
    assert price is not None
    return price


def _read(model: type[BaseModel], mapper: Callable[[Any], BaseModel]) -> Mapper:
    # Request bodies go through the read model: views are total over whatever parses.
    return lambda body: mapper(model.model_validate(body))


# (backend, api, index model) -> mapper of one object; lists are mapped element-wise.
MAPPERS: dict[tuple[str, str, str], Mapper] = {
    ("carrier", "productOrderManagement", "ProductOrder"): order_view_from_carrier,
    ("carrier", "productOrderManagement", "ProductOrderList"): order_view_from_carrier,
    ("carrier", "productOrderManagement", "ProductOrderCreate"): _read(CarrierProductOrder, order_view_from_carrier),
    ("carrier", "productOrderManagement", "ProductOrderItem"): order_item_view_from_carrier,
    ("carrier", "quoteManagement", "Quote"): quote_view_from_carrier,
    ("carrier", "quoteManagement", "QuoteList"): quote_view_from_carrier,
    ("carrier", "quoteManagement", "QuoteCreate"): _read(Quote, quote_view_from_carrier),
    ("carrier", "geographicSiteManagement", "GeographicSite"): site_view_from_carrier,
    ("carrier", "geographicSiteManagement", "GeographicSiteList"): site_view_from_carrier,
    ("carrier", "productInventoryManagement", "Product"): product_view_from_carrier,
    ("carrier", "productInventoryManagement", "ProductList"): product_view_from_carrier,
    ("carrier", "productOfferingQualificationManagement", "ProductOfferingQualification"): poq_view,
    ("carrier", "productOfferingQualificationManagement", "ProductOfferingQualificationCreate"): _read(
        ProductOfferingQualification, poq_view
    ),
    ("carrier", "geographicAddressManagement", "GeographicAddressValidation"): address_validation_view,
    ("carrier", "geographicAddressManagement", "GeographicAddress"): address_match_view,
    ("wholesale", "productOrdering", "ProductOrder"): order_view_from_wholesale,
    ("wholesale", "productOrdering", "ProductOrderList"): order_view_from_wholesale,
    ("wholesale", "productOrdering", "ProductOrderCreate"): _read(WholesaleProductOrder, order_view_from_wholesale),
    ("wholesale", "productOrdering", "ProductOrderItem"): order_item_view_from_wholesale,
    ("wholesale", "productInventory", "Product"): product_view_from_wholesale,
    ("wholesale", "productInventory", "ProductList"): product_view_from_wholesale,
    ("wholesale", "productCatalog", "ProductOffering"): offering_view,
    ("wholesale", "productCatalog", "ProductOfferingPrice"): lambda body: _catalog_price(body),
    ("business", "requests", "BusinessRequest"): order_view_from_business,
    ("business", "requests", "BusinessRequestList"): order_view_from_business,
}


def _values(example: Example) -> list[Any]:
    body = example.body
    if example.kind == "fragment" and isinstance(body, dict) and len(body) == 1:
        (inner,) = body.values()
        if isinstance(inner, dict | list):
            body = inner
    return body if isinstance(body, list) else [body]


def views_of(example: Example) -> list[Any]:
    if example.model == "ProductOfferingCatalog":
        return list(_catalog_offerings(example.body))
    mapper = MAPPERS[(example.backend, example.api, example.model)]
    return [mapper(value) for value in _values(example)]


VIEWED = [e for e in load_examples() if (e.backend, e.api, e.model) in MAPPERS or e.model == "ProductOfferingCatalog"]
