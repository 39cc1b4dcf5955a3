"""Tables. ``XBase`` holds what callers give, ``XCreate``/``XUpdate`` validate it, ``X`` is the table.

Wire models (pydantic types from ``integrations``) never become tables: storage takes their
``model_dump(mode="json")`` dicts. JSON columns are not change-tracked in place: assign a new
dict rather than mutating the loaded one.
"""

# No `from __future__ import annotations` here: SQLModel reads the annotations at class creation.

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, ConfigDict
from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from integrations.settings import Backend
from storage.columns import JSONDocument, UTCDateTime, utcnow
from storage.enums import (
    ApprovalKind,
    ApprovalState,
    OutboxStatus,
    WatchFilter,
    WatchKind,
)

# Named constraints, so SQLite batch migrations can drop and recreate them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_LIVE = text("ended_at IS NULL")
# An approval is live from its request until it is refused or fails: one per target at a time.
_LIVE_APPROVAL = text("state IN ('pending', 'submitting', 'submitted')")


# --- watches -------------------------------------------------------------------------------


class WatchBase(SQLModel):
    team_id: str
    channel_id: str
    backend: str
    order_id: str
    """The order's id, or the product's for a product watch (`kind`)."""
    filter: str = WatchFilter.ALL.value
    created_by: str
    kind: str = WatchKind.ORDER.value


class WatchCreate(WatchBase):
    backend: Backend
    filter: WatchFilter = WatchFilter.ALL
    kind: WatchKind = WatchKind.ORDER
    thread_ts: str | None = None
    next_poll_at: AwareDatetime | None = None
    subscription_id: uuid.UUID | None = None


