"""Benchmark: `/orange report` over 100,000 orders of kept history, beside a naive report and the poll, one run.

    .venv/bin/python bench/report.py [--orders 100000] [--seed 20] [--no-pg] [--no-poll] [--json FILE]

The history of `--orders` orders of one team is generated (a fixed seed; its hash printed) and bulk-inserted into
`order_history` in a SQLite file migrated to head, and into PostgreSQL too (`TEST_DATABASE_URL`, a schema of its
own, ANALYZEd as autovacuum would) unless `--no-pg`. An order's rows are what the notifier keeps: its first read
(`seen`), a change set per read that changed something (`changes`), a read where only Orange's dates moved
(`dates`). About 70 % complete through acknowledged → in_progress (→ held → in_progress) → completed with 0–3
errors opened and closed, some are cancelled, rejected or failed, about 15 % are still open; some are first seen
mid-way; orders are placed over the two years before `NOW`; about 5 rows an order.

Rows (each measurement in a worker process of its own: its CPU time and peak RSS are its own), per database, for
`last 30d` and `last 105w` (the two years):
  orange-bot   the real path: `build_report` (report_rows streamed → entry_of → compute.report, which writes the
               CSV as it reads each order and keeps no timeline) and `report_csv`
  naive        every row of the team loaded with the ORM, grouped per order in a dict, `timeline` per order,
               then filtered and counted; its figures are compared with the real path's (agree?)
  poll         `bench/poll.py` at the same scale (100,000 wholesale watches, SQLite): its measured cycle
Reported: wall time, CPU time (user + system, every thread), peak RSS of the worker, and the peak RSS the report
added (peak after minus peak before it, the worker's imports and connection being there already).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from sqlmodel import Session, col, select  # noqa: E402

from bot.context import BotContext  # noqa: E402
from bot.history.commands import build_report  # noqa: E402
from bot.history.compute import COMPLETED_STATES, Period, Report, Timeline, report_csv, timeline  # noqa: E402
from bot.history.keep import entry_of  # noqa: E402
from bot.history.periods import resolve_period  # noqa: E402
from bot.settings import Settings  # noqa: E402
from integrations.client import OrangeClient  # noqa: E402
from integrations.states import OrderState  # noqa: E402
from storage import crud  # noqa: E402
from storage.db import make_engine, normalize_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OrderHistory  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""The report's `now` and the end of the generated history."""
TEAM = "T1"
SPAN_DAYS = 730
PERIODS = ("last 30d", "last 105w")
"""As typed after `/orange report`: the last 30 days, and the whole two years (105 weeks)."""
SEED = 20
BACKENDS = ("wholesale", "carrier", "business")
FATES = ("completed", "cancelled", "rejected", "failed", "open")
SITES = ("Lyon 3e", "Lille Centre", "Nantes Île", "Rennes Sud", "Bordeaux Lac", "Paris 15e", "Marseille Joliette")
ERRORS = (
    ("Appointment missed by the end customer", "ORT", "RDV01"),
    ("Civil works needed on the public domain", "OWF", "GC02"),
    ("Address not found in the building register", "ORT", "ADR03"),
    ("Cable path blocked in the building", "OWF", "INF04"),
)
TOKEN = "xoxb-bench"


