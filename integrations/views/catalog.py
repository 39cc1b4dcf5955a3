"""Wholesale catalog offerings (TMF620), with their prices and configurable characteristics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from integrations.types.common import OrderPrice
from integrations.types.wholesale import ProductOffering, ProductOfferingPrice, ProductSpecification

from ._common import PriceView, View, as_model, canonical, id_key, price_view

__all__ = [
    "CharacteristicSpecView",
    "OfferingRefView",
    "OfferingView",
    "offering_view",
    "price_view_from_catalog",
]


class OfferingRefView(View):
    """An offering by id and name."""

    id: str
    name: str | None = None


class CharacteristicSpecView(View):
    """A configurable characteristic of an offering and its allowed values."""

    id: str | None = None
    name: str | None = None
    values: tuple[str, ...] = ()


class OfferingView(View):
    """A wholesale catalog offering."""

    id: str
    name: str | None = None
    type: str | None = None
    """`contract`, `play`, `set`, `atomicOffer`."""
    bundled_offerings: tuple[OfferingRefView, ...] = ()
    categories: tuple[str, ...] = ()
    prices: tuple[PriceView, ...] = ()
    characteristics: tuple[CharacteristicSpecView, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    """`otherProperty` simple values, e.g. `("apiOrderable", "false")`."""


def price_view_from_catalog(price: ProductOfferingPrice | Mapping[str, Any]) -> PriceView | None:
    """A TMF620 `productOfferingPrice` as a `PriceView`; None when it carries no amount."""
    p = as_model(ProductOfferingPrice, price)
    return price_view(
        OrderPrice(
            name=p.name,
            price_type=p.price_type,
            recurring_charge_period_type=p.recurring_charge_period_type,
            price=p.price,
        )
    )


def offering_view(
    offering: ProductOffering | Mapping[str, Any],
    *,
    prices: Iterable[ProductOfferingPrice | Mapping[str, Any]] = (),
    specifications: Iterable[ProductSpecification | Mapping[str, Any]] = (),
) -> OfferingView:
    """A catalog offering; its prices and specifications are fetched separately and joined here."""
    o = as_model(ProductOffering, offering)
    price_views = [v for v in (price_view_from_catalog(p) for p in prices) if v is not None]
    chars = [
        CharacteristicSpecView(
            id=c.id,
            name=c.name,
            values=tuple(sorted({v.value for v in c.product_spec_characteristic_value if v.value})),
        )
        for spec in (as_model(ProductSpecification, s) for s in specifications)
        for c in spec.product_spec_characteristic
    ]
    return OfferingView(
        id=o.id or "",
        name=o.name,
        type=o.product_offering_type,
        bundled_offerings=canonical(
            (OfferingRefView(id=b.id, name=b.name) for b in o.bundled_product_offering if b.id),
            lambda v: id_key(v.id),
        ),
        categories=tuple(sorted({c.name or c.id for c in o.category if c.name or c.id})),
        prices=canonical(price_views, lambda v: (v.kind, v.name or "", v.amount)),
        characteristics=canonical(chars, lambda v: (v.id or "", v.name or "")),
        properties=tuple(
            sorted({(prop.id or prop.name or "", prop.simple_value) for prop in o.other_property if prop.simple_value})
        ),
    )
