"""One read model across Orange's backends: what the bot renders and what the notifier diffs.

Views are frozen pydantic models built from the wire models of `integrations.types` by the
`*_view*` functions below. They are deterministic: lists are sorted canonically (items by id,
error messages by item, timestamp and message, …), amounts are normalised decimals and dates are
aware UTC datetimes, so two fetches of the same order give equal views whatever the order of the
lists in the responses. They round-trip through `model_dump(mode="json")` / `model_validate`.
Every mapping is total over partial objects: a `fields=state` list entry maps too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from .states import (
    ORDERABLE_QUOTE_STATES,
    OrderState,
    ProductStatus,
    QuoteState,
    is_final,
    normalize_business_step,
    normalize_operational_status,
    normalize_order_state,
    normalize_product_status,
    normalize_quote_state,
)
from .types.business import BusinessRequest
from .types.carrier import (
    CarrierProduct,
    CarrierProductOrder,
    CarrierProductOrderItem,
    GeographicAddress,
    GeographicAddressValidation,
    GeographicSite,
    PoqItem,
    ProductOfferingQualification,
    Quote,
    QuoteItem,
)
from .types.carrier.address import FieldedAddress
from .types.carrier.product_value import ProductValue
from .types.common import (
    Characteristic,
    Note,
    OrangeModel,
    OrderPrice,
    ProductConfiguration,
    RelatedParty,
    RelatedPlace,
    Term,
    as_datetime,
)
from .types.wholesale import (
    ErrorMessage,
    JeopardyAlert,
    Milestone,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
    WholesaleProduct,
    WholesaleProductOrder,
    WholesaleProductOrderItem,
)

__all__ = [
    "AddressMatchView",
    "AddressValidationView",
    "Backend",
    "BusinessRequestView",
    "CharacteristicSpecView",
    "ErrorMessageView",
    "IntervalView",
    "JeopardyAlertView",
    "MilestoneView",
    "NoteView",
    "OfferingRefView",
    "OfferingView",
    "OrderItemView",
    "OrderView",
    "PartyView",
    "PoqItemView",
    "PoqView",
    "PriceKind",
    "PriceView",
    "ProductView",
    "QuoteItemView",
    "QuoteView",
    "SiteView",
    "TermView",
    "address_match_view",
    "address_validation_view",
    "address_validation_view_from_json",
    "offering_view",
    "offering_view_from_json",
    "order_item_view_from_carrier",
    "order_item_view_from_wholesale",
    "order_item_view_from_wholesale_json",
    "order_view_from_business",
    "order_view_from_business_json",
    "order_view_from_carrier",
    "order_view_from_carrier_json",
    "order_view_from_wholesale",
    "order_view_from_wholesale_json",
    "poq_view",
    "poq_view_from_json",
    "price_view",
    "price_view_from_catalog",
    "product_view_from_carrier",
    "product_view_from_carrier_json",
    "product_view_from_wholesale",
    "product_view_from_wholesale_json",
    "quote_view_from_carrier",
    "quote_view_from_carrier_json",
    "site_view_from_carrier",
    "site_view_from_carrier_json",
]

Backend = Literal["carrier", "wholesale", "business"]
PriceKind = Literal["one_off", "recurring", "usage", "unknown"]

_M = TypeVar("_M", bound=OrangeModel)
_V = TypeVar("_V", bound=BaseModel)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- small views -------------------------------------------------------------------------------


class PriceView(_View):
    """A charge: MEF `orderItemPrice`/`quoteItemPrice`/`productPrice`, TMF `itemTotalPrice`, TMF620 prices."""

    name: str | None = None
    kind: PriceKind = "unknown"
    """`one_off` (MEF `nonRecurring`, TMF `one time`), `recurring`, `usage`."""
    amount: Decimal
    """Before tax when the carrier gives it (`preTaxAmount`, `dutyFreeAmount`), else tax included."""
    currency: str = ""
    """ISO code, upper case (`EUR`)."""
    period: str | None = None
    """Period of a recurring or usage charge (`day`, `month`)."""
    tax_included: bool | None = None
    """Whether `amount` includes tax (None: the carrier does not say)."""
    item_id: str | None = None
    """The order, quote or product item the price belongs to, in aggregated lists."""


class MilestoneView(_View):
    """A delivery step reached."""

    item_id: str | None = None
    name: str | None = None
    message: str | None = None
    description: str | None = None
    date: datetime | None = None
    status: str | None = None


class ErrorMessageView(_View):
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


class JeopardyAlertView(_View):
    """A risk on the delivery date."""

    item_id: str | None = None
    name: str | None = None
    message: str | None = None
    type: str | None = None
    date: datetime | None = None


class NoteView(_View):
    """A note on an order (`errorNote`, `OrderTakingNote`)."""

    author: str | None = None
    date: datetime | None = None
    text: str | None = None
    type: str | None = None


class PartyView(_View):
    """The buyer (or the business customer): role, id and name only, no personal contact data."""

    role: str | None = None
    id: str | None = None
    name: str | None = None


class TermView(_View):
    """A commitment term."""

    name: str | None = None
    amount: Decimal | None = None
    units: str | None = None


class OrderItemView(_View):
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


class OrderView(_View):
    """An order of any backend (a business request is an order with backend `business`)."""

    backend: Backend
    id: str
    reference: str
    """`backend:id`, as users type it."""
    state: OrderState = OrderState.unknown
    state_raw: str | None = None
    """The state as the carrier sent it (the `step` of a business request)."""
    external_ids: tuple[str, ...] = ()
    """The buyer's references."""
    description: str | None = None
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


