"""`/orange report weekly <day> HH:MM [tz]`: the last seven days' report posted in the channel, once a week however
many replicas run.

The digests job (every minute) also looks at report schedules: one whose day and time have come moves its date by
compare-and-set (one replica wins) and, in the same transaction, owes the channel an outbox row keyed by (channel,
week's day): `REPORT_POST`. The outbox builds the report when it sends that row (as of when it fell due) and posts it
like a digest (looked up in the channel's history by its id if a sender died, so never twice). Once posted, it owes
a second row, `REPORT_FILES`, keyed the same way: the chart and the CSV uploaded in the report's thread; a sender
that died uploading looks in the thread for them first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.digests import owe_due
from bot.history.blocks import report_blocks
from bot.history.commands import build_report, send_report_files
from bot.history.compute import Period
from bot.i18n import _, day
from storage.models import ReportSchedule

__all__ = [
    "REPORT_FILES",
    "REPORT_POST",
    "DueReport",
    "due_report_blocks",
    "files_row",
    "owe_due_reports",
    "send_due_files",
]

REPORT_POST = "report"
"""The outbox kind of a weekly report: a post of its own in the channel."""
REPORT_FILES = "report_files"
"""The outbox kind of its chart and CSV, uploaded in its thread once it is posted."""
WEEK = timedelta(days=7)


class DueReport(BaseModel):
    """What a weekly report's outbox rows carry: enough to build that week's report when they are sent."""

    schedule_id: str
    team_id: str
    channel_id: str
    backend: str | None
    day: str
    """The schedule's local date, `YYYY-MM-DD`: the row's key with the channel."""
    tz: str
    due_at: AwareDatetime
    """When it fell due: the report covers the seven days before, however late a retry sends it."""
    thread_ts: str | None = None
    """The files' row: the report's message."""

    @property
    def fingerprint(self) -> str:
        return f"{REPORT_POST}:{self.day}"

    @property
    def period(self) -> Period:
        return Period(start=self.due_at - WEEK, end=self.due_at)

    @property
    def name(self) -> str:
        return f"weekly-report-{self.day}"


async def due_report_blocks(ctx: BotContext, due: DueReport) -> list[Block]:
    """The week's report as its outbox row is sent (built from the kept history then, as of `due_at`)."""
    found = await build_report(ctx, team_id=due.team_id, period=due.period, now=due.due_at, backend=due.backend)
    title = _("Weekly delivery report · {day}", day=day(datetime.combine(date.fromisoformat(due.day), time(12))))
    return report_blocks(found, tz=ZoneInfo(due.tz), channel=True, title=title)


def files_row(due: DueReport, ts: str) -> tuple[str, dict[str, Any]]:
    """The fingerprint and payload of the row that uploads the report's files in its thread."""
    return f"{REPORT_FILES}:{due.day}", due.model_copy(update={"thread_ts": ts}).model_dump(mode="json")


async def _already_uploaded(client: AsyncWebClient, due: DueReport) -> bool:
    response = await client.conversations_replies(channel=due.channel_id, ts=str(due.thread_ts), limit=200)
    names = {f.get("name") for m in response.get("messages") or [] for f in m.get("files") or []}
    return f"{due.name}.csv" in names


async def send_due_files(ctx: BotContext, client: AsyncWebClient, due: DueReport, *, uncertain: bool) -> None:
    """Upload the week's chart and CSV in the report's thread (unless a sender that died did already)."""
    if due.thread_ts is None or (uncertain and await _already_uploaded(client, due)):
        return
    found = await build_report(ctx, team_id=due.team_id, period=due.period, now=due.due_at, backend=due.backend)
    await send_report_files(
        client, channel=due.channel_id, thread_ts=due.thread_ts, found=found, tz=ZoneInfo(due.tz), name=due.name
    )


def _due(schedule: ReportSchedule, now: datetime) -> str | None:
    """Today's local date when it is the schedule's day, its time has come, and today's report was not owed yet."""
    local = now.astimezone(ZoneInfo(schedule.tz))
    today = local.date().isoformat()
    if local.weekday() != schedule.weekday or local.strftime("%H:%M") < schedule.at_time:
        return None
    if (schedule.last_sent_on or "") >= today:
        return None
    return today


async def owe_due_reports(ctx: BotContext, *, now: datetime | None = None) -> list[str]:
    """Each report schedule whose time has come owes its channel the week's report, once, on whichever replica
    moves the schedule's date first (`bot.digests.owe_due`); the channels owed one now."""

    def due(schedule: ReportSchedule, at: datetime) -> DueReport | None:
        today = _due(schedule, at)
        if today is None:
            return None
        return DueReport(
            schedule_id=schedule.id.hex,
            team_id=schedule.team_id,
            channel_id=schedule.channel_id,
            backend=schedule.backend,
            day=today,
            tz=schedule.tz,
            due_at=at,
        )

    return await owe_due(ctx, ReportSchedule, now=now or ctx.now(), kind=REPORT_POST, due=due)
