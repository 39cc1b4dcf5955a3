"""Product offering qualifications (POQ): serviceability, lead time and guarantee per item."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.types.carrier import PoqItem, ProductOfferingQualification
from integrations.types.carrier.product_value import ProductValue
from integrations.types.common import as_datetime

from ._common import View, as_model, canonical, configuration, id_key, normalize_decimal, place_ids, unique

__all__ = [
    "IntervalView",
    "PoqItemView",
    "PoqView",
    "poq_view",
]


class IntervalView(View):
    """A lead time."""

    amount: Decimal
    unit: str | None = None


class PoqItemView(View):
    """One item of a POQ answer."""

    id: str
    action: str | None = None
    state: str | None = None
    serviceability_confidence: str | None = None
    installation_interval: IntervalView | None = None
    guaranteed_until: datetime | None = None
    offering_id: str | None = None
    specification_id: str | None = None
    bandwidth: str | None = None
    site_ids: tuple[str, ...] = ()
    related_product_ids: tuple[str, ...] = ()
    reason: str | None = None


class PoqView(View):
    """A product offering qualification."""

    id: str | None = None
    state: str | None = None
    completion_date: datetime | None = None
    items: tuple[PoqItemView, ...] = ()

    @property
    def all_green(self) -> bool:
        """Whether every item came back `green`."""
        return bool(self.items) and all(i.serviceability_confidence == "green" for i in self.items)

    @property
    def guaranteed_until(self) -> datetime | None:
        """The earliest end of guarantee of the items."""
        dates = [i.guaranteed_until for i in self.items if i.guaranteed_until is not None]
        return min(dates) if dates else None


def _poq_item(item: PoqItem) -> PoqItemView:
    product = item.product or ProductValue()
    offering = item.product_offering or product.product_offering
    interval = item.installation_interval
    reasons = [item.service_confidence_reason, *(e.value or e.code for e in item.termination_error)]
    return PoqItemView(
        id=item.id or "",
        action=item.action,
        state=item.state,
        serviceability_confidence=item.serviceability_confidence.casefold() if item.serviceability_confidence else None,
        installation_interval=(
            IntervalView(amount=normalize_decimal(interval.amount), unit=interval.time_unit)
            if interval is not None and interval.amount is not None
            else None
        ),
        guaranteed_until=as_datetime(item.guaranteed_until_date),
        offering_id=offering.id if offering else None,
        specification_id=product.product_specification.id if product.product_specification else None,
        bandwidth=configuration(product.product_configuration)[0],
        site_ids=place_ids(product.place),
        related_product_ids=unique(r.product.id for r in product.product_relationship if r.product),
        reason="; ".join(r for r in reasons if r) or None,
    )


def poq_view(poq: ProductOfferingQualification | Mapping[str, Any]) -> PoqView:
    """A POQ answer: per item, serviceability confidence, lead time and guarantee."""
    p = as_model(ProductOfferingQualification, poq)
    return PoqView(
        id=p.id,
        state=p.state,
        completion_date=as_datetime(p.effective_qualification_completion_date),
        items=canonical((_poq_item(i) for i in p.product_offering_qualification_item), lambda v: id_key(v.id)),
    )