class QuoteItemView(_View):
    """One priced item of a quote."""

    id: str
    action: str | None = None
    state: QuoteState = QuoteState.unknown
    state_raw: str | None = None
    offering_id: str | None = None
    specification_id: str | None = None
    product_id: str | None = None
    bandwidth: str | None = None
    class_of_service: str | None = None
    term: TermView | None = None
    prices: tuple[PriceView, ...] = ()
    site_ids: tuple[str, ...] = ()
    related_product_ids: tuple[str, ...] = ()
    """Existing products (ENNI ports) the item relies on."""


class QuoteView(_View):
    """A carrier quote."""

    backend: Backend = "carrier"
    id: str
    reference: str
    state: QuoteState = QuoteState.unknown
    state_raw: str | None = None
    level: str | None = None
    description: str | None = None
    external_id: str | None = None
    quote_date: datetime | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    items: tuple[QuoteItemView, ...] = ()
    prices: tuple[PriceView, ...] = ()

    def is_orderable(self, now: datetime | None = None) -> bool:
        """Approved (or ready, or accepted) and still valid at `now` (default: the current time).

        A quote without an end of validity is not orderable: the list entries lack it, fetch the quote.
        """
        if self.state not in ORDERABLE_QUOTE_STATES or self.valid_until is None:
            return False
        moment = now if now is not None else datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.valid_until > moment


class SiteView(_View):
    """A carrier site (POP)."""

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    locality: str | None = None
    postcode: str | None = None
    country: str | None = None
    state_or_province: str | None = None

    @property
    def one_line(self) -> str:
        """`7, avenue Gambetta, 93177 Bagnolet, France`."""
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (*self.address_lines, town, self.country) if p)


class ProductView(_View):
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


class AddressMatchView(_View):
    """An address Orange knows."""

    id: str | None = None
    line: str = ""
    """One line: `12 rue des fleurs, 95870 bezons, France`."""
    allows_new_site: bool | None = None
    has_public_site: bool | None = None


class AddressValidationView(_View):
    """Result of an address validation."""

    result: str | None = None
    """`success`, `partial` or `fail`."""
    submitted: str = ""
    best_match: AddressMatchView | None = None
    alternatives: tuple[AddressMatchView, ...] = ()


class IntervalView(_View):
    """A lead time."""

    amount: Decimal
    unit: str | None = None


class PoqItemView(_View):
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


class PoqView(_View):
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


class OfferingRefView(_View):
    """An offering by id and name."""

    id: str
    name: str | None = None


class CharacteristicSpecView(_View):
    """A configurable characteristic of an offering and its allowed values."""

    id: str | None = None
    name: str | None = None
    values: tuple[str, ...] = ()


class OfferingView(_View):
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


# --- helpers -----------------------------------------------------------------------------------


def _as(model: type[_M], value: _M | Mapping[str, Any]) -> _M:
    if isinstance(value, model):
        return value
    return model.model_validate(value)


def _id_key(value: str | None) -> tuple[int, int, str]:
    text = value or ""
    return (0, int(text), text) if text.isascii() and text.isdigit() else (1, 0, text)


