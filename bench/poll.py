"""Benchmark: the notifier's poll cycle at scale, beside the code before the fast path and a naive poller, one run.

    .venv/bin/python bench/poll.py [--wholesale 100000] [--carrier 10000] [--business 10000] [--latency 0.05]
        [--rate 100] [--commands 200] [--baseline REF] [--naive-sample 500] [--replicas 2 4] [--no-pg] [--json FILE]

The sandbox runs in its own process (`python -m integrations.sandbox --latency 0.05`); every measurement runs in a
worker process of its own (its CPU time and peak RSS are its own), with the bot's HTTP front served by uvicorn on
its event loop and a Slack simulator on loopback. A worker resets the sandbox, creates the orders (`POST
/_sandbox/bulk`), inserts the watches (one bulk insert), runs the FIRST cycle (every order read in full: the
baselines), makes 10 changes (8 wholesale, 1 carrier, 1 business), then runs the MEASURED cycle and drains the
outbox. While the measured cycle runs, a client in another process sends `--commands` signed `/orange help`
slash commands at once to the bot's front, and a probe on the worker's loop records how late it wakes (loop lag).

Rows:
  orange-bot           this checkout (SQLite file, then PostgreSQL)
  before (REF)         the same worker on the code at REF (`git worktree`), SQLite: today's code before this work
  naive                one sequential full GET per order, diff, one commit per watch (on --naive-sample wholesale
                       watches, extrapolated linearly: it is sequential)
  replicas             2 and 4 worker processes sharing PostgreSQL run the measured cycle at once
Reported: cycle wall time, wholesale requests per wholesale watch, CPU ms per watch (the worker's user+system time
during the cycle / watches), peak RSS, changes posted (each once?), ack p50/p99 of the commands, max loop lag.
Every poller gets the same request-rate cap (`--rate` per backend, POLL_REQUESTS_PER_SECOND).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

HERE = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("BENCH_CODE_ROOT", HERE))
CHANGES = {"wholesale": 8, "carrier": 1, "business": 1}
INTERVAL = 300
"""POLL_INTERVAL_SECONDS of every worker."""
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# --- the worker ----------------------------------------------------------------------------------


async def create_orders(admin: httpx.AsyncClient, counts: dict[str, int]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for backend, count in counts.items():
        ids[backend] = []
        for start in range(0, count, 20_000):
            body = {"backend": backend, "count": min(20_000, count - start), "state": "inProgress"}
            made = await admin.post("/_sandbox/bulk", json=body, timeout=600)
            made.raise_for_status()
            ids[backend] += made.json()["ids"]
    return ids


def insert_watches(engine: Any, ids: dict[str, list[str]]) -> None:
    from datetime import UTC, datetime

    from storage.models import Watch

    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "team_id": "T1",
            "channel_id": "C_GENERAL",
            "backend": backend,
            "order_id": str(order_id),
            "filter": "all",
            "created_by": "U_ALICE",
            "kind": "order",
            "thread_ts": f"1600000000.{n:06d}",
            "created_at": now,
            "consecutive_failures": 0,
        }
        for backend, orders in ids.items()
        for n, order_id in enumerate(orders)
    ]
    table = Watch.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(table.insert(), rows[i : i + 5000])


async def post_roots(engine: Any, fake: Any, changed: list[tuple[str, str]]) -> None:
    """Real thread roots in the simulator for the orders that will change."""
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy import update
    from sqlmodel import col

    from storage.db import session_scope
    from storage.models import Watch

    client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=20))  # the simulator paces posts
    for backend, order_id in changed:
        ts = str((await client.chat_postMessage(channel="C_GENERAL", text=order_id))["ts"])
        with session_scope(engine) as s:
            s.exec(
                update(Watch)  # type: ignore[call-overload]
                .where(col(Watch.backend) == backend, col(Watch.order_id) == str(order_id))
                .values(thread_ts=ts)
            )


def clear_outbox(engine: Any) -> None:
    """The first cycle owes every watch a root edit (the bench's watches were inserted without the root a `watch`
    posts): not what a change owes, and 120,000 of them would queue before the changes' posts."""
    from sqlalchemy import delete

    from storage.db import session_scope
    from storage.models import OutboxMessage

    with session_scope(engine) as s:
        s.exec(delete(OutboxMessage))  # type: ignore[call-overload]


