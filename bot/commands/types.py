"""The typed commands of ``/orange``, and how each reads back as text.

    to_text(OrderGet(Reference("carrier", "11")))   # "order carrier:11"

Each command knows its verb and renders its own arguments (`args()`); `to_text` joins them, and `parse` reads the
result back as the same command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

from bot.commands.references import Reference
from bot.commands.tokens import needs_quotes, quote_word

__all__ = [
    "Address",
    "Cancel",
    "Command",
    "DigestDaily",
    "DigestNow",
    "DigestOff",
    "Find",
    "Help",
    "HistoryGet",
    "Offer",
    "OrderFind",
    "OrderGet",
    "Orders",
    "ProductGet",
    "Products",
    "QuoteGet",
    "QuoteNew",
    "Quotes",
    "ReportNow",
    "ReportOff",
    "ReportWeekly",
    "SettingsOpen",
    "SettingsSet",
    "SettingsShow",
    "Site",
    "Sites",
    "Subscribe",
    "Subscriptions",
    "Unsubscribe",
    "Unwatch",
    "UnwatchProduct",
    "WatchProduct",
    "WatchOrder",
    "Watches",
    "to_text",
]


def _free(text: str) -> str:
    """Free text (a reason, a search): bare words when they read back as they are, else one quoted word."""
    words = text.split(" ")
    if any(needs_quotes(word) for word in words):
        return quote_word(text)
    return " ".join(quote_word(word) for word in words)


def _pairs(*pairs: tuple[str, str | None]) -> list[str]:
    return [f"{key}={quote_word(value)}" for key, value in pairs if value is not None]


def _own_id(backend: str, id_: str) -> str:
    """An id of a one-backend verb: bare unless it would read as a backend prefix or as `quote new`."""
    return quote_word(f"{backend}:{id_}" if ":" in id_ or id_.lower() == "new" else id_)


@dataclass(frozen=True, slots=True)
class Help:
    verb: ClassVar[str] = "help"
    topic: str | None = None

    def args(self) -> list[str]:
        return [self.topic] if self.topic else []


@dataclass(frozen=True, slots=True)
class Sites:
    verb: ClassVar[str] = "sites"
    city: str | None = None
    country: str | None = None
    name: str | None = None
    text: str | None = None

    def args(self) -> list[str]:
        words = [_free(self.text)] if self.text is not None else []
        return words + _pairs(("city", self.city), ("country", self.country), ("name", self.name))


@dataclass(frozen=True, slots=True)
class Site:
    verb: ClassVar[str] = "site"
    site_id: str

    def args(self) -> list[str]:
        return [_own_id("carrier", self.site_id)]


@dataclass(frozen=True, slots=True)
class Address:
    verb: ClassVar[str] = "address"
    street: str
    number: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    def args(self) -> list[str]:
        return _pairs(
            ("street", self.street),
            ("nr", self.number),
            ("city", self.city),
            ("postcode", self.postcode),
            ("country", self.country),
        )


@dataclass(frozen=True, slots=True)
class Quotes:
    verb: ClassVar[str] = "quotes"

    def args(self) -> list[str]:
        return []


@dataclass(frozen=True, slots=True)
class QuoteGet:
    verb: ClassVar[str] = "quote"
    reference: Reference

    def args(self) -> list[str]:
        return [_own_id("carrier", self.reference.id)]


@dataclass(frozen=True, slots=True)
class QuoteNew:
    verb: ClassVar[str] = "quote"

    def args(self) -> list[str]:
        return ["new"]


@dataclass(frozen=True, slots=True)
class Orders:
    verb: ClassVar[str] = "orders"
    backend: str | None = None
    state: str | None = None

    def args(self) -> list[str]:
        return ([self.backend] if self.backend else []) + _pairs(("state", self.state))


@dataclass(frozen=True, slots=True)
class OrderGet:
    verb: ClassVar[str] = "order"
    reference: Reference

    def args(self) -> list[str]:
        return [quote_word(str(self.reference))]


@dataclass(frozen=True, slots=True)
class OrderFind:
    """``order <text>`` where the text is no order id: the orders whose buyer's reference it is (`Find`)."""

    verb: ClassVar[str] = "order"
    text: str

    def args(self) -> list[str]:
        return [quote_word(self.text)]


@dataclass(frozen=True, slots=True)
class Find:
    """``find <text>``: the orders whose buyer's reference is `text`, across the enabled backends."""

    verb: ClassVar[str] = "find"
    text: str

    def args(self) -> list[str]:
        return [_free(self.text)]


@dataclass(frozen=True, slots=True)
class Products:
    verb: ClassVar[str] = "products"
    backend: str | None = None
    filters: tuple[tuple[str, str], ...] = field(default=())

    def args(self) -> list[str]:
        return ([self.backend] if self.backend else []) + _pairs(*self.filters)


@dataclass(frozen=True, slots=True)
class ProductGet:
    verb: ClassVar[str] = "product"
    reference: Reference

    def args(self) -> list[str]:
        return [quote_word(str(self.reference))]


@dataclass(frozen=True, slots=True)
class Offer:
    verb: ClassVar[str] = "offer"
    offering_id: str

    def args(self) -> list[str]:
        return [_own_id("wholesale", self.offering_id)]


@dataclass(frozen=True, slots=True)
class WatchOrder:
    verb: ClassVar[str] = "watch"
    reference: Reference
    errors_only: bool = False

    def args(self) -> list[str]:
        return [quote_word(str(self.reference))] + (["errors"] if self.errors_only else [])