# --- the history --------------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.isoformat()


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def order_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """The kept rows of one order, oldest first (rows after `NOW` are not seen yet: the order is still open)."""
    backend = rng.choices(BACKENDS, weights=(80, 10, 10))[0]
    order_id = f"{backend[:2].upper()}-{n:07d}"
    fate = rng.choices(FATES, weights=(70, 8, 5, 2, 15))[0]
    back = rng.uniform(1, 120) if fate == "open" else rng.uniform(0, SPAN_DAYS - 2)
    placed = NOW - timedelta(days=back)
    requested = _day(placed + timedelta(days=rng.randint(20, 60)))
    label = f"PO-{placed:%Y}-{n:06d} · {rng.choice(SITES)}" if rng.random() < 0.9 else None
    rows: list[dict[str, Any]] = []
    dates: dict[str, Any] = {"order_date": placed, "requested_date": requested, "expected_date": None}

    def keep(at: datetime, kind: str, state: str, marks: list[list[Any]] = [], **extra: Any) -> None:  # noqa: B006
        fingerprint = "seen" if kind == "seen" else f"{kind}:{len(rows):02d}"
        final = state in ("completed", "cancelled", "rejected", "failed")
        moves = [] if kind != "changes" or rows[-1]["state"] == state else [["1", rows[-1]["state"], state]]
        rows.append(
            {
                "team_id": TEAM,
                "backend": backend,
                "order_id": order_id,
                "fingerprint": fingerprint,
                "kind": kind,
                "seen_at": at,
                "happened_at": extra.get("completion_date") if state == "completed" else None,
                "state": state,
                "final": final,
                "label": label,
                "completion_date": None,
                **dates,
                **extra,
                "marks": marks,
                "moves": moves,
            }
        )

    t = placed + timedelta(minutes=rng.uniform(1, 30))
    midway = rng.random() < 0.1
    if midway:  # watched once Orange had it in hand already
        t += timedelta(days=rng.uniform(2, 20))
        dates["expected_date"] = requested + timedelta(days=rng.randint(-5, 15))
        keep(t, "seen", "in_progress", [["milestone", None, "Order accepted", None, None, _iso(placed)]])
    else:
        keep(t, "seen", "acknowledged")
        if fate == "rejected":
            t += timedelta(hours=rng.uniform(1, 72))
            keep(t, "changes", "rejected", [["error_opened", None, "Invalid site id", "ORT", "REJ01", _iso(t)]])
            return [r for r in rows if r["seen_at"] <= NOW]
        t += timedelta(hours=rng.uniform(2, 48))
        dates["expected_date"] = requested + timedelta(days=rng.randint(-5, 15))
        keep(t, "changes", "in_progress", [["milestone", None, "Order accepted", None, None, _iso(t)]])
    closes: list[list[Any]] = []
    steps = ["error"] * rng.choices((0, 1, 2, 3), weights=(40, 30, 20, 10))[0]
    steps += ["held"] if rng.random() < 0.3 else []
    steps += ["dates"] if rng.random() < 0.2 else []
    rng.shuffle(steps)
    for step in steps:
        t += timedelta(days=rng.uniform(1, 8))
        if step == "error":
            text, reason, code = rng.choice(ERRORS)
            opened = ["error_opened", None, text, reason, code, _iso(t - timedelta(minutes=rng.uniform(0, 240)))]
            keep(t, "changes", "in_progress", [*closes, opened])
            closed = ["error_closed", *opened[1:]]
            if rng.random() < 0.5:  # closed on a read of its own, else with the next change set
                t += timedelta(hours=rng.uniform(4, 120))
                keep(t, "changes", "in_progress", [closed])
                closes = []
            else:
                closes = [closed]
        elif step == "held":
            keep(t, "changes", "held", closes)
            t += timedelta(days=rng.uniform(1, 10))
            keep(t, "changes", "in_progress", [])
            closes = []
        else:
            dates["expected_date"] = dates["expected_date"] + timedelta(days=rng.randint(3, 20))
            keep(t, "dates", "in_progress", closes)
            closes = []
    if fate == "open":
        return [r for r in rows if r["seen_at"] <= NOW]
    t += timedelta(days=rng.uniform(5, 40))
    if fate == "completed":
        done = t - timedelta(hours=rng.uniform(0, 6))
        marks = [*closes, ["milestone", None, "Service delivered", None, None, _iso(done)]]
        keep(t, "changes", "completed", marks, completion_date=done)
    else:
        keep(t, "changes", fate, closes)
    return [r for r in rows if r["seen_at"] <= NOW]


