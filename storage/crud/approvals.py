"""Approvals: one live per target, moved by compare-and-set, owned (a lease) while their carrier call runs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState
from storage.models import Approval, ApprovalCreate, ApprovalDecision, ApprovalUpdate

from ._common import refresh_loaded

# Legal moves; everything else is a bug. Terminal states stay terminal, or a retry could call
# the carrier twice.
APPROVAL_TRANSITIONS: Mapping[ApprovalState, frozenset[ApprovalState]] = {
    ApprovalState.PENDING: frozenset(
        {ApprovalState.SUBMITTING, ApprovalState.REJECTED, ApprovalState.FAILED, ApprovalState.EXPIRED}
    ),
    ApprovalState.SUBMITTING: frozenset({ApprovalState.SUBMITTED, ApprovalState.FAILED}),
    ApprovalState.SUBMITTED: frozenset(),
    ApprovalState.REJECTED: frozenset(),
    ApprovalState.FAILED: frozenset(),
    ApprovalState.EXPIRED: frozenset(),
}

LIVE_APPROVAL_STATES: tuple[str, ...] = (
    ApprovalState.PENDING.value,
    ApprovalState.SUBMITTING.value,
    ApprovalState.SUBMITTED.value,
)
"""An approval in one of these is its target's live one (``uq_approval_live``)."""


def create_approval(
    *,
    session: Session,
    kind: str,
    team_id: str,
    channel_id: str,
    requester_id: str,
    backend: str,
    target_id: str,
    payload: dict[str, Any] | None = None,
    message_ts: str | None = None,
    external_id: str | None = None,
) -> Approval:
    """A pending approval. `external_id` defaults to ``ob-<id hex>``: send it with the carrier order."""
    approval_in = ApprovalCreate(
        kind=kind,  # type: ignore[arg-type]  # validated into ApprovalKind
        team_id=team_id,
        channel_id=channel_id,
        requester_id=requester_id,
        backend=backend,  # type: ignore[arg-type]  # validated into Backend
        target_id=target_id,
        payload=payload or {},
        message_ts=message_ts,
        external_id=external_id,
    )
    approval_id = uuid.uuid4()
    approval = Approval.model_validate(
        approval_in,
        update={
            "id": approval_id,
            "kind": approval_in.kind.value,
            "backend": approval_in.backend,
            "external_id": external_id or f"ob-{approval_id.hex}",
        },
    )
    session.add(approval)
    session.flush()
    return approval


def get_approval(*, session: Session, approval_id: uuid.UUID) -> Approval | None:
    return session.get(Approval, approval_id)


def get_approval_by_external_id(*, session: Session, external_id: str) -> Approval | None:
    """The newest approval sending `external_id` (a retry reuses its failed approval's)."""
    stmt = select(Approval).where(col(Approval.external_id) == external_id)
    return session.exec(stmt.order_by(col(Approval.created_at).desc())).first()


def get_live_approval(*, session: Session, kind: str, backend: str, target_id: str) -> Approval | None:
    """The approval pending, submitting or submitted for this target, if any (``uq_approval_live``: one at most)."""
    stmt = select(Approval).where(
        col(Approval.kind) == kind,
        col(Approval.backend) == backend,
        col(Approval.target_id) == target_id,
        col(Approval.state).in_(LIVE_APPROVAL_STATES),
    )
    return session.exec(stmt).first()


