"""An order's timeline and a period's report, computed from kept history (`bot.history.entries`).

Pure: no I/O, no clock (`now` is handed in), no database, no Slack, no words to translate. Every time is an aware
UTC datetime; a period is `[start, end)`.

Timeline of one order (`timeline`)
    Its entries may come in any order, duplicated, and overlapping: two channels watching the same order keep their
    own reads, so the same state change or the same error can be seen twice at different times. They are merged
    and nothing is counted twice: the earliest read wins.

    * **Watched life**: `[first_seen, ended_at]` for an ended order, `[first_seen, now]` for one still open
      (`Timeline.life_end`). `first_seen` is the earliest read kept, whatever Orange's dates say.
    * **Stints**: the states the order went through, consecutive. The first starts at `first_seen`, in the first
      state read (`unknown` when no read said one); each ends where the next starts. A new state starts at its
      entry's `happened_at` when Orange's data gives one, else at `seen_at`, clamped between the previous read that
      said a state and the read itself, so time never runs backwards. A stint a later read replaces at the same
      instant is dropped (zero-length). The last stint runs on (`end=None`) unless its state is final
      (`integrations.states.is_final`): then the order ended there (`final_state`, `ended_at`) and that stint is
      zero-length. The stints' durations add up exactly to the watched life.
    * **Errors**: an error is known by (item, reason, text, Orange's timestamp). Its reads are taken in time order:
      an open starts a span (opened at Orange's timestamp, else when read; duplicates are other reads of it), a
      close ends it when read. A close with nothing open is another read of a close already counted, unless it is
      the error's first read: then it was opened before the watch and counts from its timestamp, else `first_seen`.
      An error Orange never closed has `still_open=True` and `closed_at` None while the order runs, the order's end
      once it ended.
    * **Points** (milestones, jeopardy alerts): one per (kind, item, text, Orange's date), at that date, else when
      first read.
    * **Dates**: `label`, `requested_date`, `expected_date` are the latest read; `order_date` and
      `first_expected_date` the first read (earliest `seen_at`; equal times take the smallest value, latest ones
      the largest, so the result never depends on the order of the entries).
    * **Completion**: `completed` and `partial` count as completed (`partial`: Orange finished the order with part
      of it delivered; it is a final state with something delivered). `completion_date` is Orange's completion
      date, else when the bot saw it complete (`ended_at`); None for any other order.
    * **Lead time**: `order_date` (else `first_seen`) to `completion_date`, completed orders only, never negative.
    * **On time**: a completed order is on time against a date when it completed on or before that date's UTC day
      (Orange gives them as days): `on_time_requested` against `requested_date`, `on_time_expected` against
      `first_expected_date`, the first one Orange gave. None when the order did not complete or the date is unknown.
    * **Seen from start**: the first state read was one an order starts in (draft, acknowledged, accepted,
      pending). An order first seen mid-way counts from when it was seen, in every figure.

Report of a period (`report`), over the orders the workspace watched
    * **orders**: in scope, i.e. the watched life overlaps the period (`first_seen < end` and
      `life_end >= start`). Every other figure is drawn from these orders only (`lines`).
    * **ordered**: ordered in the period: `order_date` (else `first_seen`), moved into the watched life (an order
      watched after it was placed counts from when it was seen, one that ended before its order date at its end).
    * **completed / cancelled / rejected / failed**: ended in the period in that final state; `partial` counts
      as completed and is also counted on its own (`partial`).
    * **lead_median / lead_p90**: the lead times of the orders completed in the period (`lead_count` of them),
      by nearest rank: the value at rank ceil(p/100 × n) of the sorted lead times (the median is the lower one).
    * **on_time_requested / on_time_expected**: (on time, of) over the orders completed in the period that have
      that date.
    * **time_in_state**: each stint clipped to the period, summed per state (states with no time left out).
    * **error_reasons**: per (text, reason, code): how many errors cost time in the period and that time, each
      span clipped to the period and to the order's watched life; most costly first.
    * **late_open**: the orders still open at the end of the period (or now, if sooner), first seen by then, whose
      date's UTC day is over: against the expected date when it is over, else the requested date; late by that
      instant minus the date; most overdue first, all of them.
    * **seen_midway**: in-scope orders not seen from the start.
    Counts that happen at an instant (ordered, completed…, lead times, on-time, times in state, error time) add up
    over adjacent periods; `orders`, `seen_midway` and the error counts do not (an order can span both).

CSV (RFC 4180, CRLF, header first; times ISO-8601 UTC with `Z`, durations in hours or days with three decimals,
booleans `true`/`false`, empty when unknown)
    `timeline_csv`: `reference, kind, state, item_id, text, reason, code, start, end, hours, still_open`, one row
    per stint (`kind=state`), error (`error`) and point (`milestone`, `jeopardy`); points have no end nor hours.
    `report_csv`: one row per order in scope: `reference, backend, order_id, label, first_seen, last_seen,
    seen_from_start, order_date, requested_date, first_expected_date, expected_date, completion_date, final_state,
    ended_at, ordered_in_period, ended_in_period` (the final state when it ended in the period), `lead_time_days,
    on_time_requested, on_time_expected, error_hours` (clipped to the period), then `hours_<state>` for every
    `OrderState` in its order (clipped to the period).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any, Literal

from bot.history.entries import Entry
from integrations.states import OrderState, is_final

__all__ = [
    "COMPLETED_STATES",
    "REPORT_CSV_COLUMNS",
    "START_STATES",
    "TIMELINE_CSV_COLUMNS",
    "ErrorSpan",
    "Late",
    "Period",
    "Point",
    "PointKind",
    "ReasonCost",
    "Report",
    "Stint",
    "Timeline",
    "report",
    "report_csv",
    "timeline",
    "timeline_csv",
]

PointKind = Literal["milestone", "jeopardy"]
LateDate = Literal["requested", "expected"]

COMPLETED_STATES: frozenset[OrderState] = frozenset({OrderState.completed, OrderState.partial})
"""Final states that count as completed (lead time, on-time, `Report.completed`)."""
START_STATES: frozenset[OrderState] = frozenset(
    {OrderState.draft, OrderState.acknowledged, OrderState.accepted, OrderState.pending}
)
"""States an order starts in: an order first read in another one was seen mid-way."""

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Period:
    """`[start, end)`, aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's bounds must be aware datetimes")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class Stint:
    """A state the order was in, from `start` to `end` (None: still in it)."""

    state: OrderState
    start: datetime
    end: datetime | None

    def duration(self, now: datetime) -> timedelta:
        return (self.end if self.end is not None else max(now, self.start)) - self.start