def _canonical(views: Iterable[_V], key: Callable[[_V], Any]) -> tuple[_V, ...]:
    # The JSON form breaks ties, so equal inputs in any order give the same tuple.
    return tuple(sorted(views, key=lambda v: (key(v), v.model_dump_json())))


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({v for v in values if v}, key=_id_key))


def _dt(value: datetime | date | str | None) -> datetime | None:
    return as_datetime(value)


def _decimal(value: Decimal | int | float) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return number
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


_ONE_OFF = {"nonrecurring", "onetime", "oneoff", "once", "nrc", "installation"}
_RECURRING = {"recurring", "rc", "monthly"}
_USAGE = {"usage", "usagebased"}


def _price_kind(raw: str | None) -> PriceKind:
    key = "".join(c for c in (raw or "").casefold() if c.isalnum())
    if key in _ONE_OFF:
        return "one_off"
    if key in _RECURRING:
        return "recurring"
    if key in _USAGE:
        return "usage"
    return "unknown"


def price_view(price: OrderPrice, *, item_id: str | None = None) -> PriceView | None:
    """A price of an order, quote or product; None when it carries no amount."""
    amounts = price.price
    if amounts is None:
        return None
    money, tax_included = None, None
    for candidate, included in (
        (amounts.pre_tax_amount, False),
        (amounts.duty_free_amount, False),
        (amounts.tax_included_amount, True),
    ):
        if candidate is not None and candidate.value is not None:
            money, tax_included = candidate, included
            break
    if money is None or money.value is None:
        return None
    kind = _price_kind(price.price_type)
    period = price.recurring_charge_period or price.recurring_charge_period_type
    return PriceView(
        name=price.name,
        kind=kind,
        amount=_decimal(money.value),
        currency=money.currency or "",
        period=period if kind in ("recurring", "usage") else None,
        tax_included=tax_included,
        item_id=item_id,
    )


def price_view_from_catalog(price: ProductOfferingPrice | Mapping[str, Any]) -> PriceView | None:
    """A TMF620 `productOfferingPrice` as a `PriceView`; None when it carries no amount."""
    p = _as(ProductOfferingPrice, price)
    return price_view(
        OrderPrice(
            name=p.name,
            price_type=p.price_type,
            recurring_charge_period_type=p.recurring_charge_period_type,
            price=p.price,
        )
    )


def _prices(prices: Iterable[OrderPrice], item_id: str | None = None) -> tuple[PriceView, ...]:
    views = [v for v in (price_view(p, item_id=item_id) for p in prices) if v is not None]
    return _canonical(views, lambda v: (_id_key(v.item_id), v.kind, v.name or "", v.amount, v.period or ""))


def _term(term: Term | None) -> TermView | None:
    if term is None:
        return None
    duration = term.duration
    amount = duration.amount if duration is not None else None
    return TermView(
        name=term.name,
        amount=_decimal(amount) if amount is not None else None,
        units=duration.units if duration is not None else None,
    )


def _milestone(m: Milestone, item_id: str | None) -> MilestoneView:
    return MilestoneView(
        item_id=item_id,
        name=m.name,
        message=m.message,
        description=m.description,
        date=_dt(m.milestone_date),
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
        timestamp=_dt(e.timestamp),
        code=e.code,
    )


def _jeopardy(j: JeopardyAlert, item_id: str | None) -> JeopardyAlertView:
    return JeopardyAlertView(
        item_id=item_id, name=j.name, message=j.message, type=j.jeopardy_type, date=_dt(j.alert_date)
    )


def _milestones(views: Iterable[MilestoneView]) -> tuple[MilestoneView, ...]:
    return _canonical(views, lambda v: (_id_key(v.item_id), v.date or _EPOCH, v.message or ""))


def _errors(views: Iterable[ErrorMessageView]) -> tuple[ErrorMessageView, ...]:
    return _canonical(views, lambda v: (_id_key(v.item_id), v.timestamp or _EPOCH, v.message or ""))


def _jeopardies(views: Iterable[JeopardyAlertView]) -> tuple[JeopardyAlertView, ...]:
    return _canonical(views, lambda v: (_id_key(v.item_id), v.date or _EPOCH, v.message or ""))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _notes(notes: Iterable[Note]) -> tuple[NoteView, ...]:
    views = [NoteView(author=n.author, date=_dt(n.date), text=n.text, type=n.type_) for n in notes]
    return _canonical(views, lambda v: (v.date or _EPOCH, v.author or "", v.text or ""))


