"""Pending approvals nobody decides: reminders by DM (4 h, then daily), then expiry (7 days), each exactly once.

Requests and clicks are signed Slack requests into the running app; the job step (`remind_and_expire`, what the
approvals job runs) is run at times the test hands in through `ctx.clock`. The replicas test runs on PostgreSQL too
when `TEST_DATABASE_URL` is set.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bot_harness import TOKEN, Harness
from pg_schema import schema_url
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool
from sqlmodel import Session, col, select
from test_approvals import (
    CHANNEL,
    ORDER,
    approvals_in_db,
    ask,
    carrier_posts,
    ephemeral_after,
    message,
    request_cancel,
    shown,
)

from bot.approvals.reminders import RemindersRun, remind_and_expire
from bot.blocks.approvals import ACTION_APPROVE, ACTION_REJECT
from bot.context import BotContext, UserDirectory
from storage import crud, migrate
from storage.db import make_engine
from storage.enums import ApprovalState, AuditAction
from storage.models import Approval, AuditEvent


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite in a temp dir; `postgresql` (indirect parameter): a schema of its own on TEST_DATABASE_URL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path}/bot.db"
        return
    with schema_url() as url:
        yield url


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def slack(h: Harness) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=h.fake.api_url)


def dms(h: Harness, user: str) -> list[str]:
    return [str(m["text"]) for m in h.fake.channel_messages("D" + user.removeprefix("U"))]


async def step(h: Harness, clock: Clock, start: datetime, after: timedelta) -> RemindersRun:
    """The approvals job's reminders step, at `start + after` (the bot's clock moved there)."""
    clock.now = start + after
    return await remind_and_expire(h.ctx, slack(h))


def audit_of(h: Harness, approval: Approval, action: AuditAction) -> list[AuditEvent]:
    with Session(h.ctx.engine) as session:
        stmt = select(AuditEvent).where(col(AuditEvent.approval_id) == approval.id, col(AuditEvent.action) == action)
        return list(session.exec(stmt).all())


async def pending(h: Harness, monkeypatch: pytest.MonkeyPatch, approvers: tuple[str, ...]) -> tuple[Approval, Clock]:
    monkeypatch.setattr(h.ctx.settings, "approver_user_ids", approvers)
    approval = await request_cancel(h)
    clock = Clock(approval.created_at)
    h.ctx.clock = clock
    return approval, clock


async def test_approvers_are_reminded_once_after_4_hours_then_daily_until_someone_decides(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    h.fake.users["U_CAROL"].locale = "fr-FR"
    approval, clock = await pending(h, monkeypatch, ("U_BOB", "U_CAROL", "U_ALICE"))  # Alice asks: not reminded
    start, card = approval.created_at, approval.message_ts
    link = (await slack(h).chat_getPermalink(channel=approval.channel_id, message_ts=str(card)))["permalink"]

    assert (await step(h, clock, start, timedelta(hours=3, minutes=59))).reminded == []
    first = await step(h, clock, start, timedelta(hours=4))
    assert first.reminded == [str(approval.id)] and first.dms == 2
    (bob,) = dms(h, "U_BOB")
    assert bob.startswith(":alarm_clock: Reminder: <@U_ALICE> asked <!date^") and "<#C_GENERAL>" in bob, bob
    assert (
        f"to cancel order *UW-de76cfa1 · OULLINS C* · `wholesale:{ORDER}`" in bob
        and "nobody has decided yet" in bob
        and f"<{link}|the request>" in bob
    )
    (carol,) = dms(h, "U_CAROL")  # in her own language
    assert carol.startswith(":alarm_clock: Rappel : <@U_ALICE> a demandé") and f"<{link}|la demande>" in carol, carol
    assert dms(h, "U_ALICE") == []

    for later in (timedelta(hours=4, seconds=10), timedelta(hours=27, minutes=59)):  # once, not every job run
        assert (await step(h, clock, start, later)).reminded == []
    assert (await step(h, clock, start, timedelta(hours=28))).dms == 2  # a day after the first
    assert (await step(h, clock, start, timedelta(hours=52))).dms == 2
    assert len(dms(h, "U_BOB")) == len(dms(h, "U_CAROL")) == 3

    before = len(h.fake.response_posts())
    await h.user.click(ACTION_REJECT, user="U_BOB")
    await h.fake.wait_for(lambda: approvals_in_db(h)[-1].state == ApprovalState.REJECTED.value, timeout=10)
    assert len(h.fake.response_posts()) == before  # the card says it all
    for later in (timedelta(hours=76), timedelta(days=8)):  # decided: neither reminded nor expired
        run = await step(h, clock, start, later)
        assert run.reminded == [] and run.expired == []
    assert len(dms(h, "U_BOB")) == 3 and approvals_in_db(h)[-1].state == ApprovalState.REJECTED.value


async def test_with_no_approver_configured_the_requester_hears_that_nobody_decided_in_their_language(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approval, clock = await pending(h, monkeypatch, ())
    h.fake.users["U_ALICE"].locale = "fr-FR"  # she has switched Slack to French since she asked
    h.ctx.users = UserDirectory()
    run = await step(h, clock, approval.created_at, timedelta(hours=4))
    assert run.reminded == [str(approval.id)] and run.dms == 1
    (alice,) = dms(h, "U_ALICE")
    assert alice.startswith(":alarm_clock: Personne n'a encore décidé de votre demande : annuler la commande"), alice
    assert "Aucun approbateur n'est configuré : tout membre du canal sauf vous peut en décider" in alice
    assert dms(h, "U_BOB") == dms(h, "U_CAROL") == []


async def test_an_approval_nobody_decides_expires_once_its_card_says_so_and_a_late_click_is_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    approval, clock = await pending(h, monkeypatch, ("U_BOB",))
    start = approval.created_at
    seen = h.user.render(message(h, approval.message_ts), channel=CHANNEL)  # Bob's Slack shows the buttons
    approve = next(n for n, c in seen.clickables.items() if c.action_id == ACTION_APPROVE)
    assert (await step(h, clock, start, timedelta(days=7) - timedelta(seconds=1))).expired == []
    assert (await step(h, clock, start, timedelta(days=7))).expired == [str(approval.id)]
    assert (await step(h, clock, start, timedelta(days=7, seconds=10))).expired == []

    (row,) = approvals_in_db(h)
    assert row.state == ApprovalState.EXPIRED.value and row.decided_by is None and row.shown_version == row.version
    card = message(h, approval.message_ts)
    text = shown(h, card)
    assert "Expired after 7 days without a decision" in text and ORDER in text, text
    assert not [b for b in card["blocks"] if b["type"] == "actions"]  # the buttons are gone
    assert len(audit_of(h, approval, AuditAction.APPROVAL_EXPIRED)) == 1

    before = len(h.fake.response_posts())
    await h.user.click(approve, user="U_BOB")  # a click from before the card was redrawn
    late = await ephemeral_after(h, before)
    assert late.startswith("This request expired without a decision (") and "nothing was changed" in late, late
    assert "\n" not in late.strip()
    assert await carrier_posts(h, "cancelProductOrder") == 0
    assert "Asked for approval" in await ask(h, f"cancel wholesale:{ORDER} still needed")  # no longer live


@pytest.mark.parametrize("db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
async def test_replicas_running_the_job_at_once_send_one_reminder_and_expire_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    h = harness
    approval, clock = await pending(h, monkeypatch, ("U_BOB",))
    replicas = [
        BotContext(settings=h.ctx.settings, orange=h.ctx.orange, engine=make_engine(db_url), clock=clock)
        for _ in range(3)
    ]
    # Every replica lists what is due before any claims it: the claims race (each listing runs in a thread of its own).
    together = threading.Barrier(len(replicas), timeout=10)
    for name in ("list_due_expiries", "list_due_reminders"):

        def listed(*, _real: Any = getattr(crud, name), **kwargs: Any) -> Any:
            rows = _real(**kwargs)
            together.wait()
            return rows

        monkeypatch.setattr(crud, name, listed)
    try:

        async def all_at(after: timedelta) -> list[RemindersRun]:
            clock.now = approval.created_at + after
            return await asyncio.gather(*(remind_and_expire(ctx, slack(h)) for ctx in replicas))

        runs = await all_at(timedelta(hours=4))
        assert sum(len(r.reminded) for r in runs) == 1 and sum(r.dms for r in runs) == 1
        assert len(dms(h, "U_BOB")) == 1
        runs = await all_at(timedelta(days=7))
        assert sum(len(r.expired) for r in runs) == 1
        assert len(audit_of(h, approval, AuditAction.APPROVAL_EXPIRED)) == 1
        assert approvals_in_db(h)[-1].state == ApprovalState.EXPIRED.value
        assert len(dms(h, "U_BOB")) == 1  # expiring is no reminder
    finally:
        for ctx in replicas:
            ctx.engine.dispose()


async def test_slack_refusing_the_reminders_holds_back_neither_the_job_nor_the_expiry(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    h.fake.users["U_CAROL"].deleted = True  # deactivated: Slack refuses to open the DM (user_disabled)
    approval, clock = await pending(h, monkeypatch, ("U_CAROL", "U_BOB"))
    h.fake.inject("chat.postMessage", "internal_error", status=500)  # and Bob's DM fails
    run = await step(h, clock, approval.created_at, timedelta(hours=4))
    assert run.reminded == [str(approval.id)] and run.dms == 0
    opened = [c for c in h.fake.calls if c.method == "conversations.open"]
    assert [(c.params.get("users"), (c.response or {}).get("error")) for c in opened] == [
        ("U_CAROL", "user_disabled"),
        ("U_BOB", None),
    ]
    assert (await step(h, clock, approval.created_at, timedelta(hours=4, seconds=10))).reminded == []  # not retried

    h.fake.inject("conversations.open", "internal_error", status=500, count=None)  # Slack refuses every DM now
    run = await step(h, clock, approval.created_at, timedelta(days=7))
    assert run.expired == [str(approval.id)]
    assert "Expired after 7 days without a decision" in shown(h, message(h, approval.message_ts))
    assert approvals_in_db(h)[-1].state == ApprovalState.EXPIRED.value


def test_migration_0011_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0011")
    engine = make_engine(url, poolclass=NullPool)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("approval")}
        assert migrate.current(url) == "0011" and {"reminded_at", "next_reminder_at"} <= columns
        migrate.downgrade(url, "0010")
        assert not {"reminded_at", "next_reminder_at"} & {c["name"] for c in inspect(engine).get_columns("approval")}
        migrate.upgrade(url)
        assert {"reminded_at", "next_reminder_at"} <= {c["name"] for c in inspect(engine).get_columns("approval")}
    finally:
        engine.dispose()
