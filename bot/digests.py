"""`digest`: what needs attention among a channel's watched orders, now or once a day.

A digest lists open error messages on watched orders, orders past their expected completion date, orders in one
state longer than `DIGEST_STALE_DAYS`, and approvals of the channel waiting over a day — with a link to each
thread. It is read from what the notifier stored (snapshots, the watch's `state_since`), so it costs Orange nothing.
`digest daily HH:MM [tz]` posts it in the channel every day, exactly once, through the outbox like every post:
the digests job looks every minute, and in one transaction moves the schedule's date (a compare-and-set: one
replica wins) and owes the channel an outbox row keyed by (channel, day). The outbox builds the digest when it sends
that row (`due_digest_blocks`), so a sender that dies while building or posting, or a Slack 5xx, leaves the row to
be taken over, looked up in the channel's history by its id, and posted if it is not there.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.digests import DigestItem, DigestReport, digest_blocks
from bot.blocks.format import escape, posted_date
from bot.commands import DigestDaily, DigestNow, DigestOff
from bot.context import BotContext
from bot.i18n import _, day, n_
from bot.notify.diff import Snapshot
from bot.slack import Invocation, Reply, handles, permalink, reply
from storage import crud
from storage.enums import ApprovalState, WatchKind
from storage.models import DigestSchedule, ReportSchedule

__all__ = [
    "DIGEST_POST",
    "PENDING_APPROVAL_AGE",
    "DueDigest",
    "build_digest",
    "due_digest_blocks",
    "owe_due",
    "owe_due_digests",
]

log = logging.getLogger("bot.digests")

PENDING_APPROVAL_AGE = timedelta(hours=24)

_Order = tuple[str, str | None, Snapshot, datetime | None]
"""A watched order: watch id, thread ts, stored snapshot, in its state since."""
_Asked = tuple[str, str | None, str | None, datetime]
"""A pending approval: reference, label, message ts, asked at."""


async def build_digest(
    ctx: BotContext, client: AsyncWebClient, *, team_id: str, channel_id: str, backend: str | None, now: datetime
) -> DigestReport:
    stale = timedelta(days=ctx.settings.digest_stale_days)

    def load(session: Session) -> tuple[list[_Order], list[_Asked]]:
        watches = [
            w
            for w in crud.list_live_watches(session=session, team_id=team_id, channel_id=channel_id)
            if w.kind == WatchKind.ORDER and (backend is None or w.backend == backend)
        ]
        stored = crud.load_snapshots(session=session, watch_ids=[w.id for w in watches])
        orders = [
            (w.id.hex, w.thread_ts, Snapshot.from_json(stored[w.id]), w.state_since) for w in watches if w.id in stored
        ]
        approvals = [
            (str(payload.get("reference") or a.target_id), _text(payload.get("label")), a.message_ts, a.created_at)
            for a in crud.list_pending_approvals(session=session, team_id=team_id)
            if a.channel_id == channel_id and a.state == ApprovalState.PENDING.value
            for payload in (a.payload or {},)
        ]
        return orders, approvals

    orders, approvals = await ctx.read(load)
    errors: list[DigestItem] = []
    late: list[DigestItem] = []
    stuck: list[DigestItem] = []
    links: dict[str | None, str | None] = {}

    async def link(ts: str | None) -> str | None:
        if ts not in links:
            links[ts] = await permalink(client, channel_id, ts)
        return links[ts]

    open_orders = [(ts, snapshot.view, since) for _, ts, snapshot, since in orders if not snapshot.view.is_final]
    labels = await ctx.sites.labels(ctx.orange.carrier.sites, [view for _, view, _ in open_orders])
    for (thread_ts, view, state_since), label in zip(open_orders, labels, strict=True):
        for error in view.open_errors:
            detail = escape(error.message or error.code or _("(no message)"))
            errors.append(DigestItem(view.reference, detail, await link(thread_ts), label))
        expected = view.expected_completion_date
        if expected is not None and expected < now:
            detail = _("expected {date}", date=posted_date(expected))
            late.append(DigestItem(view.reference, detail, await link(thread_ts), label))
        if state_since is not None and now - state_since > stale:
            days = (now - state_since).days
            detail = n_("{state} for {n} day", "{state} for {n} days", days, state=escape(view.state.value))
            stuck.append(DigestItem(view.reference, detail, await link(thread_ts), label))
    waiting = [
        DigestItem(reference, _asked(now - created), await link(ts), label)
        for reference, label, ts, created in approvals
        if now - created > PENDING_APPROVAL_AGE
    ]
    return DigestReport(
        watched=len(orders), errors=errors, late=late, stuck=stuck, approvals=waiting, stale_days=stale.days
    )


def _asked(age: timedelta) -> str:
    if age.days < 1:
        return _("asked less than a day ago")
    return n_("asked {n} day ago", "asked {n} days ago", age.days)


def _text(value: object) -> str | None:
    return str(value) if value else None


@handles(DigestNow)
async def _digest_now(inv: Invocation, cmd: DigestNow) -> Reply:
    report = await build_digest(
        inv.ctx,
        inv.client,
        team_id=inv.where.team_id,
        channel_id=inv.where.channel_id,
        backend=cmd.backend,
        now=inv.ctx.now(),
    )
    return reply(digest_blocks(report, title=_("Digest of this channel's watched orders")))


@handles(DigestDaily)
async def _digest_daily(inv: Invocation, cmd: DigestDaily) -> Reply:
    where = inv.where
    await inv.ctx.db(
        lambda s: crud.set_digest_schedule(
            session=s,
            team_id=where.team_id,
            channel_id=where.channel_id,
            at_time=cmd.at_time,
            tz=cmd.tz,
            backend=None,
            created_by=where.user_id,
        )
    )
    return Reply(
        text=_("Every day at {time} ({tz}) the digest is posted in this channel.", time=cmd.at_time, tz=cmd.tz),
        shareable=False,
    )


@handles(DigestOff)
async def _digest_off(inv: Invocation, cmd: DigestOff) -> Reply:
    where = inv.where
    ended = await inv.ctx.db(
        lambda s: crud.end_digest_schedule(session=s, team_id=where.team_id, channel_id=where.channel_id)
    )
    text = _("No more daily digest here.") if ended else _("This channel had no daily digest.")
    return Reply(text=text, shareable=False)


DIGEST_POST = "digest"
"""The outbox kind of a daily digest: a post of its own in the channel (no watch, no thread)."""


class DueDigest(BaseModel):
    """What a digest's outbox row carries: enough to build that day's digest when the row is sent."""

    schedule_id: str
    team_id: str
    channel_id: str
    backend: str | None
    day: str
    """The schedule's local date, `YYYY-MM-DD`: the title, and the row's key with the channel."""
    due_at: AwareDatetime
    """When it fell due: the digest is drawn as of then, however late a retry sends it."""

    @property
    def fingerprint(self) -> str:
        return f"{DIGEST_POST}:{self.day}"


async def due_digest_blocks(ctx: BotContext, client: AsyncWebClient, due: DueDigest) -> list[Block]:
    """The day's digest as its outbox row is sent (built from storage then)."""
    report = await build_digest(
        ctx, client, team_id=due.team_id, channel_id=due.channel_id, backend=due.backend, now=due.due_at
    )
    # A header is plain text (no date token): the schedule's own day, written the reader's way.
    title = _("Daily digest · {day}", day=day(datetime.combine(date.fromisoformat(due.day), time(12))))
    return digest_blocks(report, title=title)


