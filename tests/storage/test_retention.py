"""Retention: what is older than `OUTBOX_KEEP_DAYS` and needed by nothing goes, in batches; what is younger, still
owed, live, pending or audited stays — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from storage import crud
from storage.db import session_scope
from storage.enums import OutboxStatus
from storage.models import (
    Approval,
    AuditEvent,
    DigestSchedule,
    OrderHistory,
    OrderSnapshot,
    OutboxMessage,
    ProcessedDelivery,
    SubscriptionOrder,
    Watch,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
KEEP = timedelta(days=30)
LIMIT = NOW - KEEP
OLD = NOW - timedelta(days=45)
YOUNG = NOW - timedelta(days=3)
VIEW = {"reference": "carrier:11", "items": [{"id": str(n), "state": "inProgress"} for n in range(10)]}


def _watch(session: Session, order_id: str, *, ended_at: datetime | None = None) -> Watch:
    watch, _ = crud.create_watch(
        session=session, team_id="T1", channel_id="C1", backend="carrier", order_id=order_id, created_by="U1"
    )
    session.flush()
    crud.save_snapshot(session=session, watch_id=watch.id, view=VIEW)
    if ended_at is not None:
        assert crud.end_watch(session=session, watch_id=watch.id, reason="completed", at=ended_at)
    return watch


def _row(
    session: Session, watch_id: uuid.UUID, name: str, status: str, at: datetime, *, kind: str = "state_changed"
) -> None:
    assert crud.enqueue_outbox(session=session, watch_id=watch_id, fingerprint=name, kind=kind, payload={"view": VIEW})
    values: dict[str, Any] = {"status": status, "next_attempt_at": at, "created_at": at}
    if status == OutboxStatus.SENT:
        values["sent_at"] = at + timedelta(seconds=1)
    stmt = update(OutboxMessage).where(col(OutboxMessage.fingerprint) == name).values(**values)
    session.exec(stmt)  # type: ignore[call-overload]


def _fingerprints(session: Session) -> set[str]:
    return set(session.exec(select(col(OutboxMessage.fingerprint))).all())


def _prune_all(session_engine: Engine, prune: Any, *, limit: int) -> list[int]:
    """Batches until one comes back short, each in its own transaction: how many each deleted."""
    counts: list[int] = []
    while True:
        with session_scope(session_engine) as session:
            counts.append(prune(session=session, older_than=LIMIT, limit=limit))
        if counts[-1] < limit:
            return counts


def test_sent_rows_older_than_the_limit_go_in_batches_and_owed_or_younger_ones_stay(engine: Engine) -> None:
    with session_scope(engine) as session:
        live = _watch(session, "11")
        ended = _watch(session, "12", ended_at=OLD)
        for n in range(5):
            _row(session, live.id, f"old-sent-{n}", OutboxStatus.SENT, OLD + timedelta(minutes=n))
        _row(session, live.id, "old-dead", OutboxStatus.DEAD, OLD)
        _row(session, live.id, "young-sent", OutboxStatus.SENT, YOUNG)
        _row(
            session, live.id, "sent-at-the-limit", OutboxStatus.SENT, LIMIT - timedelta(milliseconds=500)
        )  # sent after
        _row(session, live.id, "old-pending", OutboxStatus.PENDING, OLD)  # still owed, however old
        _row(session, live.id, "old-sending", OutboxStatus.SENDING, OLD)
        # "polling is failing": its fingerprint keeps a live watch's failure streak to one notice
        _row(session, live.id, "failing-live", OutboxStatus.SENT, OLD, kind="polling_failing")
        _row(session, ended.id, "failing-ended", OutboxStatus.SENT, OLD, kind="polling_failing")
        _row(session, ended.id, "ended-owed", OutboxStatus.PENDING, OLD)

    assert _prune_all(engine, crud.prune_outbox, limit=3) == [3, 3, 1]
    with session_scope(engine) as session:
        assert _fingerprints(session) == {
            "young-sent",
            "sent-at-the-limit",
            "old-pending",
            "old-sending",
            "failing-live",
            "ended-owed",
        }
        # what was pruned cannot be owed twice by a poll that is long past it; what stays still dedupes
        assert not crud.enqueue_outbox(
            session=session, watch_id=live.id, fingerprint="failing-live", kind="x", payload={}
        )


def test_an_ended_watchs_snapshot_goes_after_the_limit_and_its_watch_audit_and_owed_rows_stay(engine: Engine) -> None:
    with session_scope(engine) as session:
        live = _watch(session, "11")
        session.exec(update(Watch).values(created_at=OLD))  # type: ignore[call-overload]  # old, but live
        recent = _watch(session, "12", ended_at=YOUNG)
        gone = [_watch(session, f"2{n}", ended_at=OLD) for n in range(5)]
        _row(session, gone[0].id, "final-owed", OutboxStatus.PENDING, OLD)

    assert _prune_all(engine, crud.prune_ended_snapshots, limit=2) == [2, 2, 1]
    with session_scope(engine) as session:
        kept = set(session.exec(select(col(OrderSnapshot.watch_id))).all())
        assert kept == {live.id, recent.id}
        assert session.exec(select(func.count()).select_from(Watch)).one() == 7  # the watches themselves stay
        ended_audit = session.exec(select(func.count()).where(col(AuditEvent.action) == "watch.ended")).one()
        assert ended_audit == 6
        assert _fingerprints(session) == {"final-owed"}
        assert [r.fingerprint for r in crud.unsent_outbox(session=session, watch_id=gone[0].id)] == ["final-owed"]


def test_an_ended_rules_orders_go_after_the_limit_and_a_live_rules_stay(engine: Engine) -> None:
    def rule(session: Session, n: int) -> uuid.UUID:
        made = crud.create_subscription(
            session=session,
            team_id="T1",
            channel_id=f"C{n}",
            backend="carrier",
            filters={"state": "inProgress"},
            errors_only=False,
            cap=200,
            created_by="U1",
        )
        crud.leave_out(session=session, subscription_id=made.id, order_ids=[f"{n}-{i}" for i in range(4)])
        assert crud.take_order(session=session, subscription_id=made.id, order_id=f"{n}-new", existing=False)
        return made.id

    with session_scope(engine) as session:
        live, recent, old = rule(session, 1), rule(session, 2), rule(session, 3)
        for subscription_id in (recent, old):
            assert crud.end_subscription(session=session, subscription_id=subscription_id, reason="off", actor="U1")
        session.exec(update(AuditEvent).values(at=OLD))  # type: ignore[call-overload]
        from storage.models import Subscription

        session.exec(update(Subscription).values(created_at=OLD))  # type: ignore[call-overload]
        stmt = update(Subscription).where(col(Subscription.id) == old).values(ended_at=OLD)
        session.exec(stmt)  # type: ignore[call-overload]
        session.exec(update(Subscription).where(col(Subscription.id) == recent).values(ended_at=YOUNG))  # type: ignore[call-overload]

    assert _prune_all(engine, crud.prune_ended_subscription_orders, limit=2) == [2, 2, 1]
    with session_scope(engine) as session:
        rows = session.exec(
            select(col(SubscriptionOrder.subscription_id), func.count()).group_by(
                col(SubscriptionOrder.subscription_id)
            )
        ).all()
        assert dict(rows) == {live: 5, recent: 5}
        assert crud.seen_orders(session=session, subscription_id=live)["1-0"] is False  # still left out
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 5  # 3 made, 2 ended: all kept


def test_delivery_keys_and_digest_schedules_older_than_the_limit_go_in_batches(engine: Engine) -> None:
    with session_scope(engine) as session:
        for n in range(5):
            session.add(ProcessedDelivery(key=f"old-{n}", created_at=OLD))
        session.add(ProcessedDelivery(key="young", created_at=YOUNG))
        for n in range(3):
            session.add(
                DigestSchedule(team_id="T1", channel_id=f"C{n}", at_time="08:00", created_by="U1", ended_at=OLD)
            )
        session.add(DigestSchedule(team_id="T1", channel_id="C9", at_time="08:00", created_by="U1", ended_at=YOUNG))
        session.add(DigestSchedule(team_id="T1", channel_id="C8", at_time="08:00", created_by="U1", created_at=OLD))

    assert _prune_all(engine, crud.prune_processed_deliveries, limit=2) == [2, 2, 1]
    assert _prune_all(engine, crud.prune_ended_digest_schedules, limit=2) == [2, 1]
    with session_scope(engine) as session:
        assert list(session.exec(select(col(ProcessedDelivery.key))).all()) == ["young"]
        assert sorted(session.exec(select(col(DigestSchedule.channel_id))).all()) == ["C8", "C9"]


@pytest.fixture
def ctx(engine: Engine, tmp_path: Any) -> Iterator[Any]:
    from bot.context import BotContext
    from bot.settings import Settings
    from integrations.client import OrangeClient

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        orange_sandbox_url="http://sandbox.test",
        database_url=str(engine.url),
        outbox_keep_days=30,
    )
    yield BotContext(settings=settings, orange=OrangeClient(settings), engine=engine)


async def test_the_retention_job_takes_a_few_batches_a_run_and_the_rest_next_time(engine: Engine, ctx: Any) -> None:
    from bot.jobs.retention import prune

    with session_scope(engine) as session:
        live = _watch(session, "11")
        ended = [_watch(session, f"2{n}", ended_at=OLD) for n in range(5)]
        for n in range(7):
            _row(session, live.id, f"old-{n}", OutboxStatus.SENT, OLD)
        _row(session, live.id, "young", OutboxStatus.SENT, YOUNG)
        _row(session, live.id, "owed", OutboxStatus.PENDING, OLD)
        approval = crud.create_approval(
            session=session,
            kind="cancel_order",
            team_id="T1",
            channel_id="C1",
            requester_id="U1",
            backend="wholesale",
            target_id="W1",
        )
        session.exec(update(Approval).values(created_at=OLD))  # type: ignore[call-overload]
        session.exec(update(AuditEvent).values(at=OLD))  # type: ignore[call-overload]
        audited = session.exec(select(func.count()).select_from(AuditEvent)).one()

    first = await prune(ctx, now=NOW, batch=2, max_batches=2, pause=0)
    assert first == {
        "outbox": 4,
        "snapshots": 4,
        "subscription_orders": 0,
        "deliveries": 0,
        "digest_schedules": 0,
        "report_schedules": 0,
        "history": 0,
    }
    second = await prune(ctx, now=NOW, batch=2, max_batches=2, pause=0)
    assert (second["outbox"], second["snapshots"]) == (3, 1)
    assert (await prune(ctx, now=NOW, batch=2, max_batches=2, pause=0))["outbox"] == 0
    with session_scope(engine) as session:
        assert _fingerprints(session) == {"young", "owed"}
        assert set(session.exec(select(col(OrderSnapshot.watch_id))).all()) == {live.id}
        assert session.get(Approval, approval.id) is not None  # approvals and their audit are never pruned
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audited >= len(ended)


def _kept(session: Session, order_id: str, fingerprint: str, at: datetime) -> None:
    values = {
        "backend": "wholesale",
        "order_id": order_id,
        "fingerprint": fingerprint,
        "kind": "changes",
        "seen_at": at,
    }
    assert crud.keep_history(session=session, team_id="T1", values=values)


async def test_history_goes_a_whole_order_at_a_time_after_history_keep_days(engine: Engine, ctx: Any) -> None:
    from bot.jobs.retention import prune

    keep = timedelta(days=ctx.settings.history_keep_days)
    ancient = NOW - keep - timedelta(days=10)
    with session_scope(engine) as session:
        for n in range(3):  # ended long ago: every row is older than the limit
            _kept(session, f"gone-{n}", "seen", ancient)
            _kept(session, f"gone-{n}", "changes:1", ancient + timedelta(days=1))
        _kept(session, "alive", "seen", ancient)  # first seen long ago, but it moved lately: all of it stays
        _kept(session, "alive", "changes:1", NOW - timedelta(days=2))
        _kept(session, "recent", "seen", NOW - keep + timedelta(days=1))
    first = await prune(ctx, now=NOW, batch=2, max_batches=1, pause=0)
    assert first["history"] == 4  # two orders a batch, their two rows each
    second = await prune(ctx, now=NOW, batch=2, max_batches=1, pause=0)
    assert second["history"] == 2
    with session_scope(engine) as session:
        left = {(r.order_id, r.fingerprint) for r in session.exec(select(OrderHistory)).all()}
    assert left == {("alive", "seen"), ("alive", "changes:1"), ("recent", "seen")}
