"""Inventory products of the carrier and wholesale backends."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from integrations.states import ProductStatus, normalize_operational_status, normalize_product_status
from integrations.types.carrier import CarrierProduct
from integrations.types.common import as_datetime
from integrations.types.wholesale import WholesaleProduct

from ._common import (
    BANDWIDTH_NAMES,
    COS_NAMES,
    Backend,
    PriceView,
    TermView,
    View,
    as_model,
    canonical,
    characteristic,
    characteristics_of,
    configuration,
    id_key,
    price_views,
    term_view,
    unique,
)

__all__ = [
    "ProductView",
    "product_view_from_carrier",
    "product_view_from_wholesale",
]


class ProductView(View):
    """An inventory product of any backend."""

    backend: Backend
    id: str
    reference: str
    name: str | None = None
    status: ProductStatus = ProductStatus.unknown
    status_raw: str | None = None
    operational_status: str | None = None
    """Orange's operating status, normalised (`active`, `in_disturbance`, `pending_modification`…)."""
    offering_id: str | None = None
    offering_name: str | None = None
    specification_id: str | None = None
    bandwidth: str | None = None
    class_of_service: str | None = None
    order_id: str | None = None
    prices: tuple[PriceView, ...] = ()
    terms: tuple[TermView, ...] = ()
    start_date: datetime | None = None
    termination_date: datetime | None = None
    last_update: datetime | None = None
    relationships: tuple[tuple[str, str], ...] = ()
    """(relationship type, related product id), e.g. `("hasENNIEndPoint", "ROUTA591-TenGigEth1-0-5")`."""
    characteristics: tuple[tuple[str, str], ...] = ()
    """(name, value)."""
    children: tuple[ProductView, ...] = ()
    """Related products expanded by `depth`."""


def product_view_from_carrier(product: CarrierProduct | Mapping[str, Any]) -> ProductView:
    """A carrier inventory product (EVPL or ENNI)."""
    p = as_model(CarrierProduct, product)
    product_id = p.id or ""
    bandwidth, cos = configuration(p.product_configuration)
    relationships = {(r.kind or "", r.product.id) for r in p.product_relationship if r.product and r.product.id}
    terms = [t for t in (term_view(t) for t in p.product_term) if t is not None]
    return ProductView(
        backend="carrier",
        id=product_id,
        reference=f"carrier:{product_id}",
        status=normalize_product_status(p.status),
        status_raw=p.status,
        offering_id=p.product_offering.id if p.product_offering else None,
        offering_name=p.product_offering.name if p.product_offering else None,
        specification_id=p.product_specification.id if p.product_specification else None,
        bandwidth=bandwidth,
        class_of_service=cos,
        order_id=p.product_order_id,
        prices=price_views(p.product_price),
        terms=canonical(terms, lambda t: (t.name or "", t.units or "")),
        start_date=as_datetime(p.start_date),
        termination_date=as_datetime(p.termination_date),
        last_update=as_datetime(p.last_update_date),
        relationships=tuple(sorted(relationships)),
    )


def _is_expanded(product: WholesaleProduct) -> bool:
    return bool(set(product.model_fields_set) - {"id", "href"}) or bool(product.model_extra)


def product_view_from_wholesale(product: WholesaleProduct | Mapping[str, Any]) -> ProductView:
    """A wholesale inventory product; related products expanded with `depth` become `children`."""
    p = as_model(WholesaleProduct, product)
    product_id = p.id or ""
    related = [r.product for r in p.product_relationship if r.product is not None]
    relationships = {(r.kind or "", r.product.id) for r in p.product_relationship if r.product and r.product.id}
    chars = p.product_characteristic
    terms = [t for t in (term_view(t) for t in p.product_term) if t is not None]
    return ProductView(
        backend="wholesale",
        id=product_id,
        reference=f"wholesale:{product_id}",
        name=p.name,
        status=normalize_product_status(p.status),
        status_raw=p.status,
        operational_status=normalize_operational_status(p.operational_status),
        offering_id=p.product_offering.id if p.product_offering else None,
        offering_name=p.product_offering.name if p.product_offering else None,
        specification_id=p.product_specification.id if p.product_specification else None,
        bandwidth=characteristic(chars, BANDWIDTH_NAMES),
        class_of_service=characteristic(chars, COS_NAMES),
        order_id=next(iter(unique(i.product_order_id for i in p.product_order_item)), None),
        prices=price_views(p.product_price),
        terms=canonical(terms, lambda t: (t.name or "", t.units or "")),
        start_date=as_datetime(p.start_date),
        termination_date=as_datetime(p.termination_date),
        last_update=as_datetime(p.last_update_date),
        relationships=tuple(sorted(relationships)),
        characteristics=characteristics_of(chars),
        children=canonical(
            (product_view_from_wholesale(c) for c in related if _is_expanded(c)), lambda v: id_key(v.id)
        ),
    )
