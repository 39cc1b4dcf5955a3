"""Subscriptions: a channel's rules, numbered per channel, and the orders each has dealt with (once each).

An order is watched by a subscription at most once, whatever replicas race or events repeat: the first INSERT of
``(subscription, order)`` into ``subscription_order`` wins and creates the watch; everyone else finds the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.enums import AuditAction
from storage.models import Subscription, SubscriptionOrder

from ._common import insert_ignore, refresh_loaded
from .audit import record_audit

MAX_NUMBER_RACES = 5


def create_subscription(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    backend: str,
    filters: dict[str, Any],
    errors_only: bool,
    cap: int,
    created_by: str,
    now: datetime | None = None,
) -> Subscription:
    """A live subscription with the channel's next free number (the unique index settles two at once)."""
    for _ in range(MAX_NUMBER_RACES):
        highest = session.exec(
            select(func.max(col(Subscription.number))).where(
                col(Subscription.team_id) == team_id, col(Subscription.channel_id) == channel_id
            )
        ).one()
        subscription = Subscription(
            team_id=team_id,
            channel_id=channel_id,
            number=(highest or 0) + 1,
            backend=backend,
            filters=dict(filters),
            errors_only=errors_only,
            cap=cap,
            created_by=created_by,
            created_at=now or utcnow(),
            next_scan_at=now or utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(subscription)
        except IntegrityError:
            continue
        record_audit(
            session=session,
            actor=created_by,
            action=AuditAction.SUBSCRIPTION_CREATED,
            backend=backend,
            subject=f"subscription {subscription.number}",
            detail={"channel": channel_id, "filters": dict(filters), "errors_only": errors_only, "cap": cap},
        )
        return subscription
    raise RuntimeError(f"could not number a subscription in {channel_id}: too many at once")


def get_subscription(*, session: Session, subscription_id: uuid.UUID) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def get_live_subscription(*, session: Session, team_id: str, channel_id: str, number: int) -> Subscription | None:
    stmt = select(Subscription).where(
        col(Subscription.team_id) == team_id,
        col(Subscription.channel_id) == channel_id,
        col(Subscription.number) == number,
        col(Subscription.ended_at).is_(None),
    )
    return session.exec(stmt).first()


def list_live_subscriptions(
    *, session: Session, team_id: str | None = None, channel_id: str | None = None, backend: str | None = None
) -> list[Subscription]:
    stmt = select(Subscription).where(col(Subscription.ended_at).is_(None))
    if team_id is not None:
        stmt = stmt.where(col(Subscription.team_id) == team_id)
    if channel_id is not None:
        stmt = stmt.where(col(Subscription.channel_id) == channel_id)
    if backend is not None:
        stmt = stmt.where(col(Subscription.backend) == backend)
    return list(session.exec(stmt.order_by(col(Subscription.number))).all())


def count_live_subscriptions(*, session: Session, team_id: str, channel_id: str, lock: bool = False) -> int:
    """The channel's live rules. `lock`: no other transaction counts this channel's rules with `lock` until this one
    ends, so that a rule made after the count counts; PostgreSQL takes a lock on the channel for that, SQLite writes
    one transaction at a time anyway."""
    if lock and session.get_bind().dialect.name == "postgresql":
        key = f"{team_id}/{channel_id}"
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('subscription rules'), hashtext(:key))"), {"key": key}
        )
    stmt = (
        select(func.count())
        .select_from(Subscription)
        .where(
            col(Subscription.team_id) == team_id,
            col(Subscription.channel_id) == channel_id,
            col(Subscription.ended_at).is_(None),
        )
    )
    return int(session.exec(stmt).one())


