"""Approval kinds, one module each (`cancel_order`, `quote_order`): a typed payload, the call to Orange, the
look-up after a lost answer and the card's fields. `carrier`, `reconcile` and `cards` reach a kind through `KINDS`;
the decision logic (`decisions`, `policy`) is written once for all of them."""

from __future__ import annotations

from collections.abc import Mapping

from storage.enums import ApprovalKind
from storage.models import Approval

from . import cancel_order, quote_order
from .base import Kind, Payload, Result, order_result

KINDS: Mapping[ApprovalKind, Kind] = {
    ApprovalKind.CANCEL_ORDER: cancel_order.KIND,
    ApprovalKind.QUOTE_ORDER: quote_order.KIND,
}


class UnknownKind(ValueError):
    """A stored approval of a kind this code does not know."""


def kind_of(approval: Approval | str) -> Kind:
    """The kind of `approval` (or of a stored kind name); `UnknownKind` when there is none by that name."""
    name = approval if isinstance(approval, str) else approval.kind
    try:
        return KINDS[ApprovalKind(name)]
    except (ValueError, KeyError):
        raise UnknownKind(f"unknown approval kind {name!r}: expected one of {sorted(k.value for k in KINDS)}") from None


__all__ = ["KINDS", "Kind", "Payload", "Result", "UnknownKind", "kind_of", "order_result"]