def history(orders: int, seed: int) -> Iterator[dict[str, Any]]:
    """Every row of `orders` orders, order after order: the same rows for the same seed."""
    rng = random.Random(seed)
    for n in range(orders):
        yield from order_rows(rng, n)


def _canonical(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, default=lambda v: v.isoformat()).encode()


def load(url: str, *, orders: int, seed: int, chunk: int = 5000) -> dict[str, Any]:
    """Migrate `url` to head and bulk-insert the history; rows, hash of the data, seconds."""
    t0 = time.monotonic()
    engine = make_engine(url)
    upgrade(engine)
    table = OrderHistory.__table__  # type: ignore[attr-defined]
    digest = hashlib.sha256()
    count = 0
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in history(orders, seed):
            digest.update(_canonical(row))
            batch.append(row)
            if len(batch) == chunk:
                conn.execute(table.insert(), batch)
                count, batch = count + len(batch), []
        if batch:
            conn.execute(table.insert(), batch)
            count += len(batch)
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load: the planner's statistics
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE order_history")
    engine.dispose()
    return {"rows": count, "hash": digest.hexdigest()[:16], "load_s": time.monotonic() - t0}


# --- the two reports ----------------------------------------------------------------------------


def _seconds(d: timedelta | None) -> float | None:
    return None if d is None else d.total_seconds()


def figures_of(r: Report) -> dict[str, Any]:
    """The report's counts, as the naive path computes them too."""
    return {
        "orders": r.orders,
        "ordered": r.ordered,
        "completed": r.completed,
        "cancelled": r.cancelled,
        "rejected": r.rejected,
        "failed": r.failed,
        "partial": r.partial,
        "lead_count": r.lead_count,
        "lead_median_s": _seconds(r.lead_median),
        "lead_p90_s": _seconds(r.lead_p90),
        "on_time_requested": list(r.on_time_requested),
        "on_time_expected": list(r.on_time_expected),
        "seen_midway": r.seen_midway,
        "late_open": len(r.late_open),
    }