def open_approval(
    *,
    session: Session,
    kind: str,
    team_id: str,
    channel_id: str,
    requester_id: str,
    backend: str,
    target_id: str,
    payload: dict[str, Any],
    message_ts: str | None = None,
    external_id: str | None = None,
) -> tuple[Approval, bool]:
    """A new pending approval (``created=True``), or the live one already there for the same target.

    The partial unique index ``uq_approval_live`` decides between racing requests; the SAVEPOINT keeps
    the caller's transaction usable when this one loses.
    """
    existing = get_live_approval(session=session, kind=kind, backend=backend, target_id=target_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            approval = create_approval(
                session=session,
                kind=kind,
                team_id=team_id,
                channel_id=channel_id,
                requester_id=requester_id,
                backend=backend,
                target_id=target_id,
                payload=payload,
                message_ts=message_ts,
                external_id=external_id,
            )
    except IntegrityError:
        existing = get_live_approval(session=session, kind=kind, backend=backend, target_id=target_id)
        if existing is None:
            raise
        return existing, False
    return approval, True


def latest_approval_for_message(*, session: Session, channel_id: str, message_ts: str) -> Approval | None:
    """The newest approval shown by one Slack message (a retry shares its failed approval's card)."""
    stmt = select(Approval).where(col(Approval.channel_id) == channel_id, col(Approval.message_ts) == message_ts)
    return session.exec(stmt.order_by(col(Approval.created_at).desc(), col(Approval.id))).first()


def set_message_ts(*, session: Session, approval_id: uuid.UUID, message_ts: str) -> bool:
    """Remember where the request was posted, as showing the approval's current version (no state change)."""
    stmt = (
        update(Approval)
        .where(col(Approval.id) == approval_id)
        .values(message_ts=message_ts, shown_version=col(Approval.version))
        .execution_options(synchronize_session=False)
    )
    done = session.exec(stmt).rowcount == 1
    if done:
        refresh_loaded(session, Approval, approval_id)
    return done


def transition_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    expected_state: str,
    expected_version: int,
    new_state: str,
    **fields: Any,
) -> bool:
    """Compare-and-set: move the approval only if it is still in `expected_state` at `expected_version`.

    One UPDATE decides, so of any number of racing callers exactly one gets True; the winner's
    new version is ``expected_version + 1``. `fields` are those of ``ApprovalUpdate``. Moving to
    ``submitting`` takes an owner: use `claim_approval`.
    """
    expected = ApprovalState(expected_state)
    target = ApprovalState(new_state)
    if target not in APPROVAL_TRANSITIONS[expected]:
        raise ValueError(f"approval cannot go from {expected.value} to {target.value}")
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    stmt = (
        update(Approval)
        .where(
            col(Approval.id) == approval_id,
            col(Approval.state) == expected.value,
            col(Approval.version) == expected_version,
        )
        .values(state=target.value, version=col(Approval.version) + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    moved = session.exec(stmt).rowcount == 1
    if moved:
        refresh_loaded(session, Approval, approval_id)
    return moved


def _owned(approval_id: uuid.UUID, owner: str) -> ColumnElement[bool]:
    return and_(
        col(Approval.id) == approval_id,
        col(Approval.state) == ApprovalState.SUBMITTING.value,
        col(Approval.lease_owner) == owner,
    )


def _update_approval(session: Session, approval_id: uuid.UUID, where: ColumnElement[bool], **values: Any) -> bool:
    stmt = update(Approval).where(where).values(**values).execution_options(synchronize_session=False)
    done = session.exec(stmt).rowcount == 1
    if done:
        refresh_loaded(session, Approval, approval_id)
    return done


def claim_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    expected_version: int,
    owner: str,
    lease_until: datetime,
    now: datetime,
    **fields: Any,
) -> bool:
    """pending → submitting, owned by `owner` until `lease_until`: of racing callers one wins and calls the carrier.

    `called_at` is set now: from here on Orange may have the order.
    """
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    where = and_(
        col(Approval.id) == approval_id,
        col(Approval.state) == ApprovalState.PENDING.value,
        col(Approval.version) == expected_version,
    )
    return _update_approval(
        session,
        approval_id,
        where,
        state=ApprovalState.SUBMITTING.value,
        version=col(Approval.version) + 1,
        updated_at=now,
        lease_owner=owner,
        lease_until=lease_until,
        called_at=now,
        next_check_at=None,
        checks=0,
        **values,
    )


def renew_approval_lease(*, session: Session, approval_id: uuid.UUID, owner: str, lease_until: datetime) -> bool:
    """The heartbeat of a carrier call in flight; False once the row is no longer `owner`'s."""
    return _update_approval(session, approval_id, _owned(approval_id, owner), lease_until=lease_until)


def _due_check(now: datetime) -> ColumnElement[bool]:
    waiting = and_(
        col(Approval.lease_owner).is_(None),
        or_(col(Approval.next_check_at).is_(None), col(Approval.next_check_at) <= now),
    )
    abandoned = and_(col(Approval.lease_owner).is_not(None), col(Approval.lease_until) <= now)
    return and_(col(Approval.state) == ApprovalState.SUBMITTING.value, or_(waiting, abandoned))


def list_due_approval_checks(*, session: Session, now: datetime, limit: int = 50) -> list[Approval]:
    """Submitting approvals to look up now: their check is due, or their owner's lease ran out (it died)."""
    stmt = select(Approval).where(_due_check(now)).order_by(col(Approval.updated_at)).limit(limit)
    return list(session.exec(stmt).all())


def take_approval(
    *, session: Session, approval_id: uuid.UUID, owner: str, now: datetime, lease_until: datetime
) -> bool:
    """Claim a due submitting approval for a look-up (compare-and-set: one taker wins)."""
    where = and_(col(Approval.id) == approval_id, _due_check(now))
    return _update_approval(session, approval_id, where, lease_owner=owner, lease_until=lease_until)


def release_approval(
    *,
    session: Session,
    approval_id: uuid.UUID,
    owner: str,
    check_at: datetime,
    error: str,
    now: datetime,
    checked: bool,
) -> bool:
    """Orange's answer is not known yet: the row stays submitting, ownerless, to be looked up at `check_at`.

    `checked` counts a look-up that found nothing (yet).
    """
    return _update_approval(
        session,
        approval_id,
        _owned(approval_id, owner),
        lease_owner=None,
        lease_until=None,
        next_check_at=check_at,
        checks=col(Approval.checks) + (1 if checked else 0),
        error=error,
        version=col(Approval.version) + 1,
        updated_at=now,
    )


def settle_approval(
    *, session: Session, approval_id: uuid.UUID, owner: str, new_state: str, now: datetime, **fields: Any
) -> bool:
    """submitting → submitted or failed, only by the owner of the row (its lease may have been taken over)."""
    target = ApprovalState(new_state)
    if target not in APPROVAL_TRANSITIONS[ApprovalState.SUBMITTING]:
        raise ValueError(f"approval cannot go from submitting to {target.value}")
    values = ApprovalUpdate.model_validate(fields).model_dump(exclude_unset=True)
    return _update_approval(
        session,
        approval_id,
        _owned(approval_id, owner),
        state=target.value,
        version=col(Approval.version) + 1,
        updated_at=now,
        lease_owner=None,
        lease_until=None,
        next_check_at=None,
        **values,
    )


def add_to_result(*, session: Session, approval_id: uuid.UUID, now: datetime, **values: Any) -> bool:
    """Merge `values` into a submitted approval's `result` (what it placed learned more), as a new version: its card
    is redrawn from it."""
    approval = session.get(Approval, approval_id)
    if approval is None or approval.state != ApprovalState.SUBMITTED.value:
        return False
    where = and_(
        col(Approval.id) == approval_id,
        col(Approval.state) == ApprovalState.SUBMITTED.value,
        col(Approval.version) == approval.version,
    )
    result = {**(approval.result or {}), **values}
    return _update_approval(
        session, approval_id, where, result=result, version=col(Approval.version) + 1, updated_at=now
    )


def approvals_of_order(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    backend: str,
    order_id: str,
    thread_ts: str | None,
) -> list[Approval]:
    """The submitted approvals of a channel that placed (`quote_order`, its result's `order_id`) or cancelled
    (`cancel_order`, its target) this order."""
    about = col(Approval.target_id) == order_id
    if thread_ts is not None:  # an order an approval placed is watched in its card's thread
        about = or_(about, col(Approval.message_ts) == thread_ts)
    stmt = select(Approval).where(
        col(Approval.team_id) == team_id,
        col(Approval.channel_id) == channel_id,
        col(Approval.backend) == backend,
        col(Approval.state) == ApprovalState.SUBMITTED.value,
        about,
    )
    return [
        a
        for a in session.exec(stmt).all()
        if (a.kind == ApprovalKind.CANCEL_ORDER.value and a.target_id == order_id)
        or (a.kind == ApprovalKind.QUOTE_ORDER.value and str((a.result or {}).get("order_id")) == order_id)
    ]


def approvals_about_order(*, session: Session, team_id: str, backend: str, order_id: str) -> list[Approval]:
    """The submitted approvals of any channel of the workspace that placed or cancelled this order, oldest first."""
    stmt = select(Approval).where(
        col(Approval.team_id) == team_id,
        col(Approval.backend) == backend,
        col(Approval.state) == ApprovalState.SUBMITTED.value,
        or_(col(Approval.target_id) == order_id, col(Approval.kind) == ApprovalKind.QUOTE_ORDER.value),
    )
    return [
        a
        for a in session.exec(stmt.order_by(col(Approval.created_at))).all()
        if (a.kind == ApprovalKind.CANCEL_ORDER.value and a.target_id == order_id)
        or (a.kind == ApprovalKind.QUOTE_ORDER.value and str((a.result or {}).get("order_id")) == order_id)
    ]


def mark_card_shown(*, session: Session, approval_id: uuid.UUID, version: int) -> bool:
    """The Slack card now shows `version`; never moves back (a late update of an older version changes nothing)."""
    where = and_(
        col(Approval.id) == approval_id,
        or_(col(Approval.shown_version).is_(None), col(Approval.shown_version) < version),
    )
    return _update_approval(session, approval_id, where, shown_version=version)


def hold_card(*, session: Session, approval_id: uuid.UUID, until: datetime) -> bool:
    """Slack refused the card's update and asked to wait: nobody updates the card of this message before `until`."""
    where = and_(
        col(Approval.id) == approval_id,
        or_(col(Approval.card_redraw_at).is_(None), col(Approval.card_redraw_at) < until),
    )
    return _update_approval(session, approval_id, where, card_redraw_at=until)


def card_held_until(*, session: Session, channel_id: str, message_ts: str) -> datetime | None:
    """Until when Slack asked us not to update this message (any of its approvals' `card_redraw_at`), or None."""
    stmt = select(func.max(col(Approval.card_redraw_at))).where(
        col(Approval.channel_id) == channel_id, col(Approval.message_ts) == message_ts
    )
    return session.exec(stmt).one()


def list_stale_cards(*, session: Session, updated_before: datetime, now: datetime, limit: int = 50) -> list[Approval]:
    """Approvals whose Slack card shows an older version than the row (its update failed or was lost), and which
    Slack lets us update at `now` (no `card_redraw_at` of the message still ahead).

    Only the newest approval of each message counts: a failed approval's card belongs to its retry.
    """
    newer = aliased(Approval)
    superseded = (
        select(newer.id)
        .where(
            newer.channel_id == Approval.channel_id,
            newer.message_ts == Approval.message_ts,
            newer.created_at > Approval.created_at,
        )
        .exists()
    )
    same_card = aliased(Approval)
    held = (
        select(same_card.id)
        .where(
            same_card.channel_id == Approval.channel_id,
            same_card.message_ts == Approval.message_ts,
            col(same_card.card_redraw_at) > now,
        )
        .exists()
    )
    stmt = (
        select(Approval)
        .where(
            col(Approval.message_ts).is_not(None),
            or_(col(Approval.shown_version).is_(None), col(Approval.shown_version) < col(Approval.version)),
            col(Approval.updated_at) <= updated_before,
            ~superseded,
            ~held,
        )
        .order_by(col(Approval.updated_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def list_due_expiries(*, session: Session, created_before: datetime, limit: int = 50) -> list[Approval]:
    """Pending approvals asked for before `created_before` (nobody decided in time), oldest first."""
    stmt = select(Approval).where(
        col(Approval.state) == ApprovalState.PENDING.value, col(Approval.created_at) <= created_before
    )
    return list(session.exec(stmt.order_by(col(Approval.created_at)).limit(limit)).all())


def _due_reminder(now: datetime, first_before: datetime) -> ColumnElement[bool]:
    first = and_(col(Approval.next_reminder_at).is_(None), col(Approval.created_at) <= first_before)
    return and_(
        col(Approval.state) == ApprovalState.PENDING.value,
        col(Approval.message_ts).is_not(None),  # a reminder links to the card: none was posted, none to send
        or_(first, col(Approval.next_reminder_at) <= now),
    )


def list_due_reminders(*, session: Session, now: datetime, first_before: datetime, limit: int = 50) -> list[Approval]:
    """Pending approvals whose approvers are to be reminded at `now`: the first reminder of those asked for before
    `first_before`, or the next one (`next_reminder_at`) has come."""
    stmt = select(Approval).where(_due_reminder(now, first_before))
    return list(session.exec(stmt.order_by(col(Approval.created_at)).limit(limit)).all())


def claim_reminder(
    *, session: Session, approval_id: uuid.UUID, now: datetime, first_before: datetime, next_at: datetime
) -> bool:
    """Take the reminder due at `now` and schedule the next at `next_at` (compare-and-set: of racing replicas one
    wins and sends it). Neither ``version`` nor ``updated_at`` moves: a click racing it is not refused, the card not
    redrawn."""
    where = and_(col(Approval.id) == approval_id, _due_reminder(now, first_before))
    return _update_approval(session, approval_id, where, reminded_at=now, next_reminder_at=next_at)


def list_pending_approvals(*, session: Session, team_id: str) -> list[Approval]:
    """A workspace's approvals waiting for a decision, oldest first."""
    stmt = select(Approval).where(col(Approval.team_id) == team_id, col(Approval.state) == ApprovalState.PENDING.value)
    return list(session.exec(stmt.order_by(col(Approval.created_at))).all())


def approval_cards_among(*, session: Session, message_ts: Sequence[str]) -> set[str]:
    """Which of these message timestamps are approval cards (a watch hanging off one keeps the card as it is)."""
    if not message_ts:
        return set()
    stmt = select(col(Approval.message_ts)).where(col(Approval.message_ts).in_(list(message_ts)))
    return {ts for ts in session.exec(stmt).all() if ts is not None}


@dataclass(frozen=True)
class Approvers:
    """Who approved a two-people approval so far (`approval` read after this one's decision, `again`: it was
    already theirs)."""

    approval: Approval
    approved_by: tuple[str, ...]
    again: bool


def approvers_of(*, session: Session, approval_id: uuid.UUID) -> list[str]:
    """Who approved it so far (two-people approvals), first first."""
    stmt = select(ApprovalDecision).where(col(ApprovalDecision.approval_id) == approval_id)
    return [d.user_id for d in session.exec(stmt.order_by(col(ApprovalDecision.at), col(ApprovalDecision.user_id)))]


def record_approver(*, session: Session, approval_id: uuid.UUID, user_id: str, now: datetime) -> Approvers | None:
    """Record `user_id`'s Approve of a pending approval; None when it is no longer pending.

    The approval's row is updated first (its version moves, so its card is redrawn), which locks it until the
    caller commits: racing approvers take turns here, and the last of them sees every earlier decision, so the
    one that completes the count is the one that claims (in the same transaction, at the version read here).
    """
    bump = (
        update(Approval)
        .where(col(Approval.id) == approval_id, col(Approval.state) == ApprovalState.PENDING.value)
        .values(version=col(Approval.version) + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if session.exec(bump).rowcount != 1:
        return None
    refresh_loaded(session, Approval, approval_id)
    approval = session.get(Approval, approval_id)
    assert approval is not None
    again = session.get(ApprovalDecision, (approval_id, user_id)) is not None
    if not again:
        session.add(ApprovalDecision(approval_id=approval_id, user_id=user_id, at=now))
        session.flush()
    return Approvers(approval, tuple(approvers_of(session=session, approval_id=approval_id)), again)
