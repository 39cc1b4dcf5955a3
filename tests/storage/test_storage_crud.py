from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import crud
from storage.db import session_scope
from storage.models import Watch

T0 = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)


def _watch(session: Session, order_id: str = "11", **kwargs: Any) -> tuple[Watch, bool]:
    fields: dict[str, Any] = {"team_id": "T1", "channel_id": "C1", "backend": "carrier", "created_by": "U1"}
    fields.update(kwargs)
    return crud.create_watch(session=session, order_id=order_id, **fields)


def _approval(session: Session, **kwargs: Any) -> Any:
    fields: dict[str, Any] = {
        "kind": "quote_order",
        "team_id": "T1",
        "channel_id": "C1",
        "requester_id": "U1",
        "backend": "carrier",
        "target_id": "Q1",
    }
    fields.update(kwargs)
    return crud.create_approval(session=session, **fields)


# --- watches -------------------------------------------------------------------------------


def test_one_live_watch_per_channel_and_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        first, created = _watch(session)
        assert created
        again, created_again = _watch(session, created_by="U2", filter="errors")
        assert (again.id, created_again) == (first.id, False)
        # Another channel, backend or order is another watch.
        assert _watch(session, channel_id="C2")[1]
        assert _watch(session, backend="wholesale")[1]
        assert _watch(session, order_id="12")[1]


def test_the_partial_unique_index_itself(engine: Engine) -> None:
    """Bypassing create_watch, the database still refuses a second live watch, and allows one after the end."""
    fields = {"team_id": "T1", "channel_id": "C1", "backend": "carrier", "order_id": "11", "created_by": "U1"}
    with session_scope(engine) as session:
        first = Watch(**fields)
        session.add(first)
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Watch(**fields))
    with session_scope(engine) as session:
        assert crud.end_watch(session=session, watch_id=first.id, reason="unwatch")
        session.add(Watch(**fields))
    with session_scope(engine) as session:
        assert len(crud.list_live_watches(session=session, team_id="T1", channel_id="C1")) == 1
        assert len(crud.list_user_watches(session=session, team_id="T1", user_id="U1", include_ended=True)) == 2


def test_end_watch_then_watch_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        first, _ = _watch(session)
    with session_scope(engine) as session:
        assert crud.end_watch(session=session, watch_id=first.id, reason="completed")
        assert not crud.end_watch(session=session, watch_id=first.id, reason="completed")
    with session_scope(engine) as session:
        assert (
            crud.get_live_watch(session=session, team_id="T1", channel_id="C1", backend="carrier", order_id="11")
            is None
        )
        second, created = _watch(session)
        assert created and second.id != first.id
        ended = crud.get_watch(session=session, watch_id=first.id)
        assert ended is not None and ended.ended_reason == "completed" and ended.ended_at is not None


