"""Orders of every backend as one `OrderView`: items, prices, milestones, error messages, jeopardy alerts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from integrations.states import OrderState, is_final, normalize_business_step, normalize_order_state
from integrations.types.business import BusinessLocation, BusinessRequest
from integrations.types.carrier import CarrierProductOrder, CarrierProductOrderItem
from integrations.types.carrier.product_value import ProductValue
from integrations.types.common import RelatedPlace, as_datetime
from integrations.types.wholesale import (
    ErrorMessage,
    JeopardyAlert,
    Milestone,
    WholesaleProductOrder,
    WholesaleProductOrderItem,
)

from ._common import (
    BANDWIDTH_NAMES,
    COS_NAMES,
    EPOCH,
    Backend,
    NoteView,
    PartyView,
    PriceView,
    View,
    as_model,
    buyer_views,
    canonical,
    characteristic,
    configuration,
    id_key,
    note_views,
    place_ids,
    price_views,
    raw_keys_of,
    unique,
)

__all__ = [
    "BusinessRequestView",
    "ErrorMessageView",
    "JeopardyAlertView",
    "MilestoneView",
    "OrderItemView",
    "OrderView",
    "order_item_view_from_carrier",
    "order_item_view_from_wholesale",
    "order_label",
    "order_view_from_business",
    "order_view_from_carrier",
    "order_view_from_wholesale",
]


class MilestoneView(View):
    """A delivery step reached."""

    item_id: str | None = None
    name: str | None = None
    message: str | None = None
    description: str | None = None
    date: datetime | None = None
    status: str | None = None


class ErrorMessageView(View):
    """A delivery issue. It has no id: it is known by item, reason, message and timestamp."""

    item_id: str | None = None
    message: str | None = None
    reason: str | None = None
    status: Literal["opened", "closed"] | str = "opened"
    """`opened` while active, `closed` once solved (other values kept, lower case)."""
    timestamp: datetime | None = None
    code: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the error message across fetches (its status excluded)."""
        ts = self.timestamp.isoformat() if self.timestamp is not None else ""
        return (self.item_id or "", self.reason or "", self.message or "", ts)

    @property
    def is_open(self) -> bool:
        """Whether the issue is still active."""
        return self.status == "opened"


class JeopardyAlertView(View):
    """A risk on the delivery date."""

    item_id: str | None = None
    name: str | None = None
    message: str | None = None
    type: str | None = None
    date: datetime | None = None


class OrderItemView(View):
    """One item of an order."""

    id: str
    action: str | None = None
    state: OrderState = OrderState.unknown
    state_raw: str | None = None
    offering_id: str | None = None
    offering_name: str | None = None
    product_id: str | None = None
    specification_id: str | None = None
    bandwidth: str | None = None
    class_of_service: str | None = None
    site_ids: tuple[str, ...] = ()
    quote_id: str | None = None
    prices: tuple[PriceView, ...] = ()
    milestones: tuple[MilestoneView, ...] = ()
    error_messages: tuple[ErrorMessageView, ...] = ()
    jeopardy_alerts: tuple[JeopardyAlertView, ...] = ()


