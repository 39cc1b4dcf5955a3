"""The words of history and reports: an order's timeline and a period's report as Block Kit, and the chart's strings.

Pure, in the language spoken (`bot.i18n`): dates in the reader's zone (`tz`) for a private answer, Slack date tokens
(each reader's zone) for a channel post (`tz=None, channel=True`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from slack_sdk.models.blocks import Block

from bot.blocks.format import (
    bullet_sections,
    context,
    divider,
    escape,
    header,
    mention,
    order_name,
    posted_date,
    section,
    state_text,
    when,
)
from bot.blocks.states import label
from bot.history.chart import ChartData
from bot.history.compute import ErrorSpan, Report, Timeline
from bot.i18n import _, day, n_, number
from integrations.states import OrderState
from storage.enums import ApprovalKind
from storage.models import Approval

__all__ = ["chart_data", "period_text", "report_blocks", "span", "timeline_blocks"]

_MAX_LINES = 40
"""Stints, errors or points shown in a timeline before "and N more" (the CSV has them all)."""
_LATE_SHOWN = 5


def span(d: timedelta) -> str:
    """A duration people read: `3 d 4 h`, `5 h 20 min`, `12 min`, `< 1 min`."""
    minutes = int(d.total_seconds() // 60)
    if minutes < 1:
        return _("< 1 min")
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h", days=number(days), hours=hours) if hours else _("{days} d", days=number(days))
    if hours:
        return _("{hours} h {minutes} min", hours=hours, minutes=mins) if mins else _("{hours} h", hours=hours)
    return _("{minutes} min", minutes=mins)


def _at(moment: datetime, tz: tzinfo | None, channel: bool) -> str:
    return posted_date(moment) if channel else when(moment, tz)


def _days(d: timedelta) -> str:
    """Days with one decimal (`3.5 d`); under a day, the duration itself (`5 h 20 min`)."""
    if d < timedelta(days=1):
        return span(d)
    return _("{days} d", days=number(round(d.total_seconds() / 86400, 1)))


def _error_line(e: ErrorSpan, now: datetime, tz: tzinfo | None, channel: bool) -> str:
    who = {"OWF": _("Orange acts"), "ORT": _("you act")}.get(e.reason or "", e.reason or "")
    what = escape(e.text or _("(no text)"))
    detail = ", ".join(p for p in (who, e.code or "") if p)
    if e.closed_at is not None and not e.still_open:
        return _(
            "• :warning: {what}{detail} — opened {opened}, closed {closed} ({span})",
            what=what,
            detail=f" ({detail})" if detail else "",
            opened=_at(e.opened_at, tz, channel),
            closed=_at(e.closed_at, tz, channel),
            span=span(e.duration(now)),
        )
    return _(
        "• :warning: {what}{detail} — opened {opened}, still open ({span} so far)",
        what=what,
        detail=f" ({detail})" if detail else "",
        opened=_at(e.opened_at, tz, channel),
        span=span(e.duration(now)),
    )


def _approval_line(a: Approval, tz: tzinfo | None, channel: bool) -> str:
    decided = _at(a.decided_at, tz, channel) if a.decided_at else "?"
    if a.kind == ApprovalKind.CANCEL_ORDER.value:
        return _(
            "• Cancellation asked by {requester}, approved by {approver} on {at}",
            requester=mention(a.requester_id),
            approver=mention(a.decided_by or "?"),
            at=decided,
        )
    return _(
        "• Placed from quote {quote}: asked by {requester}, approved by {approver} on {at}",
        quote=escape(a.target_id),
        requester=mention(a.requester_id),
        approver=mention(a.decided_by or "?"),
        at=decided,
    )


def _against(t: Timeline, due: datetime | None, on_time: bool | None) -> str:
    if due is None or t.completion_date is None or on_time is None:
        return ""
    if on_time:
        return _("on time")
    return _("{span} late", span=span(t.completion_date - due))


def timeline_blocks(
    t: Timeline,
    *,
    now: datetime,
    approvals: Sequence[Approval] = (),
    tz: tzinfo | None = None,
    channel: bool = False,
) -> list[Block]:
    """One order's timeline: its states with when and how long, errors, milestones, approvals, dates."""
    name = order_name(t.label, t.reference)
    blocks: list[Block] = [header(_("History of {order}", order=t.label or t.reference))]
    blocks.append(context(_("{name} · first seen {at}", name=name, at=_at(t.first_seen, tz, channel))))
    states: list[str] = []
    for stint in t.stints:
        if stint.end is None:
            states.append(
                _(
                    "• *{state}* since {start} ({span} so far)",
                    state=state_text(stint.state),
                    start=_at(stint.start, tz, channel),
                    span=span(stint.duration(now)),
                )
            )
        elif stint.end == stint.start and stint is t.stints[-1]:
            states.append(
                _("• *{state}* on {start}", state=state_text(stint.state), start=_at(stint.start, tz, channel))
            )
        else:
            states.append(
                _(
                    "• *{state}* from {start}: {span}",
                    state=state_text(stint.state),
                    start=_at(stint.start, tz, channel),
                    span=span(stint.duration(now)),
                )
            )
    blocks.append(section(_("*States*")))
    blocks += bullet_sections(states[-_MAX_LINES:], max_blocks=4)
    if t.errors:
        blocks.append(section(_("*Error messages*")))
        lines = [_error_line(e, now, tz, channel) for e in t.errors]
        blocks += bullet_sections(lines[:_MAX_LINES], max_blocks=4)
    if t.points:
        blocks.append(section(_("*Milestones and alerts*")))
        lines = [
            (":triangular_flag_on_post: " if p.kind == "milestone" else ":rotating_light: ")
            + f"{escape(p.text or '')} — {_at(p.at, tz, channel)}"
            for p in t.points
        ]
        blocks += bullet_sections(lines[:_MAX_LINES], max_blocks=3)
    if approvals:
        blocks.append(section(_("*Approvals*")))
        blocks += bullet_sections([_approval_line(a, tz, channel) for a in approvals], max_blocks=2)
    dates: list[str] = []
    if t.order_date:
        dates.append(_("*Ordered:* {at}", at=_at(t.order_date, tz, channel)))
    for due, on_time, text in (
        (t.requested_date, t.on_time_requested, _("*Requested:* {at}")),
        (t.first_expected_date, t.on_time_expected, _("*First expected:* {at}")),
    ):
        if due is not None:
            against = _against(t, due, on_time)
            dates.append(text.format(at=day(due, tz)) + (f" {against}" if against else ""))
    if t.expected_date and t.expected_date != t.first_expected_date:
        dates.append(_("*Expected now:* {at}", at=day(t.expected_date, tz)))
    if t.completion_date:
        dates.append(_("*Completed:* {at}", at=_at(t.completion_date, tz, channel)))
    if t.lead_time is not None:
        dates.append(_("*Lead time:* {span}", span=span(t.lead_time)))
    if dates:
        blocks.append(divider())
        blocks.append(section(fields=dates))
    if not t.seen_from_start:
        blocks.append(context(_("First seen mid-way: its time in earlier states is not counted.")))
    return blocks


