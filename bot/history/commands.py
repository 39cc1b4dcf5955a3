"""`/orange history <ref> [csv]` and `/orange report …`: read from the kept history (no Orange request), answered
privately with "Share in channel"; the chart and the CSVs are files, sent to the requester by direct message (a
file cannot be ephemeral). `report weekly <day> HH:MM [tz]` schedules the channel's weekly report
(`bot.history.weekly` posts it).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.format import context
from bot.commands import HistoryGet, ReportNow, ReportOff, ReportWeekly
from bot.context import BotContext
from bot.files import upload_file
from bot.history.blocks import chart_data, period_text, report_blocks, timeline_blocks
from bot.history.chart import report_chart
from bot.history.compute import Period, Report, Timeline, report, report_csv, timeline, timeline_csv
from bot.history.keep import entry_of
from bot.history.periods import resolve_period
from bot.i18n import _
from bot.slack import Invocation, Reply, dm_channel, handles, reply
from storage import crud
from storage.models import Approval, ReportSchedule

__all__ = ["build_report", "send_report_files"]

log = logging.getLogger("bot.history")


async def build_report(ctx: BotContext, *, team_id: str, period: Period, now: datetime, backend: str | None) -> Report:
    """The period's report over the workspace's kept history: rows streamed in order, one order at a time."""

    def load(session: Session) -> Report:
        rows = crud.report_rows(session=session, team_id=team_id, start=period.start, end=period.end, backend=backend)
        # The CSV is written as the orders are read: one order's timeline in memory at a time, not every order's.
        entries = (entry_of(r) for r in rows)
        return report(entries, period=period, now=now, backend=backend, keep_lines=False, write_csv=True)

    return await ctx.read(load)


async def send_report_files(
    client: AsyncWebClient, *, channel: str, thread_ts: str | None, found: Report, tz: tzinfo | None, name: str
) -> list[str]:
    """The chart (when there is something to draw) and the CSV of the orders behind every figure, shared in
    `channel` (a thread of it); the files' ids. SlackApiError when Slack refuses."""
    ids: list[str] = []
    if not found.empty:
        data = chart_data(found, tz=tz)
        png = await asyncio.to_thread(report_chart, data)  # drawing and the CSV take seconds at scale: off the loop
        file_id = await upload_file(
            client,
            channel=channel,
            thread_ts=thread_ts,
            filename=f"{name}.png",
            content=png,
            title=data.title,
            alt_text=data.title,
        )
        ids += [file_id] if file_id else []
    csv = (await asyncio.to_thread(report_csv, found)).encode()
    file_id = await upload_file(
        client,
        channel=channel,
        thread_ts=thread_ts,
        filename=f"{name}.csv",
        content=csv,
        title=_("Orders behind the report · {period}", period=period_text(found, tz)),
    )
    ids += [file_id] if file_id else []
    return ids


def _refused(err: SlackApiError) -> str:
    error = str(err.response.get("error", ""))
    log.warning("files for a private answer refused: %s", error)
    return _("Slack refused the files ({error}); the figures above are complete.", error=error)


@handles(HistoryGet)
async def _history(inv: Invocation, cmd: HistoryGet) -> Reply:
    ctx, ref, team = inv.ctx, cmd.reference, inv.where.team_id
    now = ctx.now()

    def load(session: Session) -> tuple[list[Any], list[Approval]]:
        rows = crud.history_of(session=session, team_id=team, backend=ref.backend, order_id=ref.id)
        found = crud.approvals_about_order(session=session, team_id=team, backend=ref.backend, order_id=ref.id)
        return [entry_of(r) for r in rows], found

    entries, approvals = await ctx.read(load)
    if not entries:
        return Reply(
            text=_(
                "No history of `{reference}`: this workspace has not watched it (`watch {reference}` starts its "
                "history).",
                reference=str(ref),
            ),
            shareable=False,
        )
    tz = await inv.tz()
    found: Timeline = timeline(entries, now=now)
    blocks = timeline_blocks(found, now=now, approvals=approvals, tz=tz, channel=inv.shared)
    if cmd.csv and not inv.shared:
        try:
            channel = await dm_channel(inv.client, inv.where.user_id)
            await upload_file(
                inv.client,
                channel=channel,
                thread_ts=None,
                filename=f"history-{ref.backend}-{ref.id}.csv",
                content=(await asyncio.to_thread(timeline_csv, found, now=now)).encode(),
                title=_("History of {order}", order=found.label or found.reference),
            )
            blocks.append(context(_("The CSV is in your direct messages with the bot.")))
        except SlackApiError as err:
            blocks.append(context(_refused(err)))
    return reply(blocks)


@handles(ReportNow)
async def _report(inv: Invocation, cmd: ReportNow) -> Reply:
    ctx = inv.ctx
    now = ctx.now()
    zone = ZoneInfo(cmd.tz) if cmd.tz is not None else await inv.tz()
    period = resolve_period(cmd.period, now=now, tz=zone)
    found = await build_report(ctx, team_id=inv.where.team_id, period=period, now=now, backend=cmd.backend)
    blocks = report_blocks(found, tz=zone, channel=inv.shared)
    if not inv.shared:
        try:
            channel = await dm_channel(inv.client, inv.where.user_id)
            name = f"report-{cmd.backend or 'all'}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
            ids = await send_report_files(inv.client, channel=channel, thread_ts=None, found=found, tz=zone, name=name)
            if ids:
                blocks.append(
                    context(
                        _("The chart and the CSV of the orders behind every figure are in your direct messages.")
                        if not found.empty
                        else _("The CSV is in your direct messages with the bot.")
                    )
                )
        except SlackApiError as err:
            blocks.append(context(_refused(err)))
    return reply(blocks)


@handles(ReportWeekly)
async def _weekly(inv: Invocation, cmd: ReportWeekly) -> Reply:
    where = inv.where
    await inv.ctx.db(
        lambda s: crud.set_schedule(
            ReportSchedule,
            session=s,
            team_id=where.team_id,
            channel_id=where.channel_id,
            weekday=cmd.weekday,
            at_time=cmd.at_time,
            tz=cmd.tz,
            backend=None,
            created_by=where.user_id,
        )
    )
    return Reply(
        text=_(
            "Every {day} at {time} ({tz}) the last seven days' delivery report is posted in this channel.",
            day=_weekday(cmd.weekday),
            time=cmd.at_time,
            tz=cmd.tz,
        ),
        shareable=False,
    )


def _weekday(n: int) -> str:
    return (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )[n]


@handles(ReportOff)
async def _off(inv: Invocation, cmd: ReportOff) -> Reply:
    where = inv.where
    ended = await inv.ctx.db(
        lambda s: crud.end_schedule(ReportSchedule, session=s, team_id=where.team_id, channel_id=where.channel_id)
    )
    text = _("No more weekly report here.") if ended else _("This channel had no weekly report.")
    return Reply(text=text, shareable=False)