def _buyers(parties: Iterable[RelatedParty]) -> tuple[PartyView, ...]:
    views = [
        PartyView(role=p.role, id=p.id, name=p.name or None) for p in parties if (p.role or "").casefold() == "buyer"
    ]
    return _canonical(views, lambda v: (v.id or "", v.name or ""))


def _raw_keys(model: OrangeModel) -> tuple[str, ...]:
    dumped = model.model_dump(by_alias=True, exclude_unset=True)
    return tuple(sorted(dumped))


def _place_ids(places: Sequence[RelatedPlace]) -> tuple[str, ...]:
    return _unique(p.id or p.building_code for p in places)


def _configuration(config: ProductConfiguration | None) -> tuple[str | None, str | None]:
    if config is None:
        return None, None
    return _text(config.bandwidth), config.class_of_service


_BANDWIDTH_NAMES = ("debit", "bandwidth", "speed")
_COS_NAMES = ("classe de service", "class of service", "classofservice")


def _characteristic(chars: Sequence[Characteristic], names: tuple[str, ...]) -> str | None:
    for char in sorted(chars, key=lambda c: (c.name or "", c.id or "")):
        name = _fold(char.name or "")
        if any(n == name or name.startswith(n) for n in names):
            return char.display_value
    return None


def _characteristics(chars: Sequence[Characteristic]) -> tuple[tuple[str, str], ...]:
    pairs = {(c.name or c.id or "", c.display_value or "") for c in chars}
    return tuple(sorted(pairs))


# --- orders ------------------------------------------------------------------------------------


def order_item_view_from_carrier(item: CarrierProductOrderItem | Mapping[str, Any]) -> OrderItemView:
    """One carrier order item."""
    i = _as(CarrierProductOrderItem, item)
    item_id = i.id
    product = i.product or ProductValue()
    offering = i.product_offering or product.product_offering
    bandwidth, cos = _configuration(product.product_configuration)
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
        site_ids=_place_ids(product.place),
        quote_id=i.quote.id if i.quote else None,
        prices=_prices(i.order_item_price, item_id),
    )


def order_view_from_carrier(order: CarrierProductOrder | Mapping[str, Any]) -> OrderView:
    """A carrier (MEF) order: full, or a list entry."""
    o = _as(CarrierProductOrder, order)
    items = _canonical((order_item_view_from_carrier(i) for i in o.product_order_item), lambda v: _id_key(v.id))
    order_id = o.id or ""
    return OrderView(
        backend="carrier",
        id=order_id,
        reference=f"carrier:{order_id}",
        state=normalize_order_state(o.state),
        state_raw=o.state,
        external_ids=_unique([o.external_id]),
        description=None,
        specification=o.order_activity,
        order_date=_dt(o.order_date),
        requested_completion_date=_dt(o.requested_completion_date),
        expected_completion_date=_dt(o.expected_completion_date),
        completion_date=_dt(o.completion_date),
        items=items,
        notes=_notes(o.note),
        prices=_prices_of(items),
        quote_ids=_unique(i.quote_id for i in items),
        related_parties_summary=_buyers(o.related_party),
        raw_keys=_raw_keys(o),
    )


def _prices_of(items: Iterable[OrderItemView]) -> tuple[PriceView, ...]:
    return _canonical(
        (p for i in items for p in i.prices), lambda v: (_id_key(v.item_id), v.kind, v.name or "", v.amount)
    )


def order_item_view_from_wholesale(item: WholesaleProductOrderItem | Mapping[str, Any]) -> OrderItemView:
    """One wholesale order item (also `GET /productOrder/{id}/productOrderItem/{itemId}`)."""
    i = _as(WholesaleProductOrderItem, item)
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
        bandwidth=_characteristic(chars, _BANDWIDTH_NAMES),
        class_of_service=_characteristic(chars, _COS_NAMES),
        site_ids=_place_ids(product.place) if product else (),
        prices=_prices([*i.item_total_price, *i.item_price], item_id),
        milestones=_milestones(_milestone(m, item_id) for m in i.milestone),
        error_messages=_errors(_error(e, item_id) for e in i.error_message),
        jeopardy_alerts=_jeopardies(_jeopardy(j, item_id) for j in i.jeopardy_alert),
    )