def end_subscription(*, session: Session, subscription_id: uuid.UUID, reason: str, actor: str) -> bool:
    """End a live subscription (its watches go on); True only for the call that ended it."""
    stmt = (
        update(Subscription)
        .where(col(Subscription.id) == subscription_id, col(Subscription.ended_at).is_(None))
        .values(ended_at=utcnow(), ended_reason=reason, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    ended = session.exec(stmt).rowcount == 1
    if ended:
        refresh_loaded(session, Subscription, subscription_id)
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        record_audit(
            session=session,
            actor=actor,
            action=AuditAction.SUBSCRIPTION_ENDED,
            backend=subscription.backend,
            subject=f"subscription {subscription.number}",
            detail={"channel": subscription.channel_id, "reason": reason},
        )
    return ended


def lock_subscription(*, session: Session, subscription_id: uuid.UUID) -> None:
    """Hold the subscription's row until the transaction ends: what its scans owe together is owed one at a time."""
    held = select(col(Subscription.id)).where(col(Subscription.id) == subscription_id)
    session.exec(held.with_for_update(key_share=True)).all()  # FOR NO KEY UPDATE: rows referring to it still go in


def include_existing(*, session: Session, subscription_id: uuid.UUID) -> bool:
    """The channel asked to watch the orders that matched already too; True only the first time."""
    stmt = (
        update(Subscription)
        .where(
            col(Subscription.id) == subscription_id,
            col(Subscription.ended_at).is_(None),
            col(Subscription.include_existing).is_(False),
        )
        .values(include_existing=True, next_scan_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    done = session.exec(stmt).rowcount == 1
    if done:
        refresh_loaded(session, Subscription, subscription_id)
    return done


def claim_due_subscriptions(
    *, session: Session, owner: str, lease: timedelta, now: datetime | None = None, limit: int = 20
) -> list[Subscription]:
    """Lease live subscriptions whose scan is due (compare-and-set on the lease, as for watches)."""
    now = now or utcnow()
    free = or_(col(Subscription.lease_until).is_(None), col(Subscription.lease_until) <= now)
    due = or_(col(Subscription.next_scan_at).is_(None), col(Subscription.next_scan_at) <= now)
    candidates = session.exec(
        select(col(Subscription.id))
        .where(col(Subscription.ended_at).is_(None), due, free)
        .order_by(col(Subscription.next_scan_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[Subscription] = []
    for subscription_id in candidates:
        stmt = (
            update(Subscription)
            .where(col(Subscription.id) == subscription_id, col(Subscription.ended_at).is_(None), free)
            .values(lease_owner=owner, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if session.exec(stmt).rowcount == 1:
            found = session.get(Subscription, subscription_id, populate_existing=True)
            if found is not None:
                claimed.append(found)
    return claimed


def release_subscription(
    *, session: Session, subscription_id: uuid.UUID, owner: str, next_scan_at: datetime, now: datetime | None = None
) -> bool:
    stmt = (
        update(Subscription)
        .where(col(Subscription.id) == subscription_id, col(Subscription.lease_owner) == owner)
        .values(lease_owner=None, lease_until=None, next_scan_at=next_scan_at, last_scan_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(session.exec(stmt).rowcount == 1)


def seen_orders(*, session: Session, subscription_id: uuid.UUID) -> dict[str, bool]:
    """Every order the subscription dealt with: {order id: watched}."""
    stmt = select(col(SubscriptionOrder.order_id), col(SubscriptionOrder.watched)).where(
        col(SubscriptionOrder.subscription_id) == subscription_id
    )
    return dict(session.exec(stmt).all())


def leave_out(*, session: Session, subscription_id: uuid.UUID, order_ids: Iterable[str]) -> int:
    """Remember orders that matched when the subscription was made, as not watched ("only new ones")."""
    count = 0
    for order_id in order_ids:
        values = {"subscription_id": subscription_id, "order_id": order_id, "watched": False, "seen_at": utcnow()}
        count += insert_ignore(session, SubscriptionOrder, values, conflict=("subscription_id", "order_id"))
    return count


def take_order(*, session: Session, subscription_id: uuid.UUID, order_id: str, existing: bool) -> bool:
    """Claim the right to watch `order_id` for this subscription, once: True for the caller that must watch it.

    A new order: the first INSERT wins. An order left out when the subscription was made (`existing`): the first
    UPDATE from not watched to watched wins.
    """
    if existing:
        stmt = (
            update(SubscriptionOrder)
            .where(
                and_(
                    col(SubscriptionOrder.subscription_id) == subscription_id,
                    col(SubscriptionOrder.order_id) == order_id,
                    col(SubscriptionOrder.watched).is_(False),
                )
            )
            .values(watched=True)
            .execution_options(synchronize_session=False)
        )
        return bool(session.exec(stmt).rowcount == 1)
    values = {"subscription_id": subscription_id, "order_id": order_id, "watched": True, "seen_at": utcnow()}
    return insert_ignore(session, SubscriptionOrder, values, conflict=("subscription_id", "order_id"))


def watched_counts(*, session: Session, subscription_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many orders each subscription has watched in all (live or ended)."""
    if not subscription_ids:
        return {}
    stmt = (
        select(col(SubscriptionOrder.subscription_id), func.count())
        .where(col(SubscriptionOrder.subscription_id).in_(list(subscription_ids)), col(SubscriptionOrder.watched))
        .group_by(col(SubscriptionOrder.subscription_id))
    )
    return {subscription_id: int(n) for subscription_id, n in session.exec(stmt).all()}


def note_cap(*, session: Session, subscription_id: uuid.UUID, reached: bool, now: datetime | None = None) -> bool:
    """Record that the cap is reached (True: the channel is to be told, once) or no longer reached."""
    if reached:
        where = and_(col(Subscription.id) == subscription_id, col(Subscription.cap_notified_at).is_(None))
        values: dict[str, Any] = {"cap_notified_at": now or utcnow()}
    else:
        where = and_(col(Subscription.id) == subscription_id, col(Subscription.cap_notified_at).is_not(None))
        values = {"cap_notified_at": None}
    stmt = update(Subscription).where(where).values(**values).execution_options(synchronize_session=False)
    return bool(session.exec(stmt).rowcount == 1)


def prune_ended_subscription_orders(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete up to `limit` of the orders dealt with (watched or left out) by rules that ended before `older_than`:
    an ended rule never scans again. A live rule keeps every row (they are what makes each order once)."""
    ended = select(col(Subscription.id)).where(
        col(Subscription.ended_at).is_not(None), col(Subscription.ended_at) < older_than
    )
    rows = (
        select(col(SubscriptionOrder.subscription_id), col(SubscriptionOrder.order_id))
        .where(col(SubscriptionOrder.subscription_id).in_(ended))
        .limit(limit)
    )
    key = tuple_(col(SubscriptionOrder.subscription_id), col(SubscriptionOrder.order_id))
    stmt = delete(SubscriptionOrder).where(key.in_(rows))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