@dataclass(frozen=True, slots=True)
class ErrorSpan:
    """An error message from when it was opened to when it was closed."""

    item_id: str | None
    text: str | None
    reason: str | None
    code: str | None
    opened_at: datetime
    closed_at: datetime | None
    """None while open on a running order; the order's end when it ended with the error open (`still_open`)."""
    still_open: bool = False
    """Orange never closed it (as far as the bot saw)."""

    def duration(self, now: datetime) -> timedelta:
        return (self.closed_at if self.closed_at is not None else max(now, self.opened_at)) - self.opened_at


@dataclass(frozen=True, slots=True)
class Point:
    """A milestone reached or a jeopardy alert raised."""

    kind: PointKind
    item_id: str | None
    text: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Timeline:
    """One order's kept history, merged (see the module docstring for every definition)."""

    backend: str
    order_id: str
    label: str | None
    first_seen: datetime
    last_seen: datetime
    stints: tuple[Stint, ...]
    errors: tuple[ErrorSpan, ...]
    points: tuple[Point, ...]
    order_date: datetime | None
    requested_date: datetime | None
    first_expected_date: datetime | None
    expected_date: datetime | None
    completion_date: datetime | None
    final_state: OrderState | None
    ended_at: datetime | None
    seen_from_start: bool

    @property
    def reference(self) -> str:
        return f"{self.backend}:{self.order_id}"

    @property
    def completed(self) -> bool:
        return self.final_state in COMPLETED_STATES

    def life_end(self, now: datetime) -> datetime:
        """Where the watched life ends: `ended_at`, else `now` (never before the last stint's start)."""
        if self.ended_at is not None:
            return self.ended_at
        return max(now, self.stints[-1].start)

    def ordered_at(self, now: datetime) -> datetime:
        """`order_date` (else `first_seen`), moved into the watched life."""
        at = self.order_date or self.first_seen
        return min(max(at, self.first_seen), self.life_end(now))

    @property
    def lead_time(self) -> timedelta | None:
        if self.completion_date is None:
            return None
        return max(_ZERO, self.completion_date - (self.order_date or self.first_seen))

    @property
    def on_time_requested(self) -> bool | None:
        return _on_time(self.completion_date, self.requested_date)

    @property
    def on_time_expected(self) -> bool | None:
        return _on_time(self.completion_date, self.first_expected_date)


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def _on_time(done: datetime | None, due: datetime | None) -> bool | None:
    if done is None or due is None:
        return None
    return _day(done) <= _day(due)


