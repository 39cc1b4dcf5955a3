"""The values the string columns take. Columns stay plain strings so a new value needs no migration.

A backend is `integrations.Backend` (the one list of backends the client serves).
"""

from __future__ import annotations

from enum import StrEnum


class WatchKind(StrEnum):
    ORDER = "order"
    PRODUCT = "product"


class WatchFilter(StrEnum):
    ALL = "all"
    ERRORS = "errors"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class ApprovalKind(StrEnum):
    QUOTE_ORDER = "quote_order"
    CANCEL_ORDER = "cancel_order"


class ApprovalState(StrEnum):
    PENDING = "pending"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    FAILED = "failed"
    EXPIRED = "expired"
    """Nobody decided within `APPROVAL_EXPIRES_AFTER`: terminal, like rejected."""


class AuditAction(StrEnum):
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_EXPIRED = "approval.expired"
    CARRIER_CALL = "carrier.call"
    CARRIER_RESULT = "carrier.result"
    WATCH_CREATED = "watch.created"
    WATCH_ENDED = "watch.ended"
    SUBSCRIPTION_CREATED = "subscription.created"
    SUBSCRIPTION_ENDED = "subscription.ended"
