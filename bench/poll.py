"""Benchmark: the notifier's poll cycle over 1,000 and 10,000 wholesale watches, beside a naive poller.

    .venv/bin/python bench/poll.py [--sizes 1000 10000] [--naive-sample 500] [--latency 0.05] [--json FILE]

The sandbox runs in its own process (`python -m integrations.sandbox --latency 0.05` on 127.0.0.1); each
measurement runs in a worker process of its own (its peak RSS is its own) with a file SQLite database and a
FakeSlack on loopback. A worker creates the orders (`POST /_sandbox/bulk`), inserts the watches directly
(crud, with a baseline snapshot), changes a few orders in the sandbox, then runs ONE cycle and drains the outbox:

  orange-bot   `run_cycle` (one list request per 50 watched orders, `fields=`) + the outbox sender
  naive        one sequential full `GET /productOrder/{id}` per order, diff, one commit per watch

Reported: cycle wall time, sandbox requests per watch per cycle (`GET /_sandbox/requests`, token requests
included), CPU time per 1,000 watches (the worker's user+system time during the cycle), the worker's peak RSS,
and the delay from a sandbox change (made just before the cycle starts) to its Slack post. In production a
change also waits up to POLL_INTERVAL_SECONDS for the next cycle; that wait is not in the figure.
The naive poller is measured on `--naive-sample` watches and extrapolated linearly (it is sequential).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHANGED = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def prepare(url: str, count: int, db_url: str) -> tuple[Any, Any, list[str]]:
    """Orders in the sandbox, watches with baseline snapshots in the database; returns (ctx, fake roots, ids)."""
    sys.path.insert(0, str(ROOT))
    from bot.context import BotContext
    from bot.diff import FIELDS_COMPARED, diff
    from bot.settings import Settings
    from integrations import OrangeClient
    from integrations.views import order_view_from_wholesale
    from storage import crud
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    async with httpx.AsyncClient(base_url=url, timeout=600) as admin:
        body = {"backend": "wholesale", "count": count, "state": "inProgress"}
        ids: list[str] = (await admin.post("/_sandbox/bulk", json=body)).json()["ids"]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test",
        slack_signing_secret="s",
        orange_sandbox_url=url,
        database_url=db_url,
        poll_interval_seconds=300,
    )
    engine = make_engine(db_url)
    upgrade(engine)
    orange = OrangeClient(settings)
    ctx = BotContext(settings=settings, orange=orange, engine=engine)
    views: dict[str, Any] = {}
    semaphore = asyncio.Semaphore(16)

    async def page(chunk: list[str]) -> None:
        async with semaphore:
            async for order in orange.wholesale.orders.list({"id": chunk, "fields": list(FIELDS_COMPARED)}):
                view = order_view_from_wholesale(order)
                views[view.id] = view

    await asyncio.gather(*(page(ids[i : i + 50]) for i in range(0, len(ids), 50)))
    with session_scope(engine) as s:
        for n, order_id in enumerate(ids):
            w, _ = crud.create_watch(
                session=s,
                team_id="T1",
                channel_id="C_GENERAL",
                backend="wholesale",
                order_id=order_id,
                created_by="U_ALICE",
                thread_ts=f"1600000000.{n:06d}",
            )
            s.flush()
            crud.save_snapshot(session=s, watch_id=w.id, view=diff(None, views[order_id])[1].to_json())
    return ctx, orange, ids


async def post_roots(ctx: Any, fake: Any, ids: list[str]) -> None:
    """Real thread roots in FakeSlack for the orders that will change."""
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy import update
    from sqlmodel import col

    from storage.db import session_scope
    from storage.models import Watch

    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    for order_id in ids:
        ts = str((await client.chat_postMessage(channel="C_GENERAL", text=order_id))["ts"])
        with session_scope(ctx.engine) as s:
            s.exec(update(Watch).where(col(Watch.order_id) == order_id).values(thread_ts=ts))  # type: ignore[call-overload]


async def naive_cycle(ctx: Any, ids: list[str]) -> int:
    """One sequential full GET per order, diff, one commit per watch."""
    from sqlmodel import col, select

    from bot.blocks.events import render_event_text
    from bot.diff import EventKind, Snapshot, diff
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
                    session=s,
                    watch_id=watch.id,
                    fingerprint=e.fingerprint,
                    kind=e.kind.value,
                    payload={"text": render_event_text(e), "event": e.model_dump(mode="json")},
                    broadcast=e.kind is EventKind.final,
                )
            crud.save_snapshot(session=s, watch_id=watch.id, view=snapshot.to_json())
    return len(ids)


async def measure(mode: str, url: str, count: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.jobs.outbox import drain_outbox
    from bot.jobs.poll import run_cycle
    from bot.simulator import FakeSlack

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        ctx, orange, ids = await prepare(url, count, db_url)
        changed = ids[:: max(1, count // CHANGED)][:CHANGED]
        async with FakeSlack.serve(bot_token="xoxb-test") as fake, httpx.AsyncClient(base_url=url) as admin:
            await post_roots(ctx, fake, changed)
            posted: dict[str, float] = {}
            fake.subscribe(
                lambda e: (
                    posted.setdefault(str(e.message.get("thread_ts")), time.monotonic())
                    if e.kind == "message" and e.message
                    else None
                )
            )
            await admin.post("/_sandbox/requests/reset")
            started_at: dict[str, float] = {}
            for order_id in changed:
                await admin.post(f"/_sandbox/orders/wholesale/{order_id}/state", json={"state": "held"})
                started_at[order_id] = time.monotonic()
            cpu0, t0 = cpu(), time.monotonic()
            if mode == "orange-bot":
                stats = await run_cycle(ctx, owner="bench")
                polled = stats.polled
            else:
                polled = await naive_cycle(ctx, ids)
            cycle = time.monotonic() - t0
            cpu_used = cpu() - cpu0
            requests = (await admin.get("/_sandbox/requests")).json()
            client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
            await drain_outbox(ctx, client)
            roots = await _roots(ctx, changed)
            delays = [posted[roots[o]] - started_at[o] for o in changed if roots.get(o) in posted]
        await orange.aclose()
        ctx.engine.dispose()
    return {
        "mode": mode,
        "watches": count,
        "polled": polled,
        "cycle_s": cycle,
        "requests": int(requests.get("total", 0)),
        "requests_per_watch": int(requests.get("total", 0)) / count,
        "cpu_s": cpu_used,
        "cpu_ms_per_watch": 1000 * cpu_used / count,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "posted": len(delays),
        "delay_max_s": max(delays) if delays else None,
        "delay_min_s": min(delays) if delays else None,
    }


async def _roots(ctx: Any, ids: list[str]) -> dict[str, str]:
    from sqlmodel import col, select

    from storage.db import session_scope
    from storage.models import Watch

    with session_scope(ctx.engine) as s:
        return {w.order_id: str(w.thread_ts) for w in s.exec(select(Watch).where(col(Watch.order_id).in_(ids)))}


def run_worker(mode: str, url: str, count: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", mode, "--url", url, "--count", str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--naive-sample", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker")
    parser.add_argument("--url")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(measure(args.worker, args.url, args.count))))
        return

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "integrations.sandbox", "--port", str(port), "--latency", str(args.latency)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        rows: list[dict[str, Any]] = []
        naive = run_worker("naive", url, args.naive_sample)
        for size in args.sizes:
            rows.append(run_worker("orange-bot", url, size))
            scale = size / args.naive_sample
            rows.append(
                naive
                | {
                    "watches": size,
                    "cycle_s": naive["cycle_s"] * scale,
                    "cpu_s": naive["cpu_s"] * scale,
                    "extrapolated_from": args.naive_sample,
                }
            )
    finally:
        sandbox.terminate()
        sandbox.wait()

    print(f"Sandbox latency {args.latency * 1000:.0f} ms per API call; SQLite; one cycle after {CHANGED} changes.\n")
    print(
        "| poller | watches | cycle wall time | requests / watch / cycle | CPU ms / watch | CPU s / 1,000 watches "
        "| peak RSS | change → Slack post |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        note = f" (extrapolated from {r['extrapolated_from']})" if "extrapolated_from" in r else ""
        delay = f"{r['delay_min_s']:.2f}–{r['delay_max_s']:.2f} s" if r.get("delay_max_s") is not None else "n/a"
        if note:
            delay = f"≥ {r['cycle_s']:.0f} s (sequential)"
        print(
            f"| {r['mode']}{note} | {r['watches']:,} | {r['cycle_s']:.2f} s | {r['requests_per_watch']:.3f} "
            f"| {r['cpu_ms_per_watch']:.2f} | {r['cpu_ms_per_watch']:.2f} s | {r['peak_rss_mb']:.0f} MB | {delay} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