def _entry_key(e: Entry) -> tuple[datetime, str, datetime]:
    return (e.seen_at, e.state.value if e.state is not None else "", e.happened_at or e.seen_at)


_ErrorKey = tuple[str | None, str | None, str | None, datetime | None]


def timeline(entries: Iterable[Entry], *, now: datetime) -> Timeline:
    """The timeline of ONE order from its entries, in any order (ValueError if empty or of several orders).

    The timeline does not depend on `now` (an open stint has `end=None`); durations take it (`Stint.duration`).
    """
    rows = sorted(entries, key=_entry_key)
    if not rows:
        raise ValueError("a timeline needs at least one entry")
    head = rows[0]
    backend, order_id = head.backend, head.order_id
    first_seen, last_seen = head.seen_at, rows[-1].seen_at

    starts: list[tuple[OrderState, datetime]] = []
    last_read = first_seen
    label: str | None = None
    order_date: datetime | None = None
    requested: datetime | None = None
    first_expected: datetime | None = None
    expected: datetime | None = None
    completion: datetime | None = None
    label_t = order_t = requested_t = first_expected_t = expected_t = completion_t = first_seen
    opens: dict[_ErrorKey, list[tuple[datetime, int, str]]] = {}
    points: dict[tuple[PointKind, str | None, str | None, datetime | None], datetime] = {}

    for e in rows:
        if e.backend != backend or e.order_id != order_id:
            raise ValueError(f"entries of more than one order: {head.reference} and {e.reference}")
        t = e.seen_at
        state = e.state
        if state is not None:
            if not starts:
                starts.append((state, first_seen))
            elif state != starts[-1][0]:
                at = max(last_read, min(e.happened_at or t, t))
                if at == starts[-1][1]:
                    starts.pop()
                    if not starts or starts[-1][0] != state:
                        starts.append((state, at))
                else:
                    starts.append((state, at))
            last_read = t
        # Rows come by seen_at, so t never goes back: the first value read wins for "first", the last for
        # "latest"; at equal times the smallest (first) or largest (latest) value wins, whatever the input order.
        if e.label and (label is None or t > label_t or e.label > label):
            label, label_t = e.label, t
        if e.order_date is not None and (order_date is None or (t == order_t and e.order_date < order_date)):
            order_date, order_t = e.order_date, t
        if e.requested_date is not None and (requested is None or t > requested_t or e.requested_date > requested):
            requested, requested_t = e.requested_date, t
        if e.expected_date is not None:
            if first_expected is None or (t == first_expected_t and e.expected_date < first_expected):
                first_expected, first_expected_t = e.expected_date, t
            if expected is None or t > expected_t or e.expected_date > expected:
                expected, expected_t = e.expected_date, t
        if e.completion_date is not None and (completion is None or t > completion_t or e.completion_date > completion):
            completion, completion_t = e.completion_date, t
        for m in e.marks:
            if m.kind == "error_opened" or m.kind == "error_closed":
                opens.setdefault((m.item_id, m.reason, m.text, m.at), []).append(
                    (t, 0 if m.kind == "error_opened" else 1, m.code or "")
                )
            else:
                point_key = (m.kind, m.item_id, m.text, m.at)
                when = m.at or t
                known = points.get(point_key)
                if known is None or when < known:
                    points[point_key] = when

    if not starts:
        starts.append((OrderState.unknown, first_seen))
    stints = tuple(
        Stint(state, start, starts[i + 1][1] if i + 1 < len(starts) else (start if is_final(state) else None))
        for i, (state, start) in enumerate(starts)
    )
    last = stints[-1]
    final_state = last.state if last.end is not None else None
    ended_at = last.start if final_state is not None else None

    errors: list[ErrorSpan] = []
    for (item_id, reason, text, stamp), events in opens.items():
        events.sort()
        opened: datetime | None = None
        code = ""
        spans = 0
        for t, kind, event_code in events:
            if kind == 0:
                if opened is None:
                    opened, code = (t if stamp is None else min(stamp, t)), event_code
            elif opened is not None:
                errors.append(ErrorSpan(item_id, text, reason, code or None, opened, max(t, opened)))
                opened, spans = None, spans + 1
            elif spans == 0:
                since = first_seen if stamp is None else min(stamp, t)
                errors.append(ErrorSpan(item_id, text, reason, event_code or None, since, t))
                spans = 1
        if opened is not None:
            closed = None if ended_at is None else max(ended_at, opened)
            errors.append(ErrorSpan(item_id, text, reason, code or None, opened, closed, still_open=True))
    errors.sort(key=_error_sort_key)

    return Timeline(
        backend=backend,
        order_id=order_id,
        label=label,
        first_seen=first_seen,
        last_seen=last_seen,
        stints=stints,
        errors=tuple(errors),
        points=tuple(
            sorted(
                (Point(kind, item_id, text, at) for (kind, item_id, text, _), at in points.items()),
                key=lambda p: (p.at, p.kind, p.item_id or "", p.text or ""),
            )
        ),
        order_date=order_date,
        requested_date=requested,
        first_expected_date=first_expected,
        expected_date=expected,
        completion_date=(completion or ended_at) if final_state in COMPLETED_STATES else None,
        final_state=final_state,
        ended_at=ended_at,
        seen_from_start=stints[0].state in START_STATES,
    )


