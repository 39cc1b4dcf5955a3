"""Timelines and reports computed from kept history: durations add up, nothing is counted twice, periods add up."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.history.compute import (
    REPORT_CSV_COLUMNS,
    TIMELINE_CSV_COLUMNS,
    ErrorSpan,
    Late,
    Period,
    Point,
    ReasonCost,
    Report,
    Stint,
    Timeline,
    report,
    report_csv,
    timeline,
    timeline_csv,
)
from bot.history.entries import Entry, EntryKind, Mark
from integrations.states import OrderState, is_final

S = OrderState
ORDER = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
REF = f"wholesale:{ORDER}"
ITEM = "O40140084005"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
OCTOBER = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def day(d: int) -> datetime:
    return datetime(2026, 11, d, tzinfo=UTC)


def entry(
    seen: datetime,
    state: OrderState | None = None,
    *,
    kind: EntryKind = "changes",
    order_id: str = ORDER,
    backend: str = "wholesale",
    **fields: Any,
) -> Entry:
    return Entry(backend=backend, order_id=order_id, seen_at=seen, kind=kind, state=state, **fields)


ERROR = {"item_id": ITEM, "text": "Rendez-vous à reprendre", "reason": "ORT", "at": h(47)}


def wholesale_lifecycle(channel_lag: float = 0.0, *, first_kind: EntryKind = "seen") -> list[Entry]:
    """acknowledged → inProgress → held (an error opened) → inProgress (closed, a milestone) → completed."""
    lag = channel_lag
    dates = {"order_date": h(-0.1), "requested_date": day(5), "label": "Lyon Part-Dieu"}
    return [
        entry(h(lag), S.acknowledged, kind=first_kind, expected_date=day(18), **dates),
        entry(h(24 + lag), S.in_progress, **dates, expected_date=day(18)),
        entry(h(48 + lag), S.held, marks=(Mark("error_opened", code="E12", **ERROR),), **dates),
        entry(
            h(72 + lag),
            S.in_progress,
            marks=(Mark("error_closed", code="E12", **ERROR), Mark("milestone", ITEM, "FTTH raccordée", at=h(70))),
            **dates,
        ),
        entry(h(96 + lag), S.in_progress, kind="dates", expected_date=day(19), **dates),
        entry(h(120 + lag), S.completed, happened_at=h(118), completion_date=h(118), **dates),
    ]


# --- examples ----------------------------------------------------------------------------------


def test_a_wholesale_order_through_its_lifecycle_seen_by_two_channels() -> None:
    # A second channel watched the same order, polling an hour later: its reads merge, the earliest wins.
    entries = wholesale_lifecycle() + wholesale_lifecycle(channel_lag=1)[1:]
    t = timeline(entries, now=h(500))

    assert t.reference == REF
    assert t.label == "Lyon Part-Dieu"
    assert (t.first_seen, t.last_seen) == (h(0), h(121))
    assert t.stints == (
        Stint(S.acknowledged, h(0), h(24)),
        Stint(S.in_progress, h(24), h(48)),
        Stint(S.held, h(48), h(72)),
        Stint(S.in_progress, h(72), h(118)),
        Stint(S.completed, h(118), h(118)),
    )
    assert t.errors == (ErrorSpan(ITEM, "Rendez-vous à reprendre", "ORT", "E12", h(47), h(72)),)
    assert t.errors[0].duration(h(500)) == timedelta(hours=25)
    assert t.points == (Point("milestone", ITEM, "FTTH raccordée", h(70)),)
    assert (t.final_state, t.ended_at, t.completion_date) == (S.completed, h(118), h(118))
    assert (t.first_expected_date, t.expected_date, t.requested_date) == (day(18), day(19), day(5))
    assert t.seen_from_start
    assert t.lead_time == timedelta(hours=118.1)
    assert t.on_time_requested is False  # completed 7 Nov, requested for 5 Nov
    assert t.on_time_expected is True  # Orange first said 18 Nov
    assert sum((s.duration(h(500)) for s in t.stints), timedelta()) == t.ended_at - t.first_seen

    r = report(sorted(entries, key=lambda e: (e.backend, e.order_id)), period=NOVEMBER, now=h(500))
    assert (r.orders, r.ordered, r.completed, r.cancelled, r.rejected, r.failed) == (1, 1, 1, 0, 0, 0)
    assert (r.lead_median, r.lead_p90, r.lead_count) == (timedelta(hours=118.1), timedelta(hours=118.1), 1)
    assert (r.on_time_requested, r.on_time_expected) == ((0, 1), (1, 1))
    assert r.time_in_state == {
        S.acknowledged: timedelta(hours=24),
        S.in_progress: timedelta(hours=70),
        S.held: timedelta(hours=24),
    }
    assert r.error_reasons == [ReasonCost("Rendez-vous à reprendre", "ORT", "E12", 1, timedelta(hours=25))]
    assert (r.late_open, r.seen_midway, r.lines, r.empty) == ([], 0, [t], False)

    rows = list(csv.reader(io.StringIO(timeline_csv(t, now=h(500)))))
    assert rows[0] == list(TIMELINE_CSV_COLUMNS)
    assert [row[1] for row in rows[1:]] == ["state"] * 5 + ["error", "milestone"]
    assert rows[3][2:] == ["held", "", "", "", "", "2026-11-04T09:00:00Z", "2026-11-05T09:00:00Z", "24.000", ""]
    assert rows[6][7:] == ["2026-11-04T08:00:00Z", "2026-11-05T09:00:00Z", "25.000", "false"]

    text = report_csv(r)
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    header, row = csv.DictReader(io.StringIO(text)).fieldnames, next(csv.DictReader(io.StringIO(text)))
    assert header == list(REPORT_CSV_COLUMNS)
    assert row["reference"] == REF and row["final_state"] == row["ended_in_period"] == "completed"
    assert (row["lead_time_days"], row["on_time_requested"], row["on_time_expected"]) == ("4.921", "false", "true")
    assert (row["hours_held"], row["hours_in_progress"], row["error_hours"]) == ("24.000", "70.000", "25.000")
    assert (row["ordered_in_period"], row["completion_date"]) == ("true", "2026-11-07T07:00:00Z")


def test_an_empty_period_has_no_orders_and_no_figures() -> None:
    entries = wholesale_lifecycle()
    r = report(entries, period=OCTOBER, now=h(500))

    assert r.empty and r.orders == 0 and r.lines == []
    assert (r.ordered, r.completed, r.lead_count, r.lead_median, r.lead_p90) == (0, 0, 0, None, None)
    assert (r.on_time_requested, r.time_in_state, r.error_reasons, r.late_open) == ((0, 0), {}, [], [])
    assert report_csv(r) == ",".join(REPORT_CSV_COLUMNS) + "\r\n"
    assert report([], period=NOVEMBER, now=h(500)).empty


def test_an_order_first_seen_mid_way_counts_from_when_it_was_seen() -> None:
    # Placed on 20 October, watched from 2 November already in progress, with an error Orange opened in October.
    old_error = Mark("error_opened", ITEM, "Adresse introuvable", "OWF", at=datetime(2026, 10, 25, tzinfo=UTC))
    entries = [
        entry(h(0), S.in_progress, kind="seen", order_date=datetime(2026, 10, 20, tzinfo=UTC), marks=(old_error,)),
        entry(h(10), S.in_progress, marks=(Mark("error_closed", ITEM, "Adresse introuvable", "OWF", at=old_error.at),)),
        entry(h(20), S.completed),
    ]
    t = timeline(entries, now=h(30))
    assert not t.seen_from_start
    assert t.stints[0] == Stint(S.in_progress, h(0), h(20))
    assert t.errors[0].opened_at == old_error.at  # as Orange dates it
    assert t.lead_time == h(20) - datetime(2026, 10, 20, tzinfo=UTC)  # Orange's order date is known
    assert t.completion_date == h(20)  # no completion date of Orange's: when the bot saw it complete

    r = report(entries, period=NOVEMBER, now=h(30))
    assert (r.orders, r.seen_midway, r.completed) == (1, 1, 1)
    assert r.ordered == 1  # counted from when it was seen
    assert r.time_in_state == {S.in_progress: timedelta(hours=20)}
    assert r.error_reasons[0].total == timedelta(hours=10)  # from first seen, not from Orange's October date
    assert report(entries, period=OCTOBER, now=h(30)).empty


def test_partial_counts_as_completed_and_open_orders_past_their_dates_are_listed_most_overdue_first() -> None:
    entries = [
        entry(h(0), S.acknowledged, order_id="a", completion_date=h(5)),
        entry(h(6), S.partial, order_id="a"),
        entry(h(0), S.in_progress, order_id="b", requested_date=day(3), label="late against requested"),
        entry(h(0), S.in_progress, order_id="c", requested_date=day(2), expected_date=day(4)),
        entry(h(0), S.in_progress, order_id="d", expected_date=day(20)),
        entry(h(1), S.held, order_id="d", marks=(Mark("error_opened", text="x"),)),
    ]
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    r = report(entries, period=NOVEMBER, now=now)
    assert (r.completed, r.partial, r.lead_count) == (1, 1, 1)
    assert r.lines[0].completion_date == h(5)
    assert r.late_open == [
        Late("wholesale:b", "late against requested", "requested", day(3), now - day(3)),
        Late("wholesale:c", None, "expected", day(4), now - day(4)),
    ]
    # The error is still open on a running order: it costs time up to now.
    assert r.lines[-1].errors == (ErrorSpan(None, "x", None, None, h(1), None, still_open=True),)
    assert r.error_reasons == [ReasonCost("x", None, None, 1, now - h(1))]
    # A past period: late as of its end, against the expected date only once that day is over too.
    assert report(entries, period=Period(day(1), day(3)), now=now).late_open == [
        Late("wholesale:c", None, "requested", day(2), timedelta(days=1))
    ]


def test_an_error_read_by_two_channels_is_one_span_from_its_first_open_to_its_first_close() -> None:
    opened, closed = Mark("error_opened", ITEM, "x", "ORT"), Mark("error_closed", ITEM, "x", "ORT")
    channel_a = [entry(h(1), S.held, marks=(opened,)), entry(h(5), S.in_progress, marks=(closed,))]
    channel_b = [entry(h(2), S.held, marks=(opened,)), entry(h(6), S.in_progress, marks=(closed,))]
    reopened = [entry(h(8), S.held, marks=(opened,)), entry(h(9), S.in_progress, marks=(closed,))]
    t = timeline(channel_a + channel_b + reopened, now=h(10))
    assert t.errors == (ErrorSpan(ITEM, "x", "ORT", None, h(1), h(5)), ErrorSpan(ITEM, "x", "ORT", None, h(8), h(9)))
    assert [s.state for s in t.stints] == [S.held, S.in_progress, S.held, S.in_progress]


def test_reads_at_the_same_instant_give_the_same_dates_whichever_comes_first() -> None:
    a = entry(h(1), S.held, label="a", order_date=day(1), requested_date=day(9), expected_date=day(8))
    b = entry(h(1), S.held, label="b", order_date=day(2), requested_date=day(7), expected_date=day(6))
    for t in (timeline([a, b], now=h(2)), timeline([b, a], now=h(2))):
        assert (t.label, t.order_date, t.requested_date) == ("b", day(1), day(9))
        assert (t.first_expected_date, t.expected_date) == (day(6), day(8))


def test_an_error_open_when_the_order_ended_closes_with_it() -> None:
    t = timeline(
        [entry(h(0), S.in_progress, marks=(Mark("error_opened", text="x"),)), entry(h(5), S.cancelled)], now=h(9)
    )
    assert t.errors == (ErrorSpan(None, "x", None, None, h(0), h(5), still_open=True),)
    assert (t.final_state, t.completion_date, t.lead_time, t.on_time_requested) == (S.cancelled, None, None, None)


def test_a_completion_date_before_the_last_read_cannot_run_time_backwards() -> None:
    # Orange dates the completion before the bot last read the order held: the held stint ends at that read.
    t = timeline(
        [entry(h(0), S.held), entry(h(3), S.held, kind="dates"), entry(h(4), S.completed, happened_at=h(1))], now=h(9)
    )
    assert t.stints == (Stint(S.held, h(0), h(3)), Stint(S.completed, h(3), h(3)))


def test_report_by_backend_and_rejecting_entries_not_grouped_by_order() -> None:
    a = entry(h(0), S.acknowledged, order_id="a")
    b = entry(h(0), S.acknowledged, order_id="b", backend="united")
    assert report([a, b], period=NOVEMBER, now=h(1), backend="united").lines[0].reference == "united:b"
    with pytest.raises(ValueError, match="wholesale:a comes back"):
        report([a, b, a], period=NOVEMBER, now=h(1))
    with pytest.raises(ValueError, match="more than one order"):
        timeline([a, b], now=h(1))
    with pytest.raises(ValueError):
        timeline([], now=h(1))
    with pytest.raises(ValueError):
        Period(day(2), day(2))


# --- properties --------------------------------------------------------------------------------

MINUTES = 3000
# A few instants drawn often, so that reads of different channels land at the same time.
times = (st.sampled_from([0, 30, 60]) | st.integers(0, MINUTES)).map(lambda m: T0 + timedelta(minutes=m))
maybe_time = st.none() | times
marks = st.builds(
    Mark,
    kind=st.sampled_from(["error_opened", "error_closed", "error_opened", "milestone", "jeopardy"]),
    item_id=st.sampled_from([None, ITEM]),
    text=st.sampled_from([None, "a", "b"]),
    reason=st.sampled_from([None, "ORT", "OWF"]),
    code=st.sampled_from([None, "C1", "C2"]),
    at=maybe_time,
)
# Final states are rarer than the others in real life; sampling them as often still ends most orders early.
states = st.none() | st.sampled_from(
    [s for s in OrderState if not is_final(s)] * 3 + [s for s in OrderState if is_final(s)]
)


def entries_of(order_id: str = ORDER, backend: str = "wholesale") -> st.SearchStrategy[list[Entry]]:
    one = st.builds(
        Entry,
        backend=st.just(backend),
        order_id=st.just(order_id),
        seen_at=times,
        kind=st.sampled_from(["seen", "changes", "dates"]),
        state=states,
        happened_at=maybe_time,
        label=st.sampled_from([None, "", "x", "y"]),
        order_date=maybe_time,
        requested_date=maybe_time,
        expected_date=maybe_time,
        completion_date=maybe_time,
        marks=st.lists(marks, max_size=3).map(tuple),
    )
    return st.lists(one, min_size=1, max_size=8)


def shuffled_with_duplicates(entries: list[Entry], seed: int) -> list[Entry]:
    rng = random.Random(seed)
    copies = entries + [rng.choice(entries) for _ in range(rng.randint(0, len(entries)))]
    rng.shuffle(copies)
    return copies


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def life(t: Timeline, now: datetime) -> timedelta:
    return (t.ended_at if t.ended_at is not None else now) - t.first_seen


@FAST
@given(entries=entries_of(), later=st.integers(0, 600), seed=st.integers())
def test_stints_add_up_to_the_watched_life(entries: list[Entry], later: int, seed: int) -> None:
    now = max(e.seen_at for e in entries) + timedelta(minutes=later)
    t = timeline(shuffled_with_duplicates(entries, seed), now=now)

    assert sum((s.duration(now) for s in t.stints), timedelta()) == life(t, now)
    assert t.stints[0].start == t.first_seen
    for before, after in zip(t.stints, t.stints[1:], strict=False):
        assert before.end == after.start and before.start < after.start and before.state != after.state
    assert all(s.end is not None for s in t.stints[:-1])
    assert (t.stints[-1].end is None) == (t.final_state is None) == (t.ended_at is None)
    assert all(e.duration(now) >= timedelta() for e in t.errors)
    if t.lead_time is not None:
        assert t.completed and t.lead_time >= timedelta()


@FAST
@given(entries=entries_of(), seed=st.integers())
def test_a_timeline_is_the_same_whatever_the_order_and_duplication_of_its_entries(
    entries: list[Entry], seed: int
) -> None:
    now = T0 + timedelta(minutes=MINUTES + 1)
    assert timeline(shuffled_with_duplicates(entries, seed), now=now) == timeline(entries, now=now)


orders_strategy = st.lists(
    st.tuples(st.sampled_from(["wholesale", "united"]), st.sampled_from(["a", "b", "c", "d", "e"])).flatmap(
        lambda key: entries_of(key[1], key[0])
    ),
    max_size=6,
)


def stream(groups: list[list[Entry]], seed: int | None = None) -> list[Entry]:
    """Sorted by order as the database query gives them (shuffled and duplicated within each order when seeded)."""
    everything = [e for group in groups for e in group]
    if seed is not None and everything:
        everything = shuffled_with_duplicates(everything, seed)
    return sorted(everything, key=lambda e: (e.backend, e.order_id))


def additive(r: Report) -> dict[str, Any]:
    return {
        "ordered": r.ordered,
        "completed": r.completed,
        "cancelled": r.cancelled,
        "rejected": r.rejected,
        "failed": r.failed,
        "partial": r.partial,
        "lead_count": r.lead_count,
        "on_time_requested": r.on_time_requested,
        "on_time_expected": r.on_time_expected,
        "time_in_state": dict(r.time_in_state),
        "error_time": {(c.text, c.reason, c.code): c.total for c in r.error_reasons},
    }


def added(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for key, value in a.items():
        if isinstance(value, tuple):
            total[key] = (value[0] + b[key][0], value[1] + b[key][1])
        elif isinstance(value, dict):
            total[key] = {k: value.get(k, timedelta()) + b[key].get(k, timedelta()) for k in value.keys() | b[key]}
        else:
            total[key] = value + b[key]
    return total


periods = st.tuples(st.integers(-200, MINUTES), st.integers(2, MINUTES), st.floats(0.01, 0.99))


@FAST
@given(groups=orders_strategy, bounds=periods, later=st.integers(-100, 600), seed=st.integers())
def test_no_order_is_counted_twice_and_periods_add_up(
    groups: list[list[Entry]], bounds: tuple[int, int, float], later: int, seed: int
) -> None:
    start, length, split = bounds
    period = Period(T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + length))
    middle = period.start + timedelta(minutes=max(1, min(length - 1, round(length * split))))
    now = T0 + timedelta(minutes=MINUTES + later)
    entries = stream(groups, seed)

    r = report(entries, period=period, now=now)
    references = {e.backend + ":" + e.order_id for e in entries}
    assert r.orders == len(r.lines) == len({t.reference for t in r.lines}) <= len(references)
    assert r.ordered <= r.orders and r.seen_midway <= r.orders
    assert r.completed + r.cancelled + r.rejected + r.failed <= r.orders and r.partial <= r.completed
    assert r.lead_count <= r.completed and r.on_time_requested[1] <= r.completed
    assert sum(r.time_in_state.values(), timedelta()) <= r.orders * period.length
    assert all(c.total <= c.count * period.length for c in r.error_reasons)
    assert r == report(stream(groups), period=period, now=now)  # duplicates and shuffling change nothing

    first = report(entries, period=Period(period.start, middle), now=now)
    second = report(entries, period=Period(middle, period.end), now=now)
    assert additive(r) == added(additive(first), additive(second))
    assert max(first.orders, second.orders) <= r.orders <= first.orders + second.orders


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=orders_strategy)
def test_a_backends_report_is_the_report_of_its_entries(groups: list[list[Entry]]) -> None:
    now = T0 + timedelta(minutes=MINUTES)
    entries = stream(groups)
    united = [e for e in entries if e.backend == "united"]
    assert report(entries, period=NOVEMBER, now=now, backend="united") == report(
        united, period=NOVEMBER, now=now, backend="united"
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=orders_strategy, bounds=periods, later=st.integers(-100, 600))
def test_a_csv_written_while_reading_is_the_csv_of_the_kept_timelines(
    groups: list[list[Entry]], bounds: tuple[int, int, float], later: int
) -> None:
    start, length, _split = bounds
    period = Period(T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + length))
    now = T0 + timedelta(minutes=MINUTES + later)
    kept = report(stream(groups), period=period, now=now)
    streamed = report(stream(groups), period=period, now=now, keep_lines=False, write_csv=True)
    assert streamed.lines == [] and streamed.csv is not None
    assert report_csv(streamed) == report_csv(kept)  # the same rows, whether the timelines were kept or not
    assert replace(streamed, lines=kept.lines, csv=None) == kept  # and the same figures
    assert list(kept.lead_times) == sorted(kept.lead_times) and len(kept.lead_times) == kept.lead_count
