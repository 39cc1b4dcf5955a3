"""kill -9 the poller + sender at random moments: every change is still posted exactly once.

The parent serves the Orange sandbox (a thread) and FakeSlack (its event loop) on loopback, with a file SQLite
database; the child (this file run as a script) loops `run_cycle` + `send_outbox` against them, and is
SIGKILLed and restarted several times while the parent adds milestones and errors (changes that persist, so
each must reach the thread whatever poll sees it) and finally completes the orders.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from bot_harness import shown
from replicas import ROOT, TOKEN, replica, spawn

CHANNEL = "C_GENERAL"


async def _child(sandbox_url: str, slack_url: str, db_url: str) -> None:
    """A replica: the poll and the outbox, in a loop (leases and claims of 1 s)."""
    from bot.jobs.poll import run_cycle
    from bot.notify.outbox import send_outbox

    owner = f"child-{os.getpid()}"
    async with replica(sandbox_url, slack_url, db_url, poll_interval_seconds=0.2) as (ctx, client):
        while True:
            await run_cycle(ctx, owner=owner, lease=timedelta(seconds=1))
            await send_outbox(ctx, client, retry_sending_after=timedelta(seconds=1))
            await asyncio.sleep(0.02)


async def test_kill_9_at_random_moments_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.notify.diff import diff
    from bot.simulator import FakeSlack
    from integrations.sandbox.server import running
    from integrations.views import order_view_from_wholesale
    from storage import crud
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with running() as sandbox:
        async with FakeSlack.serve(bot_token=TOKEN) as fake, httpx.AsyncClient(base_url=sandbox.url) as admin:
            slack = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
            ids = (await admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 3})).json()["ids"]
            roots: dict[str, str] = {}
            for order_id in ids:
                raw = (await admin.get(f"/_sandbox/orders/wholesale/{order_id}")).json()
                await admin.post(f"/_sandbox/orders/wholesale/{order_id}/state", json={"state": "inProgress"})
                raw["state"] = "inProgress"
                view = order_view_from_wholesale(raw)
                roots[order_id] = str((await slack.chat_postMessage(channel=CHANNEL, text=view.reference))["ts"])
                with session_scope(engine) as s:
                    w, _ = crud.create_watch(
                        session=s,
                        team_id="T1",
                        channel_id=CHANNEL,
                        backend="wholesale",
                        order_id=order_id,
                        created_by="U_ALICE",
                        thread_ts=roots[order_id],
                    )
                    s.flush()
                    crud.save_snapshot(session=s, watch_id=w.id, view=diff(None, view)[1].to_json())

            expected: dict[str, list[str]] = {order_id: [] for order_id in ids}
            child = spawn(__file__, sandbox.url, fake.api_url, db_url)
            kills = 0
            try:
                for step in range(24):
                    order_id = ids[step % len(ids)]
                    name = f"Step-{step:03d}"
                    if step % 4 == 3:
                        await admin.post(f"/_sandbox/orders/wholesale/{order_id}/errors", json={"message": name})
                    else:
                        await admin.post(f"/_sandbox/orders/wholesale/{order_id}/milestones", json={"message": name})
                    expected[order_id].append(name)
                    await asyncio.sleep(rng.uniform(0.02, 0.35))
                    if step % 4 == 1:
                        os.kill(child.pid, signal.SIGKILL)
                        child.wait()
                        kills += 1
                        child = spawn(__file__, sandbox.url, fake.api_url, db_url)
                for order_id in ids:
                    await admin.post(f"/_sandbox/orders/wholesale/{order_id}/state", json={"state": "completed"})
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                kills += 1
                child = spawn(__file__, sandbox.url, fake.api_url, db_url)

                def done() -> bool:
                    return all(
                        any("is completed" in shown(m) for m in fake.thread(CHANNEL, ts)) for ts in roots.values()
                    )

                deadline = time.monotonic() + 20
                while not done() and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.5)  # anything posted twice would show by now
            finally:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()

            assert kills == 7
            for order_id, ts in roots.items():
                texts = [shown(m) for m in fake.thread(CHANNEL, ts)]
                for name in expected[order_id]:
                    assert sum(name in t for t in texts) == 1, (name, texts)
                assert sum("is completed" in t for t in texts) == 1, texts
                assert len(texts) == len(set(texts)), texts
                outbox_ids: list[Any] = [m["metadata"]["event_payload"]["id"] for m in fake.thread(CHANNEL, ts)]
                assert len(outbox_ids) == len(set(outbox_ids))
            with session_scope(engine) as s:
                from sqlmodel import select

                from storage.models import OutboxMessage

                statuses = {m.status for m in s.exec(select(OutboxMessage)).all()}
            assert statuses == {"sent"}, statuses
    engine.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(_child(*sys.argv[1:4]))