def _due(schedule: DigestSchedule, now: datetime) -> str | None:
    """Today's local date when the schedule's time has come and today's digest was not sent yet."""
    local = now.astimezone(ZoneInfo(schedule.tz))
    today = local.date().isoformat()
    if local.strftime("%H:%M") < schedule.at_time or (schedule.last_sent_on or "") >= today:
        return None
    return today


class _Due(Protocol):
    day: str

    @property
    def fingerprint(self) -> str: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


_S = TypeVar("_S", DigestSchedule, ReportSchedule)


async def owe_due(
    ctx: BotContext,
    model: type[_S],
    *,
    now: datetime,
    kind: str,
    due: Callable[[_S, datetime], _Due | None],
) -> list[str]:
    """Each live schedule of `model` whose time has come (`due` gives its occurrence, or None) owes its channel that
    occurrence, once, on whichever replica moves the schedule's date first (the outbox posts it); the channels owed
    one now. The daily digest and the weekly report (`bot.history.weekly`) both fall due this way."""
    owed: list[str] = []
    for schedule in await ctx.read(lambda s: crud.live_schedules(model, session=s)):
        occurrence = due(schedule, now)
        if occurrence is not None and await ctx.db(_owing(model, schedule.id, occurrence, kind=kind, now=now)):
            owed.append(schedule.channel_id)
    return owed


def _owing(
    model: type[_S], schedule_id: uuid.UUID, occurrence: _Due, *, kind: str, now: datetime
) -> Callable[[Session], bool]:
    """The unit of work that takes `occurrence` of the schedule and owes it to the channel's outbox."""

    def work(session: Session) -> bool:
        return crud.owe_occurrence(
            model,
            session=session,
            schedule_id=schedule_id,
            local_date=occurrence.day,
            fingerprint=occurrence.fingerprint,
            kind=kind,
            payload=occurrence.model_dump(mode="json"),
            now=now,
        )

    return work


async def owe_due_digests(ctx: BotContext, *, now: datetime | None = None) -> list[str]:
    """The digests job: each schedule whose time has come owes its channel the day's digest (`owe_due`)."""

    def due(schedule: DigestSchedule, at: datetime) -> DueDigest | None:
        today = _due(schedule, at)
        if today is None:
            return None
        return DueDigest(
            schedule_id=schedule.id.hex,
            team_id=schedule.team_id,
            channel_id=schedule.channel_id,
            backend=schedule.backend,
            day=today,
            due_at=at,
        )

    return await owe_due(ctx, DigestSchedule, now=now or ctx.now(), kind=DIGEST_POST, due=due)