def test_end_watch_refreshes_a_loaded_instance(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        assert crud.end_watch(session=session, watch_id=watch.id, reason="unwatch", at=T0)
        assert watch.ended_at == T0 and watch.ended_reason == "unwatch"


def test_listing(engine: Engine) -> None:
    with session_scope(engine) as session:
        a, _ = _watch(session, order_id="1")
        b, _ = _watch(session, order_id="2", created_by="U2")
        c, _ = _watch(session, order_id="3", channel_id="C2")
        crud.end_watch(session=session, watch_id=a.id, reason="unwatch")
    with session_scope(engine) as session:
        assert [w.id for w in crud.list_live_watches(session=session, team_id="T1", channel_id="C1")] == [b.id]
        assert [w.id for w in crud.list_user_watches(session=session, team_id="T1", user_id="U1")] == [c.id]
        assert {
            w.id for w in crud.list_user_watches(session=session, team_id="T1", user_id="U1", include_ended=True)
        } == {
            a.id,
            c.id,
        }
        assert crud.list_live_watches(session=session, team_id="T2", channel_id="C1") == []


def test_create_watch_validates(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError):
            _watch(session, backend="nope")
        with pytest.raises(ValidationError):
            _watch(session, filter="some")
        with pytest.raises(ValidationError):
            _watch(session, next_poll_at=datetime(2024, 1, 1))
        watch, _ = _watch(session, filter="errors", thread_ts="1700000000.000100", next_poll_at=T0)
        assert (watch.backend, watch.filter, watch.thread_ts, watch.next_poll_at) == (
            "carrier",
            "errors",
            "1700000000.000100",
            T0,
        )
        assert type(watch.backend) is str and type(watch.filter) is str


def test_set_watch_root(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        assert crud.set_watch_root(session=session, watch_id=watch.id, thread_ts="1.1")
        assert not crud.set_watch_root(session=session, watch_id=watch.id, thread_ts="2.2")
        assert watch.thread_ts == "1.1"
        assert crud.set_watch_root(session=session, watch_id=watch.id, thread_ts="3.3", replace=True)
        assert watch.thread_ts == "3.3"


def test_leases(engine: Engine) -> None:
    lease = timedelta(minutes=5)
    with session_scope(engine) as session:
        due, _ = _watch(session, order_id="due", next_poll_at=T0)
        _watch(session, order_id="later", next_poll_at=T0 + timedelta(hours=1))
        paused, _ = _watch(session, order_id="paused", next_poll_at=T0)
        paused.paused_at = T0
        ended, _ = _watch(session, order_id="ended", next_poll_at=T0)
        crud.end_watch(session=session, watch_id=ended.id, reason="x")
    with session_scope(engine) as session:
        claimed = crud.claim_due_watches(session=session, owner="a", lease=lease, now=T0)
        assert [w.id for w in claimed] == [due.id]
        assert claimed[0].lease_owner == "a" and claimed[0].lease_until == T0 + lease
        # Leased: nobody else gets it until the lease runs out.
        assert crud.claim_due_watches(session=session, owner="b", lease=lease, now=T0 + timedelta(minutes=1)) == []
        stolen = crud.claim_due_watches(session=session, owner="b", lease=lease, now=T0 + lease)
        assert [w.id for w in stolen] == [due.id]
        # "a" lost its lease: its results are dropped.
        assert crud.release_watch(session=session, watch_id=due.id, owner="a", next_poll_at=T0, ok=True) is None
        failed = crud.release_watch(session=session, watch_id=due.id, owner="b", next_poll_at=T0 + lease, ok=False)
        assert failed is not None and failed.consecutive_failures == 1 and failed.lease_owner is None
        crud.claim_due_watches(session=session, owner="c", lease=lease, now=T0 + lease)
        failed = crud.release_watch(session=session, watch_id=due.id, owner="c", next_poll_at=T0, ok=False)
        assert failed is not None and failed.consecutive_failures == 2
        crud.claim_due_watches(session=session, owner="d", lease=lease, now=T0 + lease)
        ok = crud.release_watch(session=session, watch_id=due.id, owner="d", next_poll_at=T0, ok=True, now=T0 + lease)
        assert ok is not None
        assert (ok.consecutive_failures, ok.last_polled_at) == (0, T0 + lease)


def test_release_many_keeps_only_the_leases_still_held(engine: Engine) -> None:
    lease = timedelta(minutes=5)
    with session_scope(engine) as session:
        for n in range(4):
            _watch(session, order_id=f"o{n}", next_poll_at=T0)
    with session_scope(engine) as session:
        claimed = crud.claim_due_watches(session=session, owner="a", lease=lease, now=T0)
        ids = [w.id for w in claimed]
        assert len(ids) == 4 and all(w.lease_owner == "a" for w in claimed)
        # all still ours: every one is released, and said so
        assert crud.release_watches_ok(session=session, watch_ids=ids, owner="a", next_poll_at=T0, now=T0) == set(ids)
        crud.claim_due_watches(session=session, owner="a", lease=lease, now=T0)
        # the lease of two ran out and "b" took them: "a" keeps the other two only
        stolen = crud.claim_due_watches(session=session, owner="b", lease=lease, now=T0 + lease, ids=ids[:2])
        assert {w.id for w in stolen} == set(ids[:2])
        done = T0 + lease + timedelta(seconds=1)
        kept = crud.release_watches_ok(session=session, watch_ids=ids, owner="a", next_poll_at=done, now=done)
        assert kept == set(ids[2:])
        assert crud.release_watches_ok(
            session=session, watch_ids=ids[:2], owner="b", next_poll_at=done, now=done
        ) == set(ids[:2])


# --- snapshots and outbox ------------------------------------------------------------------


def test_save_snapshot_reports_changes(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        assert crud.get_snapshot(session=session, watch_id=watch.id) is None
        assert crud.save_snapshot(session=session, watch_id=watch.id, view={"state": "acknowledged", "items": [1]})
    with session_scope(engine) as session:
        assert not crud.save_snapshot(session=session, watch_id=watch.id, view={"items": [1], "state": "acknowledged"})
        assert crud.save_snapshot(session=session, watch_id=watch.id, view={"items": [1], "state": "inProgress"})
    with session_scope(engine) as session:
        snapshot = crud.get_snapshot(session=session, watch_id=watch.id)
        assert snapshot is not None and snapshot.view["state"] == "inProgress" and len(snapshot.digest) == 64


def test_enqueue_outbox_is_idempotent(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        other, _ = _watch(session, order_id="12")
        assert crud.enqueue_outbox(session=session, watch_id=watch.id, fingerprint="f1", kind="order_state", payload={})
        assert not crud.enqueue_outbox(
            session=session, watch_id=watch.id, fingerprint="f1", kind="order_state", payload={"text": "again"}
        )
        assert crud.enqueue_outbox(session=session, watch_id=other.id, fingerprint="f1", kind="order_state", payload={})
        assert len(crud.list_outbox(session=session, watch_id=watch.id)) == 1


def test_outbox_lifecycle(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        for n in range(3):
            crud.enqueue_outbox(session=session, watch_id=watch.id, fingerprint=f"f{n}", kind="milestone", payload={})
    now = datetime.now(UTC)
    claim = timedelta(minutes=1)
    with session_scope(engine) as session:
        assert crud.due_outbox_watches(session=session, now=now) == [watch.id]
        first, second, third = crud.unsent_outbox(session=session, watch_id=watch.id)
        assert [m.fingerprint for m in (first, second, third)] == ["f0", "f1", "f2"]
        taken = crud.claim_outbox_row(session=session, message_id=first.id, token="a", now=now, until=now + claim)
        assert taken is not None and (taken.status, taken.claim_token, taken.attempts) == ("sending", "a", 1)
        assert not taken.uncertain
        # claimed: another sender cannot take it, nor mark it
        assert crud.claim_outbox_row(session=session, message_id=first.id, token="b", now=now, until=now) is None
        assert not crud.mark_outbox_sent(session=session, message_id=first.id, token="b", slack_ts="1.1")
        assert crud.renew_outbox_claim(session=session, message_id=first.id, token="a", until=now + 2 * claim)
        assert not crud.renew_outbox_claim(session=session, message_id=first.id, token="b", until=now + 2 * claim)
        assert crud.mark_outbox_sent(session=session, message_id=first.id, token="a", slack_ts="1.1")
        assert not crud.mark_outbox_sent(session=session, message_id=first.id, token="a", slack_ts="1.1")
        assert first.status == "sent" and first.slack_ts == "1.1" and first.sent_at is not None
        assert first.claim_token is None

        assert crud.claim_outbox_row(session=session, message_id=second.id, token="a", now=now, until=now + claim)
        assert crud.mark_outbox_failed(
            session=session,
            message_id=second.id,
            token="a",
            error="timeout",
            retry_at=now + timedelta(seconds=30),
            uncertain=True,
        )
        assert crud.defer_outbox(session=session, watch_id=watch.id, until=now + timedelta(seconds=30)) == 1  # third
        assert crud.claim_outbox_row(session=session, message_id=third.id, token="a", now=now, until=now) is None
        third_due = now + timedelta(seconds=30)
        assert crud.claim_outbox_row(session=session, message_id=third.id, token="a", now=third_due, until=third_due)
        assert crud.mark_outbox_failed(
            session=session, message_id=third.id, token="a", error="invalid_blocks", retry_at=None, dead=True
        )
        assert third.status == "dead"
        with pytest.raises(ValueError):
            crud.mark_outbox_failed(session=session, message_id=third.id, token="a", error="x", retry_at=None)
    with session_scope(engine) as session:
        assert crud.due_outbox_watches(session=session, now=now + timedelta(seconds=10)) == []
        later = now + timedelta(seconds=30)
        retried = crud.claim_outbox_row(
            session=session, message_id=second.id, token="c", now=later, until=later + claim
        )
        assert retried is not None
        assert (retried.attempts, retried.last_error, retried.uncertain) == (2, "timeout", True)
        # A sender that died mid-send: the row comes back once its claim runs out, and is uncertain.
        assert crud.due_outbox_watches(session=session, now=later + timedelta(seconds=59)) == []
        gone = later + claim
        assert crud.due_outbox_watches(session=session, now=gone) == [watch.id]
        orphan = crud.claim_outbox_row(session=session, message_id=second.id, token="d", now=gone, until=gone + claim)
        assert orphan is not None and (orphan.attempts, orphan.uncertain, orphan.claim_token) == (3, True, "d")
        assert not crud.mark_outbox_sent(session=session, message_id=second.id, token="c", slack_ts="2.2")
        assert crud.mark_outbox_sent(session=session, message_id=second.id, token="d", slack_ts="2.2")


def test_a_claim_taken_over_from_a_dead_sender_is_uncertain(engine: Engine) -> None:
    with session_scope(engine) as session:
        watch, _ = _watch(session)
        crud.enqueue_outbox(session=session, watch_id=watch.id, fingerprint="f", kind="milestone", payload={})
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        (row,) = crud.unsent_outbox(session=session, watch_id=watch.id)
        assert crud.claim_outbox_row(session=session, message_id=row.id, token="a", now=now, until=now)
        taken = crud.claim_outbox_row(session=session, message_id=row.id, token="b", now=now, until=now)
        assert taken is not None and taken.uncertain and taken.claim_token == "b"


# --- approvals, audit, deliveries ----------------------------------------------------------


def test_approval_transitions(engine: Engine) -> None:
    with session_scope(engine) as session:
        approval = _approval(session, payload={"quote": "Q1"})
        assert (approval.state, approval.version) == ("pending", 0)
        assert approval.external_id == f"ob-{approval.id.hex}"
        assert crud.get_approval_by_external_id(session=session, external_id=approval.external_id) is approval
    with session_scope(engine) as session:
        assert not crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state="pending",
            expected_version=3,
            new_state="submitting",
        )
        assert crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state="pending",
            expected_version=0,
            new_state="submitting",
            decided_by="U2",
            decided_at=T0,
        )
        assert not crud.transition_approval(
            session=session, approval_id=approval.id, expected_state="pending", expected_version=0, new_state="rejected"
        )
        assert crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state="submitting",
            expected_version=1,
            new_state="submitted",
            result={"order_id": "11", "state": "acknowledged"},
        )
    with session_scope(engine) as session:
        stored = crud.get_approval(session=session, approval_id=approval.id)
        assert stored is not None
        assert (stored.state, stored.version, stored.decided_by, stored.decided_at) == ("submitted", 2, "U2", T0)
        assert stored.result == {"order_id": "11", "state": "acknowledged"}
        assert stored.updated_at >= stored.created_at


def test_transition_approval_refuses_bugs(engine: Engine) -> None:
    with session_scope(engine) as session:
        approval = _approval(session)
        with pytest.raises(ValueError, match="cannot go from pending to submitted"):
            crud.transition_approval(
                session=session,
                approval_id=approval.id,
                expected_state="pending",
                expected_version=0,
                new_state="submitted",
            )
        with pytest.raises(ValueError):
            crud.transition_approval(
                session=session, approval_id=approval.id, expected_state="pending", expected_version=0, new_state="odd"
            )
        with pytest.raises(ValidationError):
            crud.transition_approval(
                session=session,
                approval_id=approval.id,
                expected_state="pending",
                expected_version=0,
                new_state="rejected",
                version=7,
            )
        with pytest.raises(ValidationError):
            crud.transition_approval(
                session=session,
                approval_id=approval.id,
                expected_state="pending",
                expected_version=0,
                new_state="rejected",
                decided_at=datetime(2024, 1, 1),
            )
        with pytest.raises(ValidationError):
            _approval(session, kind="delete_everything")


def test_external_id_is_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        _approval(session, external_id="ext-1")
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            _approval(session, external_id="ext-1")


def test_audit_rows(engine: Engine) -> None:
    with session_scope(engine) as session:
        approval = _approval(session)
        crud.record_audit(
            session=session, actor="U2", action="approval.approved", approval_id=approval.id, at=T0 + timedelta(1)
        )
        crud.record_audit(
            session=session,
            actor="U1",
            action="approval.requested",
            approval_id=approval.id,
            backend="carrier",
            subject="quote Q1",
            detail={"note": "ünïcode", "n": 1},
            at=T0,
        )
        crud.record_audit(
            session=session, actor="bot", action="watch.created", subject="carrier:11", at=T0 + timedelta(2)
        )
    with session_scope(engine) as session:
        rows = crud.audit_rows(session=session)
        since = crud.audit_rows(session=session, since=T0 + timedelta(1))
        until = crud.audit_rows(session=session, until=T0 + timedelta(1))
    assert [r["action"] for r in rows] == ["approval.requested", "approval.approved", "watch.created"]
    assert rows[0] == {
        "at": "2024-06-01T10:00:00+00:00",
        "actor": "U1",
        "action": "approval.requested",
        "approval_id": str(approval.id),
        "backend": "carrier",
        "subject": "quote Q1",
        "detail": '{"n": 1, "note": "ünïcode"}',
        "id": rows[0]["id"],
    }
    assert rows[2]["approval_id"] == "" and rows[2]["backend"] == ""
    assert [r["action"] for r in since] == ["approval.approved", "watch.created"]
    assert [r["action"] for r in until] == ["approval.requested"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=crud.AUDIT_CSV_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    assert out.getvalue().splitlines()[0] == "at,actor,action,approval_id,backend,subject,detail,id"


def test_processed_deliveries(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert crud.mark_delivery_processed(session=session, key="Ev1")
        assert not crud.mark_delivery_processed(session=session, key="Ev1")
        assert crud.mark_delivery_processed(session=session, key="Ev2")
    with session_scope(engine) as session:
        assert not crud.mark_delivery_processed(session=session, key="Ev2")
        assert (
            crud.prune_processed_deliveries(session=session, older_than=datetime.now(UTC) + timedelta(seconds=1)) == 2
        )
        assert crud.mark_delivery_processed(session=session, key="Ev1")


def test_a_rolled_back_delivery_can_be_processed_again(engine: Engine) -> None:
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            assert crud.mark_delivery_processed(session=session, key="Ev1")
            raise RuntimeError("the work it guarded failed")
    with session_scope(engine) as session:
        assert crud.mark_delivery_processed(session=session, key="Ev1")
