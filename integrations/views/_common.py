"""What every view shares: the frozen base, prices, terms, notes, parties, and the canonical-order helpers."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from integrations.settings import Backend
from integrations.types.common import (
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

__all__ = [
    "BANDWIDTH_NAMES",
    "COS_NAMES",
    "EPOCH",
    "Backend",
    "NoteView",
    "PartyView",
    "PriceKind",
    "PriceView",
    "TermView",
    "View",
    "as_model",
    "buyer_views",
    "canonical",
    "characteristic",
    "characteristics_of",
    "configuration",
    "fold",
    "id_key",
    "normalize_decimal",
    "note_views",
    "place_ids",
    "price_view",
    "price_views",
    "raw_keys_of",
    "term_view",
    "text_of",
    "unique",
]


PriceKind = Literal["one_off", "recurring", "usage", "unknown"]

_M = TypeVar("_M", bound=OrangeModel)
_V = TypeVar("_V", bound=BaseModel)


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PriceView(View):
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


class NoteView(View):
    """A note on an order (`errorNote`, `OrderTakingNote`)."""

    author: str | None = None
    date: datetime | None = None
    text: str | None = None
    type: str | None = None


class PartyView(View):
    """The buyer (or the business customer): role, id and name only, no personal contact data."""

    role: str | None = None
    id: str | None = None
    name: str | None = None


class TermView(View):
    """A commitment term."""

    name: str | None = None
    amount: Decimal | None = None
    units: str | None = None


def as_model(model: type[_M], value: _M | Mapping[str, Any]) -> _M:
    if isinstance(value, model):
        return value
    return model.model_validate(value)


def id_key(value: str | None) -> tuple[int, int, str]:
    text = value or ""
    return (0, int(text), text) if text.isascii() and text.isdigit() else (1, 0, text)


def canonical(views: Iterable[_V], key: Callable[[_V], Any]) -> tuple[_V, ...]:
    # The JSON form breaks ties, so equal inputs in any order give the same tuple.
    return tuple(sorted(views, key=lambda v: (key(v), v.model_dump_json())))


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({v for v in values if v}, key=id_key))


def normalize_decimal(value: Decimal | int | float) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return number
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def text_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def fold(text: str) -> str:
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
        amount=normalize_decimal(money.value),
        currency=money.currency or "",
        period=period if kind in ("recurring", "usage") else None,
        tax_included=tax_included,
        item_id=item_id,
    )


def price_views(prices: Iterable[OrderPrice], item_id: str | None = None) -> tuple[PriceView, ...]:
    views = [v for v in (price_view(p, item_id=item_id) for p in prices) if v is not None]
    return canonical(views, lambda v: (id_key(v.item_id), v.kind, v.name or "", v.amount, v.period or ""))


def term_view(term: Term | None) -> TermView | None:
    if term is None:
        return None
    duration = term.duration
    amount = duration.amount if duration is not None else None
    return TermView(
        name=term.name,
        amount=normalize_decimal(amount) if amount is not None else None,
        units=duration.units if duration is not None else None,
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def note_views(notes: Iterable[Note]) -> tuple[NoteView, ...]:
    views = [NoteView(author=n.author, date=as_datetime(n.date), text=n.text, type=n.type_) for n in notes]
    return canonical(views, lambda v: (v.date or EPOCH, v.author or "", v.text or ""))


def buyer_views(parties: Iterable[RelatedParty]) -> tuple[PartyView, ...]:
    views = [
        PartyView(role=p.role, id=p.id, name=p.name or None) for p in parties if (p.role or "").casefold() == "buyer"
    ]
    return canonical(views, lambda v: (v.id or "", v.name or ""))


def raw_keys_of(model: OrangeModel) -> tuple[str, ...]:
    dumped = model.model_dump(by_alias=True, exclude_unset=True)
    return tuple(sorted(dumped))


def place_ids(places: Sequence[RelatedPlace]) -> tuple[str, ...]:
    return unique(p.id or p.building_code for p in places)


def configuration(config: ProductConfiguration | None) -> tuple[str | None, str | None]:
    if config is None:
        return None, None
    return text_of(config.bandwidth), config.class_of_service


BANDWIDTH_NAMES = ("debit", "bandwidth", "speed")
COS_NAMES = ("classe de service", "class of service", "classofservice")


def characteristic(chars: Sequence[Characteristic], names: tuple[str, ...]) -> str | None:
    for char in sorted(chars, key=lambda c: (c.name or "", c.id or "")):
        name = fold(char.name or "")
        if any(n == name or name.startswith(n) for n in names):
            return char.display_value
    return None


def characteristics_of(chars: Sequence[Characteristic]) -> tuple[tuple[str, str], ...]:
    pairs = {(c.name or c.id or "", c.display_value or "") for c in chars}
    return tuple(sorted(pairs))