def order_view_from_wholesale(order: WholesaleProductOrder | Mapping[str, Any]) -> OrderView:
    """A wholesale (TMF622) order: full, or a partial list entry."""
    o = _as(WholesaleProductOrder, order)
    items = _canonical((order_item_view_from_wholesale(i) for i in o.product_order_item), lambda v: _id_key(v.id))
    order_id = o.id or ""
    return OrderView(
        backend="wholesale",
        id=order_id,
        reference=f"wholesale:{order_id}",
        state=normalize_order_state(o.state),
        state_raw=o.state,
        external_ids=_unique(e.id for e in o.external_identifier),
        description=o.description,
        specification=o.specification,
        order_date=_dt(o.order_date),
        requested_completion_date=_dt(o.requested_completion_date),
        expected_completion_date=_dt(o.expected_completion_date),
        completion_date=_dt(o.completion_date),
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
        notes=_notes(o.note),
        prices=_canonical(
            [*_prices(o.order_total_price), *(p for i in items for p in i.prices)],
            lambda v: (_id_key(v.item_id), v.kind, v.name or "", v.amount),
        ),
        related_parties_summary=_buyers(o.related_party),
        raw_keys=_raw_keys(o),
    )


def order_view_from_business(request: BusinessRequest | Mapping[str, Any]) -> OrderView:
    """A business ordering request as an order: its `step` is the state."""
    r = _as(BusinessRequest, request)
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
        external_ids=_unique([r.customer_reference]),
        description=r.comment,
        specification=r.request_type or r.category,
        order_date=_dt(r.created_at),
        expected_completion_date=_dt(props.installation_planned_at) if props else None,
        related_parties_summary=parties,
        raw_keys=_raw_keys(r),
    )


# --- quotes ------------------------------------------------------------------------------------


def _quote_item(item: QuoteItem) -> QuoteItemView:
    item_id = item.id
    product = item.product or ProductValue()
    offering = item.product_offering or product.product_offering
    bandwidth, cos = _configuration(product.product_configuration)
    return QuoteItemView(
        id=item_id or "",
        action=item.action,
        state=normalize_quote_state(item.state),
        state_raw=item.state,
        offering_id=offering.id if offering else None,
        specification_id=product.product_specification.id if product.product_specification else None,
        product_id=product.id,
        bandwidth=bandwidth,
        class_of_service=cos,
        term=_term(item.quote_item_term or item.requested_quote_item_term),
        prices=_prices(item.quote_item_price, item_id),
        site_ids=_place_ids(product.place),
        related_product_ids=_unique(r.product.id for r in product.product_relationship if r.product),
    )


def quote_view_from_carrier(quote: Quote | Mapping[str, Any]) -> QuoteView:
    """A carrier quote: full, or a list entry."""
    q = _as(Quote, quote)
    items = _canonical((_quote_item(i) for i in q.quote_item), lambda v: _id_key(v.id))
    quote_id = q.id or ""
    return QuoteView(
        backend="carrier",
        id=quote_id,
        reference=f"carrier:{quote_id}",
        state=normalize_quote_state(q.state),
        state_raw=q.state,
        level=q.quote_level,
        description=q.description,
        external_id=q.external_id,
        quote_date=_dt(q.quote_date),
        valid_from=_dt(q.valid_for.start_date) if q.valid_for else None,
        valid_until=_dt(q.valid_for.end_date) if q.valid_for else None,
        items=items,
        prices=_canonical((p for i in items for p in i.prices), lambda v: (_id_key(v.item_id), v.kind, v.amount)),
    )


# --- sites and addresses -----------------------------------------------------------------------


def site_view_from_carrier(site: GeographicSite | Mapping[str, Any]) -> SiteView:
    """A carrier site, from the list (`geographicAddress.formattedAddress`) or `GET /{id}` (`formattedAddress`)."""
    s = _as(GeographicSite, site)
    address = s.address
    lines: tuple[str, ...] = ()
    if address is not None:
        lines = tuple(line.strip() for line in (address.addr_line1, address.addr_line2) if line and line.strip())
    return SiteView(
        id=s.id or "",
        name=s.site_name,
        type=s.site_type,
        status=s.status,
        address_lines=lines,
        city=address.city if address else None,
        locality=address.locality if address else None,
        postcode=address.postcode if address else None,
        country=address.country if address else None,
        state_or_province=address.state_or_province if address else None,
    )


