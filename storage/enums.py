"""The values the string columns take. Columns stay plain strings so a new value needs no migration."""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    CARRIER = "carrier"
    WHOLESALE = "wholesale"
    BUSINESS = "business"


class WatchFilter(StrEnum):
    ALL = "all"
    ERRORS = "errors"


class OutboxKind(StrEnum):
    ORDER_STATE = "order_state"
    ITEM_STATE = "item_state"
    ERROR_OPENED = "error_opened"
    ERROR_CLOSED = "error_closed"
    MILESTONE = "milestone"
    JEOPARDY = "jeopardy"
    FINAL = "final"
    POLLING_FAILING = "polling_failing"
    POLLING_RECOVERED = "polling_recovered"
    ROOT_UPDATE = "root_update"


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


class AuditAction(StrEnum):
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_REJECTED = "approval.rejected"
    CARRIER_CALL = "carrier.call"
    CARRIER_RESULT = "carrier.result"
    WATCH_CREATED = "watch.created"
    WATCH_ENDED = "watch.ended"
