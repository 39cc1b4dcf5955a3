"""One vocabulary for the states of orders, quotes and products across Orange's three backends.

Orange speaks several dialects: MEF lowerCamel with dotted sub-states (`inProgress.jeopardy`),
TMF622 v4/v5 (`inProgress.accepted`), the prose and filters of the United Way pages
(`AKNOWLEGDED.INIT`, `INPROGRESS`), MEF r4's upper-case quote states (`IN_PROGRESS`), TMF637's
`"aborted "` (trailing space) and upper-case `ACTIVE`, and the business API's `step`. Every
`normalize_*` function here is total: any string (or None) gives a member, `unknown` when nothing
matches, and never raises. The raw value is kept by the callers (`state_raw`).
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "FINAL_ORDER_STATES",
    "ORDERABLE_QUOTE_STATES",
    "OrderState",
    "ProductStatus",
    "QuoteState",
    "canonical_key",
    "is_final",
    "normalize_business_step",
    "normalize_operational_status",
    "normalize_order_state",
    "normalize_product_status",
    "normalize_quote_state",
]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def canonical_key(raw: str | None) -> str:
    """Lower case, letters and digits only: `inProgress.accepted`, `IN_PROGRESS.ACCEPTED` → `inprogressaccepted`."""
    if not raw:
        return ""
    return _NOT_ALNUM.sub("", raw.casefold())


def _snake(raw: str) -> str:
    """`inDisturbance` → `in_disturbance`, `PENDING-CANCEL` → `pending_cancel`."""
    spaced = _CAMEL_BOUNDARY.sub("_", raw.strip())
    return _NOT_ALNUM.sub("_", spaced.casefold()).strip("_")


# --- orders ------------------------------------------------------------------------------------


class OrderState(StrEnum):
    """State of an order or an order item, whatever the backend."""

    acknowledged = "acknowledged"
    accepted = "accepted"
    in_progress = "in_progress"
    jeopardy = "jeopardy"
    pending = "pending"
    held = "held"
    partial = "partial"
    assessing_cancellation = "assessing_cancellation"
    pending_cancellation = "pending_cancellation"
    completed = "completed"
    cancelled = "cancelled"
    rejected = "rejected"
    failed = "failed"
    draft = "draft"
    unknown = "unknown"


def _order_aliases() -> dict[str, OrderState]:
    s = OrderState
    spellings: dict[OrderState, tuple[str, ...]] = {
        s.acknowledged: (
            "acknowledged",
            "acknowledged.init",  # United Way prose, correctly spelt
            "aknowlegded",  # United Way prose (sic)
            "aknowlegded.init",
            "acknowledgedinit",
            "ack",
            "init",
        ),
        s.accepted: (
            "accepted",
            "inProgress.accepted",  # TMF622 v5 and United Way
            "aknowlegded.accepted",  # United Way prose (sic)
            "acknowledged.accepted",
        ),
        s.in_progress: (
            "inProgress",  # MEF, TMF; United Way filters say INPROGRESS
            "inProgress.configured",  # MEF r4/rc5.1
            "inProgress.confirmed",  # MEF r4/rc5.1
            "ongoing",
            "processing",
        ),
        s.jeopardy: ("jeopardy", "inProgress.jeopardy"),
        s.pending: ("pending", "pending.assessingModification"),
        s.held: ("held", "held.assessingCharge", "onHold"),
        s.partial: ("partial", "partiallyCompleted"),
        s.assessing_cancellation: (
            "assessingCancellation",
            "assesssingCancellation",  # MEF r4 ProductOrderItemStateType (sic)
        ),
        s.pending_cancellation: ("pendingCancellation",),
        s.completed: ("completed", "complete", "done", "delivered"),
        s.cancelled: ("cancelled", "canceled"),
        s.rejected: ("rejected", "rejected.validated", "rejected.unassessed"),
        s.failed: ("failed", "failure", "terminatedWithError"),
        s.draft: ("draft", "inProgress.draft"),
        s.unknown: ("unknown",),
    }
    table: dict[str, OrderState] = {}
    for member, raws in spellings.items():
        table[canonical_key(member.value)] = member
        for raw in raws:
            table[canonical_key(raw)] = member
    return table


_ORDER_STATES = _order_aliases()

FINAL_ORDER_STATES: frozenset[OrderState] = frozenset(
    {OrderState.completed, OrderState.cancelled, OrderState.rejected, OrderState.failed, OrderState.partial}
)
"""States after which nothing more happens to an order: a watch ends there."""


def normalize_order_state(raw: str | None) -> OrderState:
    """Map any spelling of an order or item state to an `OrderState`; `unknown` if unrecognised.

    Case- and separator-insensitive (`IN_PROGRESS`, `in progress`, `inprogress`, `inProgress`).
    A dotted sub-state we do not know (`inProgress.somethingNew`) falls back to its head.
    """
    key = canonical_key(raw)
    if not key:
        return OrderState.unknown
    found = _ORDER_STATES.get(key)
    if found is not None:
        return found
    if raw is not None and "." in raw:
        head = canonical_key(raw.split(".", 1)[0])
        return _ORDER_STATES.get(head, OrderState.unknown)
    return OrderState.unknown


_BUSINESS_STEPS: dict[str, OrderState] = {
    # The business API's `step` is a stage of the request, not a TMF state.
    "request": OrderState.acknowledged,
    "requested": OrderState.acknowledged,
    "submitted": OrderState.acknowledged,
    "new": OrderState.acknowledged,
    "validation": OrderState.accepted,
    "validated": OrderState.accepted,
    "delivery": OrderState.in_progress,
    "production": OrderState.in_progress,
    "installation": OrderState.in_progress,
    "closed": OrderState.completed,
}


def normalize_business_step(raw: str | None) -> OrderState:
    """Map a business request's `step` (e.g. `REQUEST`) to an `OrderState`; `unknown` if unrecognised."""
    key = canonical_key(raw)
    if key in _BUSINESS_STEPS:
        return _BUSINESS_STEPS[key]
    return normalize_order_state(raw)