def _address_line(address: FieldedAddress | None) -> str:
    if address is None:
        return ""
    number = "".join(p for p in (address.street_nr, address.street_nr_suffix) if p)
    if address.street_nr_last:
        number = f"{number}-{address.street_nr_last}{address.street_nr_last_suffix or ''}"
    street = " ".join(p for p in (number, address.street_type, address.street_name, address.street_suffix) if p)
    town = " ".join(p for p in (address.postcode, address.city) if p)
    return ", ".join(p for p in (street, town, address.locality, address.state_or_province, address.country) if p)


def address_match_view(address: GeographicAddress | Mapping[str, Any]) -> AddressMatchView:
    """An address Orange knows (a validation match, or `GET /geographicAddress/{id}`)."""
    a = _as(GeographicAddress, address)
    return AddressMatchView(
        id=a.id,
        line=_address_line(a.associated_geographic_address),
        allows_new_site=a.allows_new_site,
        has_public_site=a.has_public_site,
    )


def address_validation_view(validation: GeographicAddressValidation | Mapping[str, Any]) -> AddressValidationView:
    """The answer of an address validation: result, best match, alternatives."""
    v = _as(GeographicAddressValidation, validation)
    submitted = v.submitted_geographic_address
    best = v.best_match_geographic_address
    return AddressValidationView(
        result=v.validation_result,
        submitted=_address_line(submitted.associated_geographic_address if submitted else None),
        best_match=address_match_view(best) if best is not None else None,
        alternatives=_canonical(
            (address_match_view(a) for a in v.alternate_geographic_address), lambda m: (m.id or "", m.line)
        ),
    )


# --- POQ ---------------------------------------------------------------------------------------


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
            IntervalView(amount=_decimal(interval.amount), unit=interval.time_unit)
            if interval is not None and interval.amount is not None
            else None
        ),
        guaranteed_until=_dt(item.guaranteed_until_date),
        offering_id=offering.id if offering else None,
        specification_id=product.product_specification.id if product.product_specification else None,
        bandwidth=_configuration(product.product_configuration)[0],
        site_ids=_place_ids(product.place),
        related_product_ids=_unique(r.product.id for r in product.product_relationship if r.product),
        reason="; ".join(r for r in reasons if r) or None,
    )


def poq_view(poq: ProductOfferingQualification | Mapping[str, Any]) -> PoqView:
    """A POQ answer: per item, serviceability confidence, lead time and guarantee."""
    p = _as(ProductOfferingQualification, poq)
    return PoqView(
        id=p.id,
        state=p.state,
        completion_date=_dt(p.effective_qualification_completion_date),
        items=_canonical((_poq_item(i) for i in p.product_offering_qualification_item), lambda v: _id_key(v.id)),
    )


# --- products ----------------------------------------------------------------------------------


def product_view_from_carrier(product: CarrierProduct | Mapping[str, Any]) -> ProductView:
    """A carrier inventory product (EVPL or ENNI)."""
    p = _as(CarrierProduct, product)
    product_id = p.id or ""
    bandwidth, cos = _configuration(p.product_configuration)
    relationships = {(r.kind or "", r.product.id) for r in p.product_relationship if r.product and r.product.id}
    terms = [t for t in (_term(t) for t in p.product_term) if t is not None]
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
        prices=_prices(p.product_price),
        terms=_canonical(terms, lambda t: (t.name or "", t.units or "")),
        start_date=_dt(p.start_date),
        termination_date=_dt(p.termination_date),
        last_update=_dt(p.last_update_date),
        relationships=tuple(sorted(relationships)),
    )


def _is_expanded(product: WholesaleProduct) -> bool:
    return bool(set(product.model_fields_set) - {"id", "href"}) or bool(product.model_extra)


def product_view_from_wholesale(product: WholesaleProduct | Mapping[str, Any]) -> ProductView:
    """A wholesale inventory product; related products expanded with `depth` become `children`."""
    p = _as(WholesaleProduct, product)
    product_id = p.id or ""
    related = [r.product for r in p.product_relationship if r.product is not None]
    relationships = {(r.kind or "", r.product.id) for r in p.product_relationship if r.product and r.product.id}
    chars = p.product_characteristic
    terms = [t for t in (_term(t) for t in p.product_term) if t is not None]
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
        bandwidth=_characteristic(chars, _BANDWIDTH_NAMES),
        class_of_service=_characteristic(chars, _COS_NAMES),
        order_id=next(iter(_unique(i.product_order_id for i in p.product_order_item)), None),
        prices=_prices(p.product_price),
        terms=_canonical(terms, lambda t: (t.name or "", t.units or "")),
        start_date=_dt(p.start_date),
        termination_date=_dt(p.termination_date),
        last_update=_dt(p.last_update_date),
        relationships=tuple(sorted(relationships)),
        characteristics=_characteristics(chars),
        children=_canonical(
            (product_view_from_wholesale(c) for c in related if _is_expanded(c)), lambda v: _id_key(v.id)
        ),
    )