def naive_figures(lines: list[Timeline], period: Period, now: datetime) -> dict[str, Any]:
    """Filter and count the timelines of every order, as one would without the report's streaming."""
    scope = [t for t in lines if t.first_seen < period.end and t.life_end(now) >= period.start]
    ended = [t for t in scope if t.final_state is not None and t.ended_at is not None and t.ended_at in period]
    done = [t for t in ended if t.final_state in COMPLETED_STATES]
    leads = sorted(t.lead_time for t in done if t.lead_time is not None)

    def rank(p: int) -> float | None:
        return _seconds(leads[max(1, -(-p * len(leads) // 100)) - 1]) if leads else None

    as_of = min(now, period.end)
    late = 0
    for t in scope:
        if (t.ended_at is None or t.ended_at > as_of) and t.first_seen <= as_of:
            due = (
                t.expected_date
                if t.expected_date is not None and t.expected_date.astimezone(UTC).date() < as_of.date()
                else None
            )
            if due is None and t.requested_date is not None and t.requested_date.astimezone(UTC).date() < as_of.date():
                due = t.requested_date
            late += due is not None
    requested = [t.on_time_requested for t in done if t.on_time_requested is not None]
    expected = [t.on_time_expected for t in done if t.on_time_expected is not None]
    return {
        "orders": len(scope),
        "ordered": sum(1 for t in scope if t.ordered_at(now) in period),
        "completed": len(done),
        "cancelled": sum(1 for t in ended if t.final_state is OrderState.cancelled),
        "rejected": sum(1 for t in ended if t.final_state is OrderState.rejected),
        "failed": sum(1 for t in ended if t.final_state is OrderState.failed),
        "partial": sum(1 for t in ended if t.final_state is OrderState.partial),
        "lead_count": len(leads),
        "lead_median_s": rank(50),
        "lead_p90_s": rank(90),
        "on_time_requested": [sum(requested), len(requested)],
        "on_time_expected": [sum(expected), len(expected)],
        "seen_midway": sum(1 for t in scope if not t.seen_from_start),
        "late_open": late,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows_read(engine: Any, period: Period) -> int:
    with Session(engine) as s:
        return sum(1 for _ in crud.report_rows(session=s, team_id=TEAM, start=period.start, end=period.end))


async def real_report(db: str, spec: str) -> dict[str, Any]:
    """The real path, measured: `build_report` then `report_csv`."""
    engine = make_engine(db)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=TOKEN,
        slack_signing_secret="bench",
        orange_sandbox_url="http://sandbox.invalid",
        database_url=db,
    )
    orange = OrangeClient(settings)
    ctx = BotContext(settings=settings, orange=orange, engine=engine)
    period = resolve_period(spec, now=NOW)
    await ctx.read(lambda s: s.exec(select(OrderHistory).limit(1)).all())  # a running bot's connection is open
    rss0, cpu0, t0 = _peak_mb(), _cpu(), time.monotonic()
    found = await build_report(ctx, team_id=TEAM, period=period, now=NOW, backend=None)
    built = time.monotonic()
    csv = report_csv(found)
    wall, cpu, peak = time.monotonic() - t0, _cpu() - cpu0, _peak_mb()
    await orange.aclose()
    rows = _rows_read(engine, period)
    engine.dispose()
    return {
        "report_s": built - t0,
        "csv_s": wall - (built - t0),
        "csv_bytes": len(csv.encode()),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss0,
        "peak_rss_mb": peak,
        "rows_read": rows,
        "figures": figures_of(found),
    }


def naive_report(db: str, spec: str) -> dict[str, Any]:
    """The obvious way, measured: every row of the team through the ORM, a dict per order, a timeline each."""
    engine = make_engine(db)
    period = resolve_period(spec, now=NOW)
    with Session(engine) as s:
        s.exec(select(OrderHistory).limit(1)).all()
    rss0, cpu0, t0 = _peak_mb(), _cpu(), time.monotonic()
    with Session(engine) as s:
        rows = s.exec(select(OrderHistory).where(col(OrderHistory.team_id) == TEAM)).all()
        per_order: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in rows:
            per_order[(row.backend, row.order_id)].append(entry_of(row))
    lines = [timeline(entries, now=NOW) for entries in per_order.values()]
    figures = naive_figures(lines, period, NOW)
    wall, cpu, peak = time.monotonic() - t0, _cpu() - cpu0, _peak_mb()
    engine.dispose()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss0,
        "peak_rss_mb": peak,
        "rows_read": len(rows),
        "figures": figures,
    }


# --- the parent ---------------------------------------------------------------------------------


def run_worker(mode: str, db: str, spec: str) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", mode, "--db", db, "--period", spec]
    out = subprocess.run(argv, cwd=HERE, env={**os.environ, "PYTHONPATH": str(HERE)}, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"worker {mode} {spec} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def pg_schema(base: str) -> tuple[str, str]:
    """A new schema on `base`'s server: (its name, a URL whose search_path is it)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    url = normalize_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def drop_schema(base: str, schema: str) -> None:
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.dispose()


def poll_row(wholesale: int, tmp: Path) -> dict[str, Any]:
    out = tmp / "poll.json"
    argv = [sys.executable, str(HERE / "bench" / "poll.py"), "--wholesale", str(wholesale), "--carrier", "0"]
    argv += ["--business", "0", "--no-pg", "--naive-sample", "0", "--rate", "200", "--json", str(out)]
    t0 = time.monotonic()
    done = subprocess.run(argv, cwd=HERE, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench/poll.py failed:\n{done.stderr[-3000:]}")
    found = json.loads(out.read_text())["rows"][0]
    return {
        "row": "poll",
        "db": found["db"],
        "orders": found["watches"],
        "rows": None,
        "period": "one cycle",
        "wall_s": found["cycle_s"],
        "cpu_s": found["cpu_s"],
        "peak_rss_mb": found["peak_rss_mb"],
        "rss_added_mb": None,
        "agree": None,
        "first_cycle_s": found["first_cycle_s"],
        "bench_s": time.monotonic() - t0,
    }


def table(rows: list[dict[str, Any]], total: int) -> str:
    lines = [
        "| row | db | orders | rows | period | wall s | CPU s | peak RSS MB | RSS added MB | agree? |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        orders = f"{r['orders']:,} of {total:,}" if r["row"] != "poll" else f"{r['orders']:,} watches"
        rows_read = f"{r['rows']:,}" if r["rows"] is not None else "–"
        added = f"{r['rss_added_mb']:.0f}" if r["rss_added_mb"] is not None else "–"
        agree = "–" if r["agree"] is None else ("yes" if r["agree"] else "NO")
        lines.append(
            f"| {r['row']} | {r['db']} | {orders} | {rows_read} | {r['period']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f}"
            f" | {r['peak_rss_mb']:.0f} | {added} | {agree} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-poll", action="store_true")
    parser.add_argument("--poll-wholesale", type=int, default=100_000, help="the poll row's wholesale watches")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", choices=("orange-bot", "naive"))
    parser.add_argument("--db")
    parser.add_argument("--period")
    args = parser.parse_args()
    if args.worker:
        if args.worker == "naive":
            found = naive_report(args.db, args.period)
        else:
            found = asyncio.run(real_report(args.db, args.period))
        print(json.dumps(found))
        return

    pg = os.environ.get("TEST_DATABASE_URL") if not args.no_pg else None
    measured: list[dict[str, Any]] = []
    loads: dict[str, dict[str, Any]] = {}
    schema: str | None = None
    with tempfile.TemporaryDirectory(prefix="orange-bench-report-") as tmp_name:
        tmp = Path(tmp_name)
        dbs = {"sqlite": f"sqlite:///{tmp / 'history.db'}"}
        try:
            if pg:
                schema, dbs["postgresql"] = pg_schema(pg)
            for name, url in dbs.items():
                loads[name] = load(url, orders=args.orders, seed=args.seed)
                print(f"{name}: {loads[name]['rows']:,} rows, data {loads[name]['hash']}, "
                      f"loaded in {loads[name]['load_s']:.1f} s", flush=True)  # fmt: skip
            for name, url in dbs.items():
                for spec in PERIODS:
                    pair = {mode: run_worker(mode, url, spec) for mode in ("orange-bot", "naive")}
                    agree = pair["orange-bot"]["figures"] == pair["naive"]["figures"]
                    for mode, found in pair.items():
                        measured.append(
                            {
                                "row": mode,
                                "db": name,
                                "orders": found["figures"]["orders"],
                                "rows": found["rows_read"],
                                "period": spec,
                                "wall_s": found["wall_s"],
                                "cpu_s": found["cpu_s"],
                                "peak_rss_mb": found["peak_rss_mb"],
                                "rss_added_mb": found["peak_rss_mb"] - found["rss_before_mb"],
                                "agree": agree,
                                "detail": found,
                            }
                        )
                        print(json.dumps(measured[-1]), flush=True)
            if not args.no_poll:
                measured.append(poll_row(args.poll_wholesale, tmp))
                print(json.dumps(measured[-1]), flush=True)
        finally:
            if pg and schema:
                drop_schema(pg, schema)
    hashes = {v["hash"] for v in loads.values()}
    print()
    data = ", ".join(sorted(hashes))
    print(f"History of {args.orders:,} orders (seed {args.seed}, data {data}), now = {NOW:%Y-%m-%d %H:%M} UTC")
    print()
    print(table(measured, args.orders))
    if args.json:
        args.json.write_text(json.dumps({"orders": args.orders, "seed": args.seed, "loads": loads, "rows": measured},
                                        indent=2, default=str))  # fmt: skip
    if len(hashes) > 1:
        raise SystemExit("the databases hold different data")


if __name__ == "__main__":
    main()