class OrderView(View):
    """An order of any backend (a business request is an order with backend `business`)."""

    backend: Backend
    id: str
    reference: str
    """`backend:id`, as users type it."""
    state: OrderState = OrderState.unknown
    state_raw: str | None = None
    """The state as the carrier sent it (the `step` of a business request)."""
    external_ids: tuple[str, ...] = ()
    """The buyer's references (wholesale `externalIdentifier`, carrier `externalId`, business `customerReference`)."""
    buyer_pon: str | None = None
    """Carrier `relatedBuyerPON`: the buyer's purchase order number."""
    description: str | None = None
    place: str | None = None
    """Where the order is, as the order carries it: business site name and city, wholesale building, carrier
    `site <id>` (unresolved)."""
    specification: str | None = None
    """Carrier `orderActivity`, wholesale `productOrderSpecification`, business `type`."""
    order_date: datetime | None = None
    requested_completion_date: datetime | None = None
    expected_completion_date: datetime | None = None
    completion_date: datetime | None = None
    items: tuple[OrderItemView, ...] = ()
    error_messages: tuple[ErrorMessageView, ...] = ()
    """All of them: the order's and the items' (with `item_id`)."""
    milestones: tuple[MilestoneView, ...] = ()
    jeopardy_alerts: tuple[JeopardyAlertView, ...] = ()
    notes: tuple[NoteView, ...] = ()
    prices: tuple[PriceView, ...] = ()
    """All item prices (with `item_id`)."""
    quote_ids: tuple[str, ...] = ()
    related_parties_summary: tuple[PartyView, ...] = ()
    raw_keys: tuple[str, ...] = ()
    """Top-level keys the carrier sent (tells a `fields=` partial object from a full one)."""

    @property
    def is_final(self) -> bool:
        """Whether nothing more will happen to the order."""
        return is_final(self.state)

    @property
    def open_errors(self) -> tuple[ErrorMessageView, ...]:
        """Error messages still `opened`."""
        return tuple(e for e in self.error_messages if e.is_open)

    @property
    def is_partial(self) -> bool:
        """Whether this came from a `fields=` selection (no items and few keys)."""
        return not self.items and len(set(self.raw_keys) - {"id", "href", "state"}) <= 2


BusinessRequestView = OrderView
"""A business request is shown as an `OrderView` with backend `business` (its `step` → state)."""


def _milestone(m: Milestone, item_id: str | None) -> MilestoneView:
    return MilestoneView(
        item_id=item_id,
        name=m.name,
        message=m.message,
        description=m.description,
        date=as_datetime(m.milestone_date),
        status=m.status.casefold() if m.status else None,
    )


def _error_status(raw: str | None) -> str:
    key = (raw or "").strip().casefold()
    if key in ("opened", "open", "active", ""):
        return "opened"
    if key in ("closed", "close", "resolved", "solved"):
        return "closed"
    return key


def _error(e: ErrorMessage, item_id: str | None) -> ErrorMessageView:
    return ErrorMessageView(
        item_id=item_id,
        message=e.message,
        reason=e.reason,
        status=_error_status(e.status),
        timestamp=as_datetime(e.timestamp),
        code=e.code,
    )


def _jeopardy(j: JeopardyAlert, item_id: str | None) -> JeopardyAlertView:
    return JeopardyAlertView(
        item_id=item_id, name=j.name, message=j.message, type=j.jeopardy_type, date=as_datetime(j.alert_date)
    )


def _milestones(views: Iterable[MilestoneView]) -> tuple[MilestoneView, ...]:
    return canonical(views, lambda v: (id_key(v.item_id), v.date or EPOCH, v.message or ""))


def _errors(views: Iterable[ErrorMessageView]) -> tuple[ErrorMessageView, ...]:
    return canonical(views, lambda v: (id_key(v.item_id), v.timestamp or EPOCH, v.message or ""))


def _jeopardies(views: Iterable[JeopardyAlertView]) -> tuple[JeopardyAlertView, ...]:
    return canonical(views, lambda v: (id_key(v.item_id), v.date or EPOCH, v.message or ""))


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _wholesale_place(place: RelatedPlace) -> str | None:
    """A wholesale delivery place: its address (street, city) when given, else its building name or code."""
    for address in [place, *place.geographic_address]:
        street = " ".join(p for p in (address.street_nr, address.street_type, address.street_name) if p)
        found = ", ".join(p for p in (street, address.city) if p)
        if found:
            return found
    for address in [*place.geographic_address, place]:
        subs = address.geographic_sub_address
        for sub in subs if isinstance(subs, list) else [subs] if subs else []:
            if sub.building_name:
                return sub.building_name
    return place.name or place.building_code