@dataclass(frozen=True, slots=True)
class Unwatch:
    verb: ClassVar[str] = "unwatch"
    reference: Reference

    def args(self) -> list[str]:
        return [quote_word(str(self.reference))]


@dataclass(frozen=True, slots=True)
class Watches:
    verb: ClassVar[str] = "watches"

    def args(self) -> list[str]:
        return []


@dataclass(frozen=True, slots=True)
class Cancel:
    verb: ClassVar[str] = "cancel"
    reference: Reference
    reason: str | None = None

    def args(self) -> list[str]:
        return [quote_word(str(self.reference))] + ([_free(self.reason)] if self.reason is not None else [])


@dataclass(frozen=True, slots=True)
class WatchProduct:
    verb: ClassVar[str] = "watch"
    reference: Reference

    def args(self) -> list[str]:
        return ["product", quote_word(str(self.reference))]


@dataclass(frozen=True, slots=True)
class UnwatchProduct:
    verb: ClassVar[str] = "unwatch"
    reference: Reference

    def args(self) -> list[str]:
        return ["product", quote_word(str(self.reference))]


@dataclass(frozen=True, slots=True)
class Subscribe:
    verb: ClassVar[str] = "subscribe"
    backend: str
    filters: tuple[tuple[str, str], ...] = field(default=())
    errors_only: bool = False

    def args(self) -> list[str]:
        # "errors" before the pairs: a value runs until the next key=, so after them it would join the last value
        return [self.backend] + (["errors"] if self.errors_only else []) + _pairs(*self.filters)


@dataclass(frozen=True, slots=True)
class Subscriptions:
    verb: ClassVar[str] = "subscriptions"

    def args(self) -> list[str]:
        return []


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    verb: ClassVar[str] = "unsubscribe"
    number: int

    def args(self) -> list[str]:
        return [str(self.number)]


@dataclass(frozen=True, slots=True)
class DigestNow:
    verb: ClassVar[str] = "digest"
    backend: str | None = None

    def args(self) -> list[str]:
        return [self.backend] if self.backend else []


@dataclass(frozen=True, slots=True)
class DigestDaily:
    verb: ClassVar[str] = "digest"
    at_time: str
    """`HH:MM`."""
    tz: str = "UTC"

    def args(self) -> list[str]:
        return ["daily", self.at_time, quote_word(self.tz)]


@dataclass(frozen=True, slots=True)
class DigestOff:
    verb: ClassVar[str] = "digest"

    def args(self) -> list[str]:
        return ["off"]


@dataclass(frozen=True, slots=True)
class HistoryGet:
    """``history <ref> [csv]``: one order's timeline (csv: as a file too, sent by direct message)."""

    verb: ClassVar[str] = "history"
    reference: Reference
    csv: bool = False

    def args(self) -> list[str]:
        return [quote_word(str(self.reference)), *(["csv"] if self.csv else [])]


@dataclass(frozen=True, slots=True)
class ReportNow:
    """``report [backend] [last 30d | 2026-11 | 2026-11-01..2026-11-30] [tz=…]``: a delivery report."""

    verb: ClassVar[str] = "report"
    backend: str | None = None
    period: str = "last 30d"
    """As typed, canonical: `last <n>d`, `last <n>w`, `YYYY-MM`, or `YYYY-MM-DD..YYYY-MM-DD` (both days included)."""
    tz: str | None = None
    """The zone the period's days are read in (default: the requester's)."""

    def args(self) -> list[str]:
        return [*([self.backend] if self.backend else []), *self.period.split(), *_pairs(("tz", self.tz))]


@dataclass(frozen=True, slots=True)
class ReportWeekly:
    """``report weekly <day> HH:MM [tz]``: the last seven days' report, posted in the channel every week."""

    verb: ClassVar[str] = "report"
    weekday: int
    """0 Monday … 6 Sunday."""
    at_time: str
    tz: str = "UTC"

    def args(self) -> list[str]:
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        return ["weekly", days[self.weekday], self.at_time, quote_word(self.tz)]


@dataclass(frozen=True, slots=True)
class ReportOff:
    verb: ClassVar[str] = "report"

    def args(self) -> list[str]:
        return ["weekly", "off"]


@dataclass(frozen=True, slots=True)
class SettingsOpen:
    """``settings``: the channel's settings in a modal."""

    verb: ClassVar[str] = "settings"

    def args(self) -> list[str]:
        return []


@dataclass(frozen=True, slots=True)
class SettingsShow:
    verb: ClassVar[str] = "settings"

    def args(self) -> list[str]:
        return ["show"]


@dataclass(frozen=True, slots=True)
class SettingsSet:
    """``settings key=value…``: values checked (`bot.commands.settings`); a group is its id or ``@handle``."""

    verb: ClassVar[str] = "settings"
    values: tuple[tuple[str, str], ...]

    def args(self) -> list[str]:
        return _pairs(*self.values)


Command: TypeAlias = (
    Help
    | Sites
    | Site
    | Address
    | Quotes
    | QuoteGet
    | QuoteNew
    | Orders
    | OrderGet
    | OrderFind
    | Find
    | Products
    | ProductGet
    | Offer
    | WatchOrder
    | Unwatch
    | Watches
    | Cancel
    | WatchProduct
    | UnwatchProduct
    | Subscribe
    | Subscriptions
    | Unsubscribe
    | DigestNow
    | DigestDaily
    | DigestOff
    | HistoryGet
    | ReportNow
    | ReportWeekly
    | ReportOff
    | SettingsOpen
    | SettingsShow
    | SettingsSet
)


def to_text(command: Command) -> str:
    """The text that `parse` reads back as `command` (references always with their backend)."""
    return " ".join([command.verb, *command.args()])