def _error_sort_key(s: ErrorSpan) -> tuple[datetime, str, str, str, str, bool, datetime]:
    return (
        s.opened_at,
        s.item_id or "",
        s.text or "",
        s.reason or "",
        s.code or "",
        s.closed_at is None,
        s.closed_at or s.opened_at,
    )


# --- report ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonCost:
    """One error reason and the time its errors cost in the period."""

    text: str | None
    reason: str | None
    code: str | None
    count: int
    total: timedelta


@dataclass(frozen=True, slots=True)
class Late:
    """An order still open past one of its dates."""

    reference: str
    label: str | None
    which: LateDate
    date: datetime
    late_by: timedelta


@dataclass(frozen=True, slots=True)
class Report:
    """A period's figures over the orders watched in it (see the module docstring for every definition)."""

    period: Period
    now: datetime
    backend: str | None
    orders: int
    ordered: int
    completed: int
    cancelled: int
    rejected: int
    failed: int
    partial: int
    """Of `completed`, how many ended `partial`."""
    lead_median: timedelta | None
    lead_p90: timedelta | None
    lead_count: int
    on_time_requested: tuple[int, int]
    on_time_expected: tuple[int, int]
    time_in_state: dict[OrderState, timedelta]
    error_reasons: list[ReasonCost]
    late_open: list[Late]
    seen_midway: int
    lines: list[Timeline]
    """The orders in scope, when kept (`report(..., keep_lines=True)`, the default)."""
    lead_times: tuple[timedelta, ...] = ()
    """The lead times behind `lead_median` and `lead_p90`, sorted."""
    csv: str | None = None
    """`report_csv` of the orders in scope, when written as they were read (`report(..., write_csv=True)`)."""

    @property
    def empty(self) -> bool:
        return self.orders == 0


def _clip(start: datetime, end: datetime, lo: datetime, hi: datetime) -> timedelta:
    return max(_ZERO, min(end, hi) - max(start, lo))


def _window(t: Timeline, period: Period, now: datetime) -> tuple[datetime, datetime, datetime]:
    """(lo, hi, life_end): the part of the period inside the order's watched life."""
    life_end = t.life_end(now)
    return max(period.start, t.first_seen), min(period.end, life_end), life_end


def _in_scope(t: Timeline, period: Period, now: datetime) -> bool:
    return t.first_seen < period.end and t.life_end(now) >= period.start


def _state_times(t: Timeline, lo: datetime, hi: datetime, life_end: datetime) -> dict[OrderState, timedelta]:
    times: dict[OrderState, timedelta] = {}
    for s in t.stints:
        d = _clip(s.start, s.end if s.end is not None else life_end, lo, hi)
        if d:
            times[s.state] = times.get(s.state, _ZERO) + d
    return times