def period_text(report: Report, tz: tzinfo | None) -> str:
    """`1 Nov 2026 – 30 Nov 2026`: the period's first and last day, in the reader's zone."""
    last = report.period.end - timedelta(microseconds=1)
    return f"{day(report.period.start, tz)} – {day(last, tz)}"


def _rate(hits: tuple[int, int]) -> str:
    on, of = hits
    if not of:
        return _("no date to compare")
    return _("{on} of {of} ({percent} %)", on=on, of=of, percent=round(100 * on / of))


def _state_times(report: Report) -> list[tuple[OrderState, timedelta, timedelta]]:
    """Each state's time in the period: in all, and per order in scope; the longest first."""
    ranked = sorted(report.time_in_state.items(), key=lambda kv: kv[1], reverse=True)
    return [(state, d, d / max(report.orders, 1)) for state, d in ranked]


def report_blocks(
    report: Report, *, tz: tzinfo | None = None, channel: bool = False, title: str | None = None
) -> list[Block]:
    """A period's report: what it counts, then the figures, the costliest error reasons, the late open orders."""
    what = _("{backend} orders", backend=report.backend) if report.backend else _("all backends")
    heading = title or _("Delivery report · {period}", period=period_text(report, tz))
    blocks: list[Block] = [header(heading)]
    if report.empty:
        blocks.append(section(_("No watched order in this period ({what}).", what=what)))
        return blocks
    blocks.append(
        context(
            n_(
                "{n} watched order ({what}); figures count only what the bot saw: an order first seen mid-way "
                "counts from then ({midway} of them).",
                "{n} watched orders ({what}); figures count only what the bot saw: an order first seen mid-way "
                "counts from then ({midway} of them).",
                report.orders,
                what=what,
                midway=report.seen_midway,
            )
        )
    )
    ended = [
        _("*Ordered:* {n}", n=report.ordered),
        _("*Completed:* {n}", n=report.completed),
        _("*Cancelled:* {n}", n=report.cancelled),
        _("*Rejected:* {n}", n=report.rejected),
    ]
    if report.failed:
        ended.append(_("*Failed:* {n}", n=report.failed))
    if report.lead_median is not None and report.lead_p90 is not None:
        ended.append(
            _(
                "*Lead time:* median {median}, 90 % within {p90} ({n} completed)",
                median=_days(report.lead_median),
                p90=_days(report.lead_p90),
                n=report.lead_count,
            )
        )
    ended.append(_("*On time vs requested date:* {rate}", rate=_rate(report.on_time_requested)))
    ended.append(_("*On time vs first expected date:* {rate}", rate=_rate(report.on_time_expected)))
    blocks.append(section(fields=ended))
    if report.time_in_state:
        lines = [
            _("• {state}: {mean} per order, {total} in all", state=state_text(state), mean=_days(mean), total=_days(d))
            for state, d, mean in _state_times(report)
        ]
        blocks.append(section(_("*Time in each state* (during the period)") + "\n" + "\n".join(lines)))
    if report.error_reasons:
        lines = [
            _(
                "• {text} ({who}): {n} × — {span}",
                text=escape(r.text or r.code or _("(no text)")),
                who=r.reason or "?",
                n=r.count,
                span=span(r.total),
            )
            for r in report.error_reasons[:5]
        ]
        blocks.append(section(_("*Error reasons that cost most time*") + "\n" + "\n".join(lines)))
    if report.late_open:
        lines = [
            _(
                "• {name}: {span} past its {which} date ({at})",
                name=escape(late.label or late.reference) + f" `{late.reference}`",
                span=span(late.late_by),
                which=_("expected") if late.which == "expected" else _("requested"),
                at=day(late.date, tz),
            )
            for late in report.late_open[:_LATE_SHOWN]
        ]
        more = len(report.late_open) - _LATE_SHOWN
        if more > 0:
            lines.append(n_("and {n} more (see the CSV)", "and {n} more (see the CSV)", more))
        blocks.append(section(_("*Still open past their dates*") + "\n" + "\n".join(lines)))
    return blocks