class Watch(WatchBase, table=True):
    """A channel's subscription to one order; live while ``ended_at`` is NULL."""

    __table_args__ = (
        # One live watch per channel and order; ended ones are history and may repeat.
        Index(
            "uq_watch_live",
            "team_id",
            "channel_id",
            "kind",
            "backend",
            "order_id",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        # The claim's order (due first, then id): a batch reads 500 index entries, never a sort of every due watch.
        Index("ix_watch_due", "next_poll_at", "id", sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_watch_team_id_created_by", "team_id", "created_by"),
        Index("ix_watch_subscription_id", "subscription_id", sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    thread_ts: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = None
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_reason: str | None = None
    next_poll_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = 0
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Since when the order is in its current state, as far as the bot saw (digests: "stuck for N days")."""
    subscription_id: uuid.UUID | None = Field(default=None, foreign_key="subscription.id", ondelete="SET NULL")
    """The channel rule that started this watch, if one did (a watch started by hand has none)."""


# --- subscriptions: channel rules that watch orders as they appear --------------------------------


class Subscription(SQLModel, table=True):
    """`/orange subscribe <backend> [key=value…] [errors]`: every matching order is watched in the channel.

    `number` is the channel's short name for it (`/orange unsubscribe 2`). Orders that matched when it was made
    are watched too only when `include_existing`; at most `cap` of its watches are live at a time.
    """

    __table_args__ = (
        Index("uq_subscription_number", "team_id", "channel_id", "number", unique=True),
        Index("ix_subscription_due", "next_scan_at", sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: str
    channel_id: str
    number: int
    backend: str
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    errors_only: bool = False
    include_existing: bool = False
    cap: int
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = None
    next_scan_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_scan_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cap_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set when the channel was told the cap is reached; cleared once it is below it again."""


class SubscriptionOrder(SQLModel, table=True):
    """An order a subscription has dealt with: watched, or left out as existing (its key makes it once)."""

    __tablename__ = "subscription_order"

    subscription_id: uuid.UUID = Field(foreign_key="subscription.id", ondelete="CASCADE", primary_key=True)
    order_id: str = Field(primary_key=True)
    watched: bool
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- Orange's push: the hubs this deployment registered ----------------------------------------


class HubRegistration(SQLModel, table=True):
    """One hub registered at an Orange API (`POST /hub`); Orange has no GET, so its id is kept here.

    The callback URL carries a secret; only its sha256 is stored (`secret_digest`) and compared in constant time.
    """

    __tablename__ = "hub_registration"
    __table_args__ = (
        Index("uq_hub_registration_live", "api", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    api: str
    """`ordering` (TMF622) or `inventory` (TMF637)."""
    hub_id: str | None = None
    secret_digest: str = Field(index=True)
    query: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = None


# --- digests ----------------------------------------------------------------------------------


class DigestSchedule(SQLModel, table=True):
    """`/orange digest daily HH:MM [tz]`: one channel's daily digest; `last_sent_on` and the outbox row keyed by
    (channel, day) make it once a day."""

    __tablename__ = "digest_schedule"
    __table_args__ = (
        Index(
            "uq_digest_schedule_live", "team_id", "channel_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: str
    channel_id: str
    backend: str | None = None
    at_time: str
    """`HH:MM`, in `tz`."""
    tz: str = "UTC"
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sent_on: str | None = None
    """The local date (`YYYY-MM-DD`) of the last digest owed to the channel's outbox (which posts it)."""
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- channel settings --------------------------------------------------------------------------


class ChannelSettings(SQLModel, table=True):
    """`/orange settings`: what one channel wants to hear and how (its daily digest's time is its `DigestSchedule`).
    No row: every default. Each change is audited (`channel_setting`: who, when, old → new)."""

    __tablename__ = "channel_settings"

    team_id: str = Field(primary_key=True)
    channel_id: str = Field(primary_key=True)
    language: str = "en"
    """`en` or `fr`: the channel's posts and thread replies."""
    thread: str = "everything"
    """`everything`, or `errors`: only change sets carrying an error, an alert or a final state."""
    broadcast: str = "finals_and_alerts"
    """What is also sent to the channel: `finals_and_alerts`, or `finals` only."""
    mention: str = "creator"
    """Whom a reply that needs action names: `nobody`, `creator`, or a user group's id (`S…`)."""
    approvers: str = "default"
    """Who decides the channel's approvals: `default` (`APPROVER_GROUP` / `APPROVER_USER_IDS`), or a user group's
    id (`S…`)."""
    updated_by: str | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderSnapshot(SQLModel, table=True):
    """The order as the last poll saw it, to diff the next one against."""

    __tablename__ = "order_snapshot"

    watch_id: uuid.UUID = Field(foreign_key="watch.id", ondelete="CASCADE", primary_key=True)
    view: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    digest: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    source_digest: str | None = Field(default=None, max_length=64)
    """The digest of the order as the backend last listed it: an equal list entry is the same order."""
    state: str | None = Field(default=None, max_length=64)
    """The snapshot's order state (a summary list is compared with it without reading `view`)."""


class PollWalk(SQLModel, table=True):
    """Who walks a backend's whole order list this cycle (carrier, business: their lists cannot filter by id).

    Replicas sharing a database walk it once between them: the holder polls every watch of that backend, the
    others leave those watches to it until its lease ends (a dead holder's lease runs out).
    """

    __tablename__ = "poll_walk"

    backend: str = Field(primary_key=True, max_length=32)
    owner: str
    until: datetime = Field(sa_type=UTCDateTime)


# --- backend outages ------------------------------------------------------------------------


class BackendOutage(SQLModel, table=True):
    """A backend that every replica finds down, from its first failed list until a probe answers: the replica whose
    INSERT wins owes the channels' outage notices, the one whose DELETE wins owes their recovery notices."""

    __tablename__ = "backend_outage"

    backend: str = Field(primary_key=True, max_length=32)
    since: datetime = Field(sa_type=UTCDateTime)
    reason: str


# --- history ------------------------------------------------------------------------------


class OrderHistory(SQLModel, table=True):
    """One kept read of a watched order (`bot.history`): its first read by this workspace (`seen`), a change set
    (`changes`), or a read where only Orange's dates moved (`dates`). Keyed by (team, order, fingerprint): two
    channels watching one order keep one row per change (the first to see it); kept `HISTORY_KEEP_DAYS` after the
    order's last row."""

    __tablename__ = "order_history"
    __table_args__ = (
        # Reports: a team's rows in a period (and retention's cut-off).
        Index("ix_order_history_team_id_seen_at", "team_id", "seen_at"),
    )

    team_id: str = Field(primary_key=True)
    backend: str = Field(primary_key=True, max_length=32)
    order_id: str = Field(primary_key=True)
    fingerprint: str = Field(primary_key=True, max_length=80)
    kind: str = Field(max_length=16)
    """`seen`, `changes` or `dates`."""
    seen_at: datetime = Field(sa_type=UTCDateTime)
    """When the bot saw it (its clock)."""
    happened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When Orange's data says the order's move happened, where it says so (a completed order's completion date)."""
    state: str | None = Field(default=None, max_length=32)
    """The order's state after this read (normalised); NULL when the read did not say."""
    final: bool = False
    """Whether `state` is final (the report's look-up of orders still open needs no parsing)."""
    label: str | None = Field(default=None, sa_type=Text)
    """The order as people know it (the buyer's reference, a description, the place) at this read."""
    order_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requested_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expected_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completion_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    marks: list[Any] = Field(default_factory=list, sa_type=JSONDocument)
    """Errors opened and closed, milestones, jeopardy alerts: `[kind, item, text, reason, code, at]` each."""
    moves: list[Any] = Field(default_factory=list, sa_type=JSONDocument)
    """The items' state changes of a change set: `[item, old, new]` each."""


class ReportSchedule(SQLModel, table=True):
    """`/orange report weekly <day> HH:MM [tz]`: one channel's weekly report; `last_sent_on` (a compare-and-set)
    and the outbox row keyed by (channel, week) make it once a week across replicas."""

    __tablename__ = "report_schedule"
    __table_args__ = (
        Index(
            "uq_report_schedule_live", "team_id", "channel_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: str
    channel_id: str
    backend: str | None = None
    weekday: int
    """0 Monday … 6 Sunday, in `tz`."""
    at_time: str
    """`HH:MM`, in `tz`."""
    tz: str = "UTC"
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sent_on: str | None = None
    """The local date (`YYYY-MM-DD`) of the last report owed to the channel's outbox (which posts it)."""
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- outbox --------------------------------------------------------------------------------


class OutboxMessageBase(SQLModel):
    fingerprint: str
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    broadcast: bool = False


class OutboxMessageCreate(OutboxMessageBase):
    watch_id: uuid.UUID | None = None
    team_id: str | None = None
    channel_id: str | None = None


class OutboxMessage(OutboxMessageBase, table=True):
    """A Slack post owed to a watch's thread (``watch_id``), or to a channel (``team_id``, ``channel_id``: a daily
    digest); ``(watch_id, fingerprint)`` or ``(team_id, channel_id, fingerprint)`` makes it owed once."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("watch_id", "fingerprint", name="uq_outbox_message_watch_id_fingerprint"),
        # NULLs are distinct: a watch's rows (no channel here) never collide on it.
        UniqueConstraint(
            "team_id", "channel_id", "fingerprint", name="uq_outbox_message_team_id_channel_id_fingerprint"
        ),
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    watch_id: uuid.UUID | None = Field(default=None, foreign_key="watch.id", ondelete="CASCADE")
    team_id: str | None = None
    channel_id: str | None = None
    status: str = OutboxStatus.PENDING.value
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A sender's claim: taken just before the Slack call, renewed while it runs, checked by every mark_*.
    claim_token: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Slack may have the post already (a claim that ran out, a timeout, a 5xx): look in the thread first.
    uncertain: bool = False
    last_error: str | None = Field(default=None, sa_type=Text)
    slack_ts: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- approvals and audit -------------------------------------------------------------------


class ApprovalBase(SQLModel):
    kind: str
    team_id: str
    channel_id: str
    requester_id: str
    backend: str
    target_id: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)


class ApprovalCreate(ApprovalBase):
    kind: ApprovalKind
    backend: Backend
    message_ts: str | None = None
    external_id: str | None = None


class ApprovalUpdate(SQLModel):
    """What a state transition may set besides ``state`` (``version``/``updated_at`` are automatic)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]  # SQLModelConfig is a ConfigDict

    message_ts: str | None = None
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    external_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class Approval(ApprovalBase, table=True):
    """A costly action waiting for a decision; ``version`` makes each transition compare-and-set.

    While ``submitting``, the row has an owner: ``lease_owner`` (one claim's token) holds it until
    ``lease_until`` and renews it while its carrier call runs. A row left ``submitting`` with no owner
    (Orange's answer was lost) is looked up at ``next_check_at``; one whose lease ran out (its owner
    died) is due at once. Whoever looks it up claims it first, by compare-and-set.
    """

    __table_args__ = (
        Index(
            "uq_approval_live",
            "kind",
            "backend",
            "target_id",
            unique=True,
            sqlite_where=_LIVE_APPROVAL,
            postgresql_where=_LIVE_APPROVAL,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    message_ts: str | None = None
    state: str = Field(default=ApprovalState.PENDING.value, index=True)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Sent to the carrier with the order, so an order whose answer was lost can be found again; a
    # retry reuses its failed approval's, so it finds an order the first attempt placed after all.
    external_id: str = Field(index=True)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONDocument)
    error: str | None = Field(default=None, sa_type=Text)
    version: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    called_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the carrier call was (about to be) made: how long "not found" may still mean "not indexed yet"."""
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checks: int = 0
    shown_version: int | None = None
    """The version the Slack card last showed; behind ``version`` means the card must be redrawn."""
    card_redraw_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Not before this may the card be updated again: Slack answered ``chat.update`` with 429 and a Retry-After."""
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the approvers of this pending approval were last reminded (None: not yet)."""
    next_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When they are reminded next; None before the first (due ``APPROVAL_REMIND_AFTER`` after ``created_at``)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApprovalDecision(SQLModel, table=True):
    """One approver's Approve of an approval that needs two people: the second different one claims it."""

    __tablename__ = "approval_decision"

    approval_id: uuid.UUID = Field(foreign_key="approval.id", ondelete="CASCADE", primary_key=True)
    user_id: str = Field(primary_key=True)
    decision: str = "approve"
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str
    action: str = Field(index=True)
    approval_id: uuid.UUID | None = Field(default=None, foreign_key="approval.id", index=True)
    backend: str | None = None
    subject: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)


class ProcessedDelivery(SQLModel, table=True):
    """A Slack delivery or button click already handled: a redelivery finds its key and stops."""

    __tablename__ = "processed_delivery"

    key: str = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


__all__ = [
    "Approval",
    "ApprovalBase",
    "ApprovalCreate",
    "ApprovalUpdate",
    "AuditEvent",
    "ApprovalDecision",
    "ChannelSettings",
    "DigestSchedule",
    "HubRegistration",
    "OrderSnapshot",
    "OutboxMessage",
    "OutboxMessageBase",
    "OutboxMessageCreate",
    "ProcessedDelivery",
    "Subscription",
    "SubscriptionOrder",
    "Watch",
    "WatchBase",
    "WatchCreate",
]