# --- catalog -----------------------------------------------------------------------------------


def offering_view(
    offering: ProductOffering | Mapping[str, Any],
    *,
    prices: Iterable[ProductOfferingPrice | Mapping[str, Any]] = (),
    specifications: Iterable[ProductSpecification | Mapping[str, Any]] = (),
) -> OfferingView:
    """A catalog offering; its prices and specifications are fetched separately and joined here."""
    o = _as(ProductOffering, offering)
    price_views = [v for v in (price_view_from_catalog(p) for p in prices) if v is not None]
    chars = [
        CharacteristicSpecView(
            id=c.id,
            name=c.name,
            values=tuple(sorted({v.value for v in c.product_spec_characteristic_value if v.value})),
        )
        for spec in (_as(ProductSpecification, s) for s in specifications)
        for c in spec.product_spec_characteristic
    ]
    return OfferingView(
        id=o.id or "",
        name=o.name,
        type=o.product_offering_type,
        bundled_offerings=_canonical(
            (OfferingRefView(id=b.id, name=b.name) for b in o.bundled_product_offering if b.id),
            lambda v: _id_key(v.id),
        ),
        categories=tuple(sorted({c.name or c.id for c in o.category if c.name or c.id})),
        prices=_canonical(price_views, lambda v: (v.kind, v.name or "", v.amount)),
        characteristics=_canonical(chars, lambda v: (v.id or "", v.name or "")),
        properties=tuple(
            sorted({(prop.id or prop.name or "", prop.simple_value) for prop in o.other_property if prop.simple_value})
        ),
    )


# --- from JSON ---------------------------------------------------------------------------------


def order_view_from_carrier_json(data: Mapping[str, Any]) -> OrderView:
    """`order_view_from_carrier` of a decoded JSON body."""
    return order_view_from_carrier(CarrierProductOrder.model_validate(data))


def order_view_from_wholesale_json(data: Mapping[str, Any]) -> OrderView:
    """`order_view_from_wholesale` of a decoded JSON body."""
    return order_view_from_wholesale(WholesaleProductOrder.model_validate(data))


def order_item_view_from_wholesale_json(data: Mapping[str, Any]) -> OrderItemView:
    """`order_item_view_from_wholesale` of a decoded JSON body."""
    return order_item_view_from_wholesale(WholesaleProductOrderItem.model_validate(data))


def order_view_from_business_json(data: Mapping[str, Any]) -> OrderView:
    """`order_view_from_business` of a decoded JSON body."""
    return order_view_from_business(BusinessRequest.model_validate(data))


def quote_view_from_carrier_json(data: Mapping[str, Any]) -> QuoteView:
    """`quote_view_from_carrier` of a decoded JSON body."""
    return quote_view_from_carrier(Quote.model_validate(data))


def site_view_from_carrier_json(data: Mapping[str, Any]) -> SiteView:
    """`site_view_from_carrier` of a decoded JSON body."""
    return site_view_from_carrier(GeographicSite.model_validate(data))


def product_view_from_carrier_json(data: Mapping[str, Any]) -> ProductView:
    """`product_view_from_carrier` of a decoded JSON body."""
    return product_view_from_carrier(CarrierProduct.model_validate(data))


def product_view_from_wholesale_json(data: Mapping[str, Any]) -> ProductView:
    """`product_view_from_wholesale` of a decoded JSON body."""
    return product_view_from_wholesale(WholesaleProduct.model_validate(data))


def address_validation_view_from_json(data: Mapping[str, Any]) -> AddressValidationView:
    """`address_validation_view` of a decoded JSON body."""
    return address_validation_view(GeographicAddressValidation.model_validate(data))


def poq_view_from_json(data: Mapping[str, Any]) -> PoqView:
    """`poq_view` of a decoded JSON body."""
    return poq_view(ProductOfferingQualification.model_validate(data))


def offering_view_from_json(data: Mapping[str, Any]) -> OfferingView:
    """`offering_view` of a decoded JSON body (without prices and specifications)."""
    return offering_view(ProductOffering.model_validate(data))
