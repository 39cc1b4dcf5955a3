"""The ``key=value`` filters a verb hands to a backend's list: only those the backend documents, spelt its way.

    PRODUCT_FILTERS["wholesale"].canonical("STATUS")             # "status"
    PRODUCT_FILTERS["wholesale"].canonical("creationdate.GT")    # "creationDate.gt"
    PRODUCT_FILTERS["carrier"].canonical("limit")                # None

Paging, sorting, field selection and expansion (`PAGING_KEYS`) are never filters: the bot pages its lists itself
(Next and Previous buttons), and a user's ``limit=100000`` would otherwise reach Orange as typed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_type_hints

from bot.i18n import _
from integrations.types.carrier import CarrierProductListParams
from integrations.types.wholesale import WholesaleProductListParams

__all__ = ["PAGING_KEYS", "PRODUCT_FILTERS", "TMF_OPERATORS", "Filters"]

PAGING_KEYS = ("limit", "offset", "fields", "sort", "depth")
"""Query keys of Orange's lists that are not filters: the bot's to set."""
TMF_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
"""TMF630 attribute operators (``creationDate.gt=``), which TMF637 allows on every documented filter."""


@dataclass(frozen=True)
class Filters:
    """The filters one list documents: `names`, each also with an operator suffix from `operators` (if any)."""

    names: frozenset[str]
    operators: tuple[str, ...] = ()
    _by_fold: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = [*self.names, *(f"{name}.{op}" for name in self.names for op in self.operators)]
        object.__setattr__(self, "_by_fold", {key.casefold(): key for key in keys})

    @classmethod
    def of(cls, keys: Iterable[str], *, operators: tuple[str, ...] = ()) -> Filters:
        """From documented keys; with `operators`, a key's own operator suffix is folded into its name."""
        names = {_strip_operator(key, operators) for key in keys} - set(PAGING_KEYS)
        return cls(frozenset(names), operators)

    @property
    def keys(self) -> frozenset[str]:
        """Every key accepted, as the API spells it (the names, and each with each operator)."""
        return frozenset(self._by_fold.values())

    def canonical(self, key: str) -> str | None:
        """The documented spelling of `key` (any case), or None when the list has no such filter."""
        return self._by_fold.get(key.casefold())

    def closest(self, key: str) -> str | None:
        """The documented filter `key` was probably meant to be, if any."""
        close = difflib.get_close_matches(key.casefold(), list(self._by_fold), n=1)
        return self._by_fold[close[0]] if close else None

    def describe(self) -> str:
        """``a=, b=, c=`` (and how the operators are written), for a one-line error."""
        text = ", ".join(f"{name}=" for name in sorted(self.names))
        if self.operators:
            *others, last = (f".{op}" for op in self.operators)
            text = _(
                "{filters}; each may end in {operators} or {last}", filters=text, operators=", ".join(others), last=last
            )
        return text


def _strip_operator(key: str, operators: tuple[str, ...]) -> str:
    name, dot, last = key.rpartition(".")
    return name if dot and last in operators else key


def _documented(params: type, *, operators: tuple[str, ...] = ()) -> Filters:
    return Filters.of(get_type_hints(params), operators=operators)


PRODUCT_FILTERS: dict[str, Filters] = {
    # MEF LSO Sonata names each operator it takes as a parameter of its own (`startDate.gt`).
    "carrier": _documented(CarrierProductListParams),
    # TMF637 "Product attribute filter": =, .eq, .ne, .gt, .gte, .lt, .lte on every attribute it lists.
    "wholesale": _documented(WholesaleProductListParams, operators=TMF_OPERATORS),
}
"""The filters of each backend's product inventory list (business has no inventory)."""