def is_final(state: OrderState) -> bool:
    """Whether the order is done for good (completed, cancelled, rejected, failed, partial)."""
    return state in FINAL_ORDER_STATES


# --- quotes ------------------------------------------------------------------------------------


class QuoteState(StrEnum):
    """State of a quote or quote item."""

    in_progress = "in_progress"
    approved = "approved"
    ready = "ready"
    rejected = "rejected"
    expired = "expired"
    accepted = "accepted"
    cancelled = "cancelled"
    unknown = "unknown"


def _quote_aliases() -> dict[str, QuoteState]:
    q = QuoteState
    spellings: dict[QuoteState, tuple[str, ...]] = {
        q.in_progress: (
            "IN_PROGRESS",  # MEF r4
            "inProgress",  # rc5.1
            "inProgress.draft",
            "pending",
            "INSUFICIENT_INFORMATION_PROVIDED",  # MEF r4 (sic): waiting for the buyer
        ),
        q.approved: (
            "approved",  # rc5.1, Orange
            "approved.orderable",  # billie and later
            "approved.orderableAlternate",
            "approved.answered",
        ),
        q.ready: ("READY",),  # MEF r4
        q.rejected: (
            "REJECTED",
            "rejected.unableToProvide",
            "rejected.insufficientInformationProvided",
            "UNABLE_TO_PROVIDE",  # MEF r4
            "ABANDONED",  # MEF r4 item state
        ),
        q.expired: ("EXPIRED", "rejected.expired"),
        q.accepted: ("ACCEPTED",),
        q.cancelled: (
            "CANCELLED",
            "canceled",
            "cancelled.insufficientInformationProvided",
            "cancelled.unableToProvide",
        ),
        q.unknown: ("unknown",),
    }
    table: dict[str, QuoteState] = {}
    for member, raws in spellings.items():
        table[canonical_key(member.value)] = member
        for raw in raws:
            table[canonical_key(raw)] = member
    return table


_QUOTE_STATES = _quote_aliases()

ORDERABLE_QUOTE_STATES: frozenset[QuoteState] = frozenset({QuoteState.approved, QuoteState.ready, QuoteState.accepted})


def normalize_quote_state(raw: str | None) -> QuoteState:
    """Map any spelling of a quote state (MEF r4 `READY`, rc5.1 `approved`, billie `approved.orderable`…)."""
    key = canonical_key(raw)
    if not key:
        return QuoteState.unknown
    found = _QUOTE_STATES.get(key)
    if found is not None:
        return found
    if raw is not None and "." in raw:
        return _QUOTE_STATES.get(canonical_key(raw.split(".", 1)[0]), QuoteState.unknown)
    return QuoteState.unknown


# --- products ----------------------------------------------------------------------------------


class ProductStatus(StrEnum):
    """Status of an inventory product."""

    active = "active"
    pending_active = "pending_active"
    pending = "pending"
    suspended = "suspended"
    pending_terminate = "pending_terminate"
    terminated = "terminated"
    cancelled = "cancelled"
    created = "created"
    aborted = "aborted"
    unknown = "unknown"


def _product_aliases() -> dict[str, ProductStatus]:
    p = ProductStatus
    spellings: dict[ProductStatus, tuple[str, ...]] = {
        p.active: ("ACTIVE",),  # TMF637 as Orange sends it
        p.pending_active: ("pendingActive",),
        p.pending: ("pending",),  # Orange carrier, in no MEF release
        p.suspended: ("suspended",),
        p.pending_terminate: (
            "pendingTerminate",
            "activePendingTerminate",  # MEF
            "suspendedPendingTerminate",  # MEF
        ),
        p.terminated: ("terminated",),
        p.cancelled: ("cancelled", "canceled"),
        p.created: ("created",),
        p.aborted: ("aborted ",),  # TMF637 v4 enum value (sic, trailing space)
        p.unknown: ("unknown",),
    }
    table: dict[str, ProductStatus] = {}
    for member, raws in spellings.items():
        table[canonical_key(member.value)] = member
        for raw in raws:
            table[canonical_key(raw)] = member
    return table


_PRODUCT_STATUSES = _product_aliases()


def normalize_product_status(raw: str | None) -> ProductStatus:
    """Map any spelling of a product status (`ACTIVE`, `pendingActive`, `"aborted "`…); `unknown` otherwise."""
    return _PRODUCT_STATUSES.get(canonical_key(raw), ProductStatus.unknown)


_OPERATIONAL_STATUSES = {
    canonical_key(value): _snake(value)
    for value in (
        # TMF637 operating-status lifecycle on Orange's page
        "aborted",
        "active",
        "cancelled",
        "confirmed",
        "created",
        "inDisturbance",
        "locked",
        "pendingActive",
        "pendingCancel",
        "pendingModification",
        "pendingTerminate",
        "terminated",
    )
}


def normalize_operational_status(raw: str | None) -> str | None:
    """Normalise Orange's `operationalStatus` to snake case (`inDisturbance` → `in_disturbance`, `ACTIVE` → `active`).

    Values outside Orange's lifecycle are kept, snake-cased; None or blank gives None.
    """
    if raw is None or not raw.strip():
        return None
    known = _OPERATIONAL_STATUSES.get(canonical_key(raw))
    if known is not None:
        return known
    return _snake(raw) or None
