"""Reads and writes, keyword-only, each inside the caller's session (the caller commits).

Whatever must happen once (a watch per channel and order, an outbox post per change, a carrier
call per approval, a Slack delivery) is decided by the database: a unique key with
``INSERT … ON CONFLICT DO NOTHING``, or a compare-and-set ``UPDATE … WHERE``, never by a read
followed by a write. That holds across threads, processes and replicas sharing PostgreSQL.

One module per table family: ``watches`` (and snapshots), ``outbox``, ``approvals``, ``audit``, ``deliveries``;
every SQL statement of the bot lives in one of them.
"""

from __future__ import annotations

from .approvals import (
    APPROVAL_TRANSITIONS,
    LIVE_APPROVAL_STATES,
    approval_cards_among,
    claim_approval,
    create_approval,
    get_approval,
    get_approval_by_external_id,
    get_live_approval,
    latest_approval_for_message,
    list_due_approval_checks,
    list_pending_approvals,
    list_stale_cards,
    mark_card_shown,
    open_approval,
    release_approval,
    renew_approval_lease,
    set_message_ts,
    settle_approval,
    take_approval,
    transition_approval,
)
from .audit import AUDIT_CSV_FIELDS, audit_rows, record_audit
from .deliveries import mark_delivery_processed, prune_processed_deliveries
from .outbox import (
    claim_outbox_row,
    defer_outbox,
    due_outbox_watches,
    enqueue_outbox,
    list_outbox,
    mark_outbox_failed,
    mark_outbox_sent,
    renew_outbox_claim,
    unsent_outbox,
)
from .watches import (
    claim_due_watches,
    create_watch,
    end_watch,
    get_live_watch,
    get_snapshot,
    get_watch,
    list_live_watches,
    list_user_watches,
    load_snapshots,
    pause_watch,
    release_watch,
    release_watches_ok,
    resume_watch,
    save_snapshot,
    set_watch_root,
)

__all__ = [
    "APPROVAL_TRANSITIONS",
    "AUDIT_CSV_FIELDS",
    "LIVE_APPROVAL_STATES",
    "approval_cards_among",
    "audit_rows",
    "claim_approval",
    "claim_due_watches",
    "claim_outbox_row",
    "create_approval",
    "create_watch",
    "defer_outbox",
    "due_outbox_watches",
    "end_watch",
    "enqueue_outbox",
    "get_approval",
    "get_approval_by_external_id",
    "get_live_approval",
    "get_live_watch",
    "get_snapshot",
    "get_watch",
    "latest_approval_for_message",
    "list_due_approval_checks",
    "list_live_watches",
    "list_outbox",
    "list_pending_approvals",
    "list_stale_cards",
    "list_user_watches",
    "load_snapshots",
    "mark_card_shown",
    "mark_delivery_processed",
    "mark_outbox_failed",
    "mark_outbox_sent",
    "open_approval",
    "pause_watch",
    "prune_processed_deliveries",
    "record_audit",
    "release_approval",
    "release_watch",
    "release_watches_ok",
    "renew_approval_lease",
    "renew_outbox_claim",
    "resume_watch",
    "save_snapshot",
    "set_message_ts",
    "set_watch_root",
    "settle_approval",
    "take_approval",
    "transition_approval",
    "unsent_outbox",
]