def _business_place(location: BusinessLocation | None) -> str | None:
    if location is None:
        return None
    city = location.address.city if location.address else None
    return ", ".join(p for p in (location.name, city) if p) or None


LABEL_LENGTH = 80


def order_label(view: OrderView, *, limit: int = LABEL_LENGTH, site_name: str | None = None) -> str:
    """The order as people know it: the buyer's reference, the description, the place, cut to `limit` characters.

    `ACME-LYON-0042 · Fibre 1G Lyon · OULLINS C`; an order with none of them is its `backend:id`.
    `site_name`: the carrier order's site resolved (`Marseille MRS1, Marseille`), shown instead of `site <id>`.
    Plain text: escape it for mrkdwn where it is shown.
    """
    refs = " / ".join(dict.fromkeys(r for r in (*view.external_ids, view.buyer_pon) if r))
    place = site_name or view.place or ""
    parts = [" ".join(p.split()) for p in (refs, view.description or "", place) if p and p.strip()]
    text = " · ".join(parts) or view.reference
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def label_view(view: OrderView) -> OrderView:
    """Only what `order_label` reads (and the first site, for its name): small enough to keep in an outbox row and
    label the order when the row is sent."""
    site = next((item for item in view.items if item.site_ids), None)
    return OrderView(
        backend=view.backend,
        id=view.id,
        reference=view.reference,
        external_ids=view.external_ids,
        buyer_pon=view.buyer_pon,
        description=view.description,
        place=view.place,
        items=(OrderItemView(id=site.id, site_ids=site.site_ids[:1]),) if site is not None else (),
    )


def order_item_view_from_carrier(item: CarrierProductOrderItem | Mapping[str, Any]) -> OrderItemView:
    """One carrier order item."""
    i = as_model(CarrierProductOrderItem, item)
    item_id = i.id
    product = i.product or ProductValue()
    offering = i.product_offering or product.product_offering
    bandwidth, cos = configuration(product.product_configuration)
    return OrderItemView(
        id=item_id or "",
        action=i.action,
        state=normalize_order_state(i.state),
        state_raw=i.state,
        offering_id=offering.id if offering else None,
        offering_name=offering.name if offering else None,
        product_id=product.id,
        specification_id=product.product_specification.id if product.product_specification else None,
        bandwidth=bandwidth,
        class_of_service=cos,
        site_ids=place_ids(product.place),
        quote_id=i.quote.id if i.quote else None,
        prices=price_views(i.order_item_price, item_id),
    )


def order_view_from_carrier(order: CarrierProductOrder | Mapping[str, Any]) -> OrderView:
    """A carrier (MEF) order: full, or a list entry."""
    o = as_model(CarrierProductOrder, order)
    items = canonical((order_item_view_from_carrier(i) for i in o.product_order_item), lambda v: id_key(v.id))
    order_id = o.id or ""
    return OrderView(
        backend="carrier",
        id=order_id,
        reference=f"carrier:{order_id}",
        state=normalize_order_state(o.state),
        state_raw=o.state,
        external_ids=unique([o.external_id]),
        buyer_pon=o.related_buyer_pon or None,
        description=None,
        place=_first(f"site {site}" for i in items for site in i.site_ids),
        specification=o.order_activity,
        order_date=as_datetime(o.order_date),
        requested_completion_date=as_datetime(o.requested_completion_date),
        expected_completion_date=as_datetime(o.expected_completion_date),
        completion_date=as_datetime(o.completion_date),
        items=items,
        notes=note_views(o.note),
        prices=_prices_of(items),
        quote_ids=unique(i.quote_id for i in items),
        related_parties_summary=buyer_views(o.related_party),
        raw_keys=raw_keys_of(o),
    )


def _prices_of(items: Iterable[OrderItemView]) -> tuple[PriceView, ...]:
    return canonical(
        (p for i in items for p in i.prices), lambda v: (id_key(v.item_id), v.kind, v.name or "", v.amount)
    )