def _error_times(t: Timeline, lo: datetime, hi: datetime, life_end: datetime) -> list[tuple[ErrorSpan, timedelta]]:
    found = []
    for s in t.errors:
        d = _clip(s.opened_at, s.closed_at if s.closed_at is not None else life_end, lo, hi)
        if d:
            found.append((s, d))
    return found


def _nearest_rank(ordered: list[timedelta], p: int) -> timedelta | None:
    if not ordered:
        return None
    return ordered[max(1, -(-p * len(ordered) // 100)) - 1]


_order_of = attrgetter("backend", "order_id")


def report(
    entries: Iterable[Entry],
    *,
    period: Period,
    now: datetime,
    backend: str | None = None,
    keep_lines: bool = True,
    write_csv: bool = False,
) -> Report:
    """A period's report from entries sorted by (backend, order_id), streamed one order at a time.

    `keep_lines`: keep every order's timeline (`Report.lines`); `write_csv`: write each order's CSV row as it is
    read (`Report.csv`), so that a large report need not keep the timelines for its CSV (one order in memory at a
    time, the CSV text growing).
    ValueError when an order's entries come back after another order's (the input was not grouped).
    """
    finished: set[tuple[str, str]] = set()
    orders = ordered = midway = 0
    ends = {s: 0 for s in (OrderState.completed, OrderState.partial, OrderState.cancelled)}
    ends |= {OrderState.rejected: 0, OrderState.failed: 0}
    leads: list[timedelta] = []
    requested = [0, 0]
    expected = [0, 0]
    times: dict[OrderState, timedelta] = {}
    reasons: dict[tuple[str | None, str | None, str | None], tuple[int, timedelta]] = {}
    late: list[Late] = []
    lines: list[Timeline] = []
    out, writer = _csv_writer() if write_csv else (None, None)
    as_of = min(now, period.end)
    as_of_day = _day(as_of)

    for key, group in groupby(entries, key=_order_of):
        if key in finished:
            raise ValueError(f"entries not grouped by order: {key[0]}:{key[1]} comes back after another order")
        finished.add(key)
        if backend is not None and key[0] != backend:
            continue
        t = timeline(group, now=now)
        if not _in_scope(t, period, now):
            continue
        orders += 1
        if keep_lines:
            lines.append(t)
        if writer is not None:
            writer.writerow(_csv_row(t, period, now))
        if not t.seen_from_start:
            midway += 1
        lo, hi, life_end = _window(t, period, now)
        if t.ordered_at(now) in period:
            ordered += 1
        if t.final_state is not None and t.ended_at is not None and t.ended_at in period:
            ends[t.final_state] += 1
            if t.final_state in COMPLETED_STATES:
                if (lead := t.lead_time) is not None:
                    leads.append(lead)
                for tally, flag in ((requested, t.on_time_requested), (expected, t.on_time_expected)):
                    if flag is not None:
                        tally[0] += flag
                        tally[1] += 1
        for state, d in _state_times(t, lo, hi, life_end).items():
            times[state] = times.get(state, _ZERO) + d
        for span, d in _error_times(t, lo, hi, life_end):
            reason_key = (span.text, span.reason, span.code)
            count, total = reasons.get(reason_key, (0, _ZERO))
            reasons[reason_key] = (count + 1, total + d)
        if (t.ended_at is None or t.ended_at > as_of) and t.first_seen <= as_of:
            if t.expected_date is not None and _day(t.expected_date) < as_of_day:
                late.append(Late(t.reference, t.label, "expected", t.expected_date, as_of - t.expected_date))
            elif t.requested_date is not None and _day(t.requested_date) < as_of_day:
                late.append(Late(t.reference, t.label, "requested", t.requested_date, as_of - t.requested_date))

    leads.sort()
    costs = [ReasonCost(text, reason, code, count, total) for (text, reason, code), (count, total) in reasons.items()]
    costs.sort(key=lambda c: (-c.total, -c.count, c.text or "", c.reason or "", c.code or ""))
    late.sort(key=lambda x: (-x.late_by, x.reference))
    return Report(
        period=period,
        now=now,
        backend=backend,
        orders=orders,
        ordered=ordered,
        completed=ends[OrderState.completed] + ends[OrderState.partial],
        cancelled=ends[OrderState.cancelled],
        rejected=ends[OrderState.rejected],
        failed=ends[OrderState.failed],
        partial=ends[OrderState.partial],
        lead_median=_nearest_rank(leads, 50),
        lead_p90=_nearest_rank(leads, 90),
        lead_count=len(leads),
        on_time_requested=(requested[0], requested[1]),
        on_time_expected=(expected[0], expected[1]),
        time_in_state={s: times[s] for s in OrderState if s in times},
        error_reasons=costs,
        late_open=late,
        seen_midway=midway,
        lines=lines,
        lead_times=tuple(leads),
        csv=out.getvalue() if out is not None else None,
    )


# --- CSV ---------------------------------------------------------------------------------------

TIMELINE_CSV_COLUMNS: tuple[str, ...] = (
    "reference",
    "kind",
    "state",
    "item_id",
    "text",
    "reason",
    "code",
    "start",
    "end",
    "hours",
    "still_open",
)
REPORT_CSV_COLUMNS: tuple[str, ...] = (
    "reference",
    "backend",
    "order_id",
    "label",
    "first_seen",
    "last_seen",
    "seen_from_start",
    "order_date",
    "requested_date",
    "first_expected_date",
    "expected_date",
    "completion_date",
    "final_state",
    "ended_at",
    "ordered_in_period",
    "ended_in_period",
    "lead_time_days",
    "on_time_requested",
    "on_time_expected",
    "error_hours",
    *(f"hours_{s.value}" for s in OrderState),
)


def _iso(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _hours(d: timedelta | None) -> str:
    return "" if d is None else f"{d.total_seconds() / 3600:.3f}"


def _days(d: timedelta | None) -> str:
    return "" if d is None else f"{d.total_seconds() / 86400:.3f}"


def _flag(b: bool | None) -> str:
    return "" if b is None else ("true" if b else "false")


def timeline_csv(t: Timeline, *, now: datetime) -> str:
    """The timeline as CSV: one row per stint, error and point (columns: `TIMELINE_CSV_COLUMNS`)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(TIMELINE_CSV_COLUMNS)
    ref = t.reference
    for s in t.stints:
        w.writerow(
            (ref, "state", s.state.value, "", "", "", "", _iso(s.start), _iso(s.end), _hours(s.duration(now)), "")
        )
    for e in t.errors:
        w.writerow(
            (
                ref,
                "error",
                "",
                e.item_id or "",
                e.text or "",
                e.reason or "",
                e.code or "",
                _iso(e.opened_at),
                _iso(e.closed_at),
                _hours(e.duration(now)),
                _flag(e.still_open),
            )
        )
    for p in t.points:
        w.writerow((ref, p.kind, "", p.item_id or "", p.text or "", "", "", _iso(p.at), "", "", ""))
    return out.getvalue()


def _csv_writer() -> tuple[io.StringIO, Any]:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_CSV_COLUMNS)
    return out, writer


def _csv_row(t: Timeline, period: Period, now: datetime) -> tuple[str, ...]:
    lo, hi, life_end = _window(t, period, now)
    states = _state_times(t, lo, hi, life_end)
    error_time = sum((d for _, d in _error_times(t, lo, hi, life_end)), _ZERO)
    ended_here = t.final_state is not None and t.ended_at is not None and t.ended_at in period
    return (
        t.reference,
        t.backend,
        t.order_id,
        t.label or "",
        _iso(t.first_seen),
        _iso(t.last_seen),
        _flag(t.seen_from_start),
        _iso(t.order_date),
        _iso(t.requested_date),
        _iso(t.first_expected_date),
        _iso(t.expected_date),
        _iso(t.completion_date),
        t.final_state.value if t.final_state is not None else "",
        _iso(t.ended_at),
        _flag(t.ordered_at(now) in period),
        t.final_state.value if ended_here and t.final_state is not None else "",
        _days(t.lead_time),
        _flag(t.on_time_requested),
        _flag(t.on_time_expected),
        _hours(error_time),
        *(_hours(states.get(s, _ZERO)) for s in OrderState),
    )


def report_csv(r: Report) -> str:
    """The report's orders as CSV, one row each with every figure's inputs (columns: `REPORT_CSV_COLUMNS`): the
    text written as the orders were read when there is one, else drawn from the kept timelines."""
    if r.csv is not None:
        return r.csv
    out, writer = _csv_writer()
    for t in r.lines:
        writer.writerow(_csv_row(t, r.period, r.now))
    return out.getvalue()