def _unit(longest: timedelta) -> tuple[float, str]:
    """Seconds per unit and the unit's name, for durations up to `longest` (days, else hours, minutes, seconds)."""
    if longest >= timedelta(days=1):
        return 86400.0, _("days")
    if longest >= timedelta(hours=1):
        return 3600.0, _("hours")
    if longest >= timedelta(minutes=1):
        return 60.0, _("minutes")
    return 1.0, _("seconds")


def chart_data(report: Report, *, tz: tzinfo | None = None) -> ChartData:
    """The chart's figures and words, in the language spoken; durations in the unit their size calls for."""
    leads = list(report.lead_times)
    lead_scale, lead_unit = _unit(max(leads, default=timedelta()))
    means = [(state, mean) for state, _total, mean in _state_times(report)]
    state_scale, state_unit = _unit(max((d for _s, d in means), default=timedelta()))
    return ChartData(
        title=_("Delivery report · {period}", period=period_text(report, tz)),
        subtitle=_("{backend} · watched orders only", backend=report.backend or _("all backends")),
        counts=[
            (_("ordered"), report.ordered),
            (_("completed"), report.completed),
            (_("cancelled"), report.cancelled),
            (_("rejected"), report.rejected),
        ],
        lead_times_days=[d.total_seconds() / lead_scale for d in leads],
        time_in_state=[(label(s), d.total_seconds() / state_scale) for s, d in means if s is not OrderState.unknown],
        error_costs=[((r.text or r.code or "?")[:40], r.total.total_seconds() / 3600) for r in report.error_reasons],
        lead_title=_("Lead time, order to completion"),
        lead_axis=lead_unit,
        orders_axis=_("orders"),
        median_label=_("median {days} {unit}", days="{days}", unit=lead_unit),
        p90_label=_("90th percentile {days} {unit}", days="{days}", unit=lead_unit),
        state_title=_("Time in each state, per order"),
        state_axis=state_unit,
        errors_title=_("Errors that cost most"),
        errors_axis=_("hours"),
        empty_text=_("No watched order in this period."),
    )