def order_item_view_from_wholesale(item: WholesaleProductOrderItem | Mapping[str, Any]) -> OrderItemView:
    """One wholesale order item (also `GET /productOrder/{id}/productOrderItem/{itemId}`)."""
    i = as_model(WholesaleProductOrderItem, item)
    item_id = i.id
    product = i.product
    offering = (product.product_offering if product else None) or i.product_offering
    chars = product.product_characteristic if product else []
    return OrderItemView(
        id=item_id or "",
        action=i.action,
        state=normalize_order_state(i.state),
        state_raw=i.state,
        offering_id=offering.id if offering else None,
        offering_name=offering.name if offering else None,
        product_id=product.id if product else None,
        specification_id=product.product_specification.id if product and product.product_specification else None,
        bandwidth=characteristic(chars, BANDWIDTH_NAMES),
        class_of_service=characteristic(chars, COS_NAMES),
        site_ids=place_ids(product.place) if product else (),
        prices=price_views([*i.item_total_price, *i.item_price], item_id),
        milestones=_milestones(_milestone(m, item_id) for m in i.milestone),
        error_messages=_errors(_error(e, item_id) for e in i.error_message),
        jeopardy_alerts=_jeopardies(_jeopardy(j, item_id) for j in i.jeopardy_alert),
    )


def order_view_from_wholesale(order: WholesaleProductOrder | Mapping[str, Any]) -> OrderView:
    """A wholesale (TMF622) order: full, or a partial list entry."""
    o = as_model(WholesaleProductOrder, order)
    items = canonical((order_item_view_from_wholesale(i) for i in o.product_order_item), lambda v: id_key(v.id))
    order_id = o.id or ""
    return OrderView(
        backend="wholesale",
        id=order_id,
        reference=f"wholesale:{order_id}",
        state=normalize_order_state(o.state),
        state_raw=o.state,
        external_ids=unique(e.id for e in o.external_identifier),
        description=o.description,
        place=_first(_wholesale_place(p) for i in o.product_order_item if i.product for p in i.product.place),
        specification=o.specification,
        order_date=as_datetime(o.order_date),
        requested_completion_date=as_datetime(o.requested_completion_date),
        expected_completion_date=as_datetime(o.expected_completion_date),
        completion_date=as_datetime(o.completion_date),
        items=items,
        error_messages=_errors(
            [*(_error(e, None) for e in o.error_message), *(e for i in items for e in i.error_messages)]
        ),
        milestones=_milestones(
            [*(_milestone(m, None) for m in o.milestone), *(m for i in items for m in i.milestones)]
        ),
        jeopardy_alerts=_jeopardies(
            [*(_jeopardy(j, None) for j in o.jeopardy_alert), *(j for i in items for j in i.jeopardy_alerts)]
        ),
        notes=note_views(o.note),
        prices=canonical(
            [*price_views(o.order_total_price), *(p for i in items for p in i.prices)],
            lambda v: (id_key(v.item_id), v.kind, v.name or "", v.amount),
        ),
        related_parties_summary=buyer_views(o.related_party),
        raw_keys=raw_keys_of(o),
    )


def order_view_from_business(request: BusinessRequest | Mapping[str, Any]) -> OrderView:
    """A business ordering request as an order: its `step` is the state."""
    r = as_model(BusinessRequest, request)
    request_id = r.id or ""
    props = r.properties
    customer = r.customer
    parties = (PartyView(role="customer", id=customer.id, name=customer.name),) if customer else ()
    return OrderView(
        backend="business",
        id=request_id,
        reference=f"business:{request_id}",
        state=normalize_business_step(r.step or r.status),
        state_raw=r.step or r.status,
        external_ids=unique([r.customer_reference]),
        description=r.comment,
        place=_business_place(props.location if props else None),
        specification=r.request_type or r.category,
        order_date=as_datetime(r.created_at),
        expected_completion_date=as_datetime(props.installation_planned_at) if props else None,
        related_parties_summary=parties,
        raw_keys=raw_keys_of(r),
    )