def make_due(engine: Any) -> None:
    """Every watch due, last polled one interval ago: a steady-state cycle, whatever the first cycle took (the
    summary backends' detail refreshes that fall due are then 1 in DETAIL_EVERY in every row)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from storage.db import session_scope
    from storage.models import Watch

    last = datetime.now(UTC) - timedelta(seconds=INTERVAL)
    with session_scope(engine) as s:
        s.exec(update(Watch).values(next_poll_at=None, lease_owner=None, lease_until=None, last_polled_at=last))  # type: ignore[call-overload]


async def naive_cycle(ctx: Any, ids: list[str]) -> int:
    """One sequential full GET per order, diff, one commit per watch."""
    from sqlmodel import col, select

    from bot.notify.diff import Snapshot, diff
    from integrations.views import order_view_from_wholesale
    from storage import crud
    from storage.db import session_scope
    from storage.models import Watch

    with session_scope(ctx.engine) as s:
        watches = {w.order_id: w for w in s.exec(select(Watch).where(col(Watch.order_id).in_(ids))).all()}
    for order_id in ids:
        watch = watches[order_id]
        view = order_view_from_wholesale(await ctx.orange.wholesale.orders.get(order_id))
        with session_scope(ctx.engine) as s:
            snap = crud.get_snapshot(session=s, watch_id=watch.id)
            previous = Snapshot.from_json(snap.view) if snap is not None else None
            events, snapshot = diff(previous, view)
            for e in events:
                crud.enqueue_outbox(
                    session=s, watch_id=watch.id, fingerprint=e.fingerprint, kind=e.kind.value, payload={"text": ""}
                )
            crud.save_snapshot(session=s, watch_id=watch.id, view=snapshot.to_json())
    return len(ids)


class LoopLag:
    """How late the event loop wakes a 10 ms sleeper: what a CPU-bound poll does to every other task."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, loop.time() - before - 0.01)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(CODE))
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import create_bolt_app, create_web_app
    from bot.context import BotContext
    from bot.jobs.poll import run_cycle
    from bot.notify.outbox import drain_outbox
    from bot.settings import Settings
    from bot.simulator import FakeSlack
    from bot.simulator.server import serve_asgi
    from integrations import OrangeClient
    from storage.db import make_engine
    from storage.migrate import upgrade

    counts: dict[str, int] = json.loads(args.counts)
    rates = dict.fromkeys(("carrier", "wholesale", "business"), args.rate)
    engine = make_engine(args.db)
    async with FakeSlack.serve(bot_token=TOKEN) as fake, httpx.AsyncClient(base_url=args.url, timeout=600) as admin:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            orange_sandbox_url=args.url,
            database_url=args.db,
            poll_interval_seconds=INTERVAL,
        )
        orange = OrangeClient(settings)
        ctx = BotContext(settings=settings, orange=orange, engine=engine)
        if args.role in ("solo", "prepare"):
            await admin.post("/_sandbox/reset")
            upgrade(engine)
            ids = await create_orders(admin, counts)
            insert_watches(engine, ids)
            t0 = time.monotonic()
            if args.mode == "naive":
                await naive_cycle(ctx, ids["wholesale"])
            else:
                await run_cycle(ctx, owner="bench", rates=rates)
            first = time.monotonic() - t0
            clear_outbox(engine)
            changed = [
                (b, str(ids[b][(k * 7919) % len(ids[b])])) for b, n in CHANGES.items() if ids.get(b) for k in range(n)
            ]
            await post_roots(engine, fake, changed)
            for backend, order_id in changed:
                move = await admin.post(f"/_sandbox/orders/{backend}/{order_id}/state", json={"state": "held"})
                move.raise_for_status()
            make_due(engine)
            if args.role == "prepare":
                Path(args.out).write_text(json.dumps({"changed": changed, "ids": ids}))
                return {"first_cycle_s": first}
        else:
            first = None
            changed = []
            while not Path(args.start).exists():  # the replicas start together
                await asyncio.sleep(0.01)
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        web = create_web_app(create_bolt_app(ctx, client=client), ctx)
        async with serve_asgi(web) as bot_url:
            commands = None
            if args.commands:
                urls = [fake.new_response_url(channel="C_GENERAL", user="U_ALICE") for _ in range(args.commands)]
                go = Path(tempfile.mkdtemp()) / "go"
                commands = subprocess.Popen(
                    [sys.executable, __file__, "--commands-client", f"{bot_url}/slack/events", "--go", str(go)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert commands.stdin is not None
                commands.stdin.write(json.dumps(urls))
                commands.stdin.close()
                await asyncio.sleep(1.5)  # its start-up
            if args.role == "solo":
                await admin.post("/_sandbox/requests/reset")
            with LoopLag() as lag:
                cpu0, t0 = cpu(), time.monotonic()
                if args.commands:
                    go.write_text("go")
                if args.mode == "naive":
                    polled = await naive_cycle(ctx, await _wholesale_ids(ctx))
                    stats = None
                else:
                    stats = await run_cycle(ctx, owner=f"bench-{os.getpid()}", rates=rates)
                    polled = stats.polled
                cycle = time.monotonic() - t0
                cpu_used = cpu() - cpu0
            acks: list[float] = []
            if commands is not None:  # the bot keeps serving until the client is done (it may outlast a short cycle)
                assert commands.stdout is not None
                out = await asyncio.to_thread(commands.stdout.read)
                await asyncio.to_thread(commands.wait, 120)
                acks = json.loads(out.strip().splitlines()[-1])
            requests = (await admin.get("/_sandbox/requests")).json()
        if args.role == "solo" and args.mode != "naive":
            # The simulator paces posts per channel like Slack (about one a second): drain until all are out.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                await drain_outbox(ctx, client)
                if not await ctx.db(_pending):
                    break
                await asyncio.sleep(1.0)
        posts = {}
        if changed and args.mode != "naive":
            from sqlmodel import col, select

            from storage.db import session_scope
            from storage.models import Watch

            with session_scope(engine) as s:
                roots = {
                    (w.backend, w.order_id): str(w.thread_ts)
                    for w in s.exec(select(Watch).where(col(Watch.order_id).in_([o for _, o in changed])))
                }
            posts = {f"{b}:{o}": len(fake.thread("C_GENERAL", roots[(b, o)])) for b, o in changed}
        await orange.aclose()
    engine.dispose()
    by_backend = {k.split()[1]: v for k, v in requests.get("counts", {}).items() if " " in k}
    wholesale_requests = sum(v for k, v in by_backend.items() if "united-way" in k)
    return {
        "mode": args.mode,
        "db": "postgresql" if args.db.startswith("postgresql") else "sqlite",
        "counts": counts,
        "watches": sum(counts.values()),
        "first_cycle_s": first,
        "cycle_s": cycle,
        "polled": polled,
        "unchanged": getattr(stats, "unchanged", None) if stats is not None else None,
        "requests": int(requests.get("total", 0)),
        "wholesale_requests": wholesale_requests,
        "cpu_s": cpu_used,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "posts": posts,
        "acks": acks,
        "loop_lag_ms": lag.worst * 1000,
    }


def _pending(session: Any) -> int:
    from sqlmodel import col, func, select

    from storage.models import OutboxMessage

    return int(session.exec(select(func.count()).where(col(OutboxMessage.status) == "pending")).one())


async def _wholesale_ids(ctx: Any) -> list[str]:
    from sqlmodel import col, select

    from storage.db import session_scope
    from storage.models import Watch

    with session_scope(ctx.engine) as s:
        return [w.order_id for w in s.exec(select(Watch).where(col(Watch.backend) == "wholesale"))]


async def commands_client(url: str, go: Path, response_urls: list[str]) -> list[float]:
    """One signed `/orange help` per response URL, all at once, 1 s after `go` appears; the ack latencies.

    Raw HTTP/1.1 on connections opened beforehand, requests built beforehand: the client's own work between two
    sends is a socket write, so what is measured is the bot (an HTTP client library here would queue the sends
    behind its own CPU and measure itself).
    """
    from urllib.parse import urlsplit

    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80

    def request(response_url: str) -> bytes:
        body = urlencode(
            {
                "token": "x",
                "team_id": "T_SIM",
                "channel_id": "C_GENERAL",
                "user_id": "U_ALICE",
                "command": "/orange",
                "text": "help",
                "response_url": response_url,
                "trigger_id": uuid.uuid4().hex,
            }
        )
        stamp = str(int(time.time()))
        signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        head = (
            f"POST {target.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {stamp}\r\nX-Slack-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        return (head + body).encode()

    connections = [await asyncio.open_connection(host, port) for _ in response_urls]
    requests = [request(u) for u in response_urls]
    while not go.exists():
        await asyncio.sleep(0.005)
    await asyncio.sleep(1.0)  # into the cycle

    async def one(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes) -> float:
        reader, writer = conn
        started = time.monotonic()
        writer.write(data)
        status = await reader.readline()
        elapsed = time.monotonic() - started
        assert b" 200 " in status, status
        writer.close()
        return elapsed

    return list(await asyncio.gather(*(one(c, r) for c, r in zip(connections, requests, strict=True))))


# --- the parent ----------------------------------------------------------------------------------


def run_worker(code: Path, **options: Any) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "bench" / "poll.py"), "--worker"]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "PYTHONPATH": str(code), "BENCH_CODE_ROOT": str(code)}
    out = subprocess.run(argv, cwd=code, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"worker {options} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def fresh_pg(url: str) -> str:
    """Drop and create the bench database next to the test database; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS orange_bot_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE orange_bot_bench"))
    admin.dispose()
    return base.set(database="orange_bot_bench").render_as_string(hide_password=False)


def replicas(url: str, pg: str, counts: dict[str, int], ns: list[int], rate: float, tmp: Path) -> list[dict[str, Any]]:
    """One worker prepares the watches on PostgreSQL (and runs their first cycle); then, for each n, every watch is
    made due and n workers run the measured cycle at once, sharing the database."""
    db = fresh_pg(pg)
    common = {"url": url, "db": db, "counts": json.dumps(counts), "rate": rate, "mode": "orange-bot", "commands": 0}
    run_worker(HERE, role="prepare", out=tmp / "prep.json", **common)
    env = {**os.environ, "PYTHONPATH": str(HERE), "BENCH_CODE_ROOT": str(HERE)}
    found = []
    for n in ns:
        sys.path.insert(0, str(HERE))
        from storage.db import make_engine

        engine = make_engine(db)
        make_due(engine)
        engine.dispose()
        httpx.post(f"{url}/_sandbox/requests/reset")
        start = tmp / f"start-{n}"
        procs = []
        for _ in range(n):
            argv = [sys.executable, str(HERE / "bench" / "poll.py"), "--worker", "--role", "replica"]
            argv += ["--start", str(start)]
            for key, value in common.items():
                argv += [f"--{key}", str(value)]
            procs.append(subprocess.Popen(argv, cwd=HERE, env=env, stdout=subprocess.PIPE, text=True))
        time.sleep(4.0)  # every replica has imported and connected
        start.write_text("go")
        results = [json.loads(p.communicate(timeout=1200)[0].strip().splitlines()[-1]) for p in procs]
        total = httpx.get(f"{url}/_sandbox/requests").json()
        by_backend: dict[str, int] = {}
        for key, value in total["counts"].items():
            backend = "wholesale" if "united-way" in key else "business" if "/requests" in key else "carrier"
            by_backend[backend] = by_backend.get(backend, 0) + value
        found.append(
            {
                "replicas": n,
                "watches": sum(counts.values()),
                "wall_s": max(r["cycle_s"] for r in results),
                "polled": sum(r["polled"] for r in results),
                "unchanged": sum(r["unchanged"] or 0 for r in results),
                "requests": int(total["total"]),
                "by_backend": by_backend,
                "cpu_s": sum(r["cpu_s"] for r in results),
            }
        )
        print(found[-1], flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wholesale", type=int, default=100_000)
    parser.add_argument("--carrier", type=int, default=10_000)
    parser.add_argument("--business", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--baseline", default=None, help="a git ref to measure beside this checkout (SQLite)")
    parser.add_argument("--naive-sample", type=int, default=500, help="0: no naive row")
    parser.add_argument("--replicas", type=int, nargs="*", default=[2, 4])
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--only-replicas", action="store_true", help="skip the single-process rows")
    parser.add_argument("--json", type=Path)
    # worker and client options
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--role", default="solo")
    parser.add_argument("--mode", default="orange-bot")
    parser.add_argument("--url")
    parser.add_argument("--db")
    parser.add_argument("--counts")
    parser.add_argument("--out")
    parser.add_argument("--start")
    parser.add_argument("--commands-client")
    parser.add_argument("--go")
    args = parser.parse_args()
    if args.commands_client:
        urls = json.loads(sys.stdin.read())
        print(json.dumps(asyncio.run(commands_client(args.commands_client, Path(args.go), urls))))
        return
    if args.worker:
        print(json.dumps(asyncio.run(worker(args))))
        return

    counts = {"wholesale": args.wholesale, "carrier": args.carrier, "business": args.business}
    pg = os.environ.get("TEST_DATABASE_URL") if not args.no_pg else None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "integrations.sandbox", "--port", str(port), "--latency", str(args.latency)],
        cwd=HERE,
        env={**os.environ, "PYTHONPATH": str(HERE)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[dict[str, Any]] = []
    fleet: list[dict[str, Any]] = []
    worktree: Path | None = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_sandbox/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the sandbox did not start")
            time.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="orange-bench-poll-") as tmp_name:
            tmp = Path(tmp_name)
            common = {"url": url, "counts": json.dumps(counts), "rate": args.rate, "commands": args.commands}
            if not args.only_replicas:
                rows.append(run_worker(HERE, db=f"sqlite:///{tmp / 'a.db'}", **common))
                print(summary(rows[-1]), flush=True)
            if pg and not args.only_replicas:
                rows.append(run_worker(HERE, db=fresh_pg(pg), **common))
                print(summary(rows[-1]), flush=True)
            if args.baseline and not args.only_replicas:
                worktree = tmp / "baseline"
                subprocess.run(
                    ["git", "worktree", "add", "--detach", str(worktree), args.baseline], cwd=HERE, check=True
                )
                row = run_worker(worktree, db=f"sqlite:///{tmp / 'b.db'}", **common)
                rows.append(row | {"mode": f"before ({args.baseline})"})
                print(summary(rows[-1]), flush=True)
            if not args.only_replicas and args.naive_sample > 0:
                sample = {"wholesale": args.naive_sample}
                naive = run_worker(
                    HERE, db=f"sqlite:///{tmp / 'n.db'}", url=url, counts=json.dumps(sample), rate=args.rate,
                    commands=0, mode="naive",
                )  # fmt: skip
                scale = args.wholesale / args.naive_sample
                rows.append(naive | {"extrapolated_to": args.wholesale, "cycle_s": naive["cycle_s"] * scale})
                print(summary(rows[-1]), flush=True)
            if pg and args.replicas:
                fleet = replicas(url, pg, counts, [1, *args.replicas], args.rate, tmp)
            if worktree is not None:
                subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=HERE, check=False)
    finally:
        sandbox.terminate()
        sandbox.wait()
    print()
    print(report(rows, fleet, args))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "replicas": fleet}, indent=2))


def summary(row: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if k not in ("acks", "posts")} | {"posts": row.get("posts")})


def report(rows: list[dict[str, Any]], fleet: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"Sandbox latency {args.latency * 1000:.0f} ms per call; request cap {args.rate:g}/s per backend; "
        f"{args.commands} slash commands during the cycle.",
        "",
        "| poller | db | watches (w+c+b) | cycle | wholesale requests / watch | CPU ms / watch | peak RSS "
        "| changes posted once | ack p50 / p99 | max loop lag |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        c = r["counts"]
        watches = f"{c.get('wholesale', 0):,}+{c.get('carrier', 0):,}+{c.get('business', 0):,}"
        if "extrapolated_to" in r:
            watches = f"{r['extrapolated_to']:,} (from {c['wholesale']})"
        per_watch = r["wholesale_requests"] / max(1, c.get("wholesale", 0))
        cpu_ms = 1000 * r["cpu_s"] / max(1, r["watches"])
        posts = r.get("posts") or {}
        once = f"{sum(1 for v in posts.values() if v == 1)}/{len(posts)}" if posts else "–"
        acks = r.get("acks") or []
        ack = f"{statistics.median(acks) * 1000:.0f} / {percentile(acks, 99) * 1000:.0f} ms" if acks else "–"
        lines.append(
            f"| {r['mode']} | {r['db']} | {watches} | {r['cycle_s']:.1f} s | {per_watch:.4f} | {cpu_ms:.3f} "
            f"| {r['peak_rss_mb']:.0f} MB | {once} | {ack} | {r['loop_lag_ms']:.0f} ms |"
        )
    if fleet:
        lines += ["", "| replicas (PostgreSQL) | watches | wall time | polled | requests (w / c / b) | CPU s (all) |"]
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for f in fleet:
            b = f["by_backend"]
            split = f"{b.get('wholesale', 0):,} / {b.get('carrier', 0):,} / {b.get('business', 0):,}"
            lines.append(
                f"| {f['replicas']} | {f['watches']:,} | {f['wall_s']:.1f} s | {f['polled']:,} | {f['requests']:,}"
                f" ({split}) | {f['cpu_s']:.1f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
