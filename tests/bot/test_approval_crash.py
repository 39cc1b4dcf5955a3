"""kill -9 the process deciding an approval at every step of it: one carrier order in the end, watched.

The parent serves the Orange sandbox (a thread) and FakeSlack (its event loop) on loopback with a file SQLite
database, and asks for a quote to be ordered. The child (this file run as a script) clicks Approve, counting
the steps it takes: every committed unit of work and the carrier's answer to the POST. It SIGKILLs itself
right after step N. The parent then recovers the way a restarted bot does (the approvals job, with time moved
on; Approve again when the click never got in; Retry when the approval failed) and checks that Orange holds
exactly one order for the approval's external id, that the approval says so, and that the order is watched.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-test"
CHANNEL = "C_GENERAL"
STEPS = 9
"""Units of work in one approval, the carrier's answer included (checked by `test_the_steps_are_counted`)."""


def _settings(sandbox_url: str, slack_url: str, db_url: str) -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=TOKEN,
        slack_signing_secret="s",
        slack_api_url=slack_url,
        orange_sandbox_url=sandbox_url,
        database_url=db_url,
    )


class _Steps:
    """Counts the child's steps and kills the process after the `crash_at`-th (0: never)."""

    def __init__(self, crash_at: int) -> None:
        self.crash_at = crash_at
        self.taken = 0

    def step(self) -> None:
        self.taken += 1
        if self.taken == self.crash_at:
            os.kill(os.getpid(), signal.SIGKILL)


async def _child(sandbox_url: str, slack_url: str, db_url: str, approval_id: str, crash_at: str) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.approvals import Click, handle_click
    from bot.context import BotContext
    from integrations.client import OrangeClient
    from storage.db import make_engine

    steps = _Steps(int(crash_at))

    class Counted(BotContext):
        async def db(self, work: Any) -> Any:
            result = await super().db(work)
            steps.step()  # the unit of work is committed
            return result

    class Transport(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.method == "POST" and request.url.path.endswith("/productOrder"):
                steps.step()  # Orange has created the order and answered
            return response

    settings = _settings(sandbox_url, slack_url, db_url)
    async with OrangeClient(settings, http_client=httpx.AsyncClient(transport=Transport(), timeout=20)) as orange:
        ctx = Counted(settings=settings, orange=orange, engine=make_engine(db_url))
        client = AsyncWebClient(token=TOKEN, base_url=slack_url)
        key = f"approval-click:approve:{approval_id}:U_BOB:1"
        await handle_click(
            ctx, client, Click(action="approve", approval_id=approval_id, user_id="U_BOB", delivery_key=key)
        )
    print(steps.taken, flush=True)


@asynccontextmanager
async def _world(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.context import BotContext
    from bot.simulator import FakeSlack
    from integrations.client import OrangeClient
    from integrations.sandbox.server import running
    from storage.db import make_engine
    from storage.migrate import upgrade

    db_url = f"sqlite:///{tmp_path / f'approval-{uuid.uuid4().hex[:6]}.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with running() as sandbox:
        async with FakeSlack.serve(bot_token=TOKEN) as fake:
            settings = _settings(sandbox.url, fake.api_url, db_url)
            async with OrangeClient(settings) as orange:
                ctx = BotContext(settings=settings, orange=orange, engine=engine)
                client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
                yield {"ctx": ctx, "client": client, "fake": fake, "sandbox": sandbox, "db_url": db_url}
    engine.dispose()


async def _ask(world: dict[str, Any]) -> Any:
    """A pending approval to order a fresh quote, its card in the channel (the bot's own path)."""
    from bot_harness import fresh_quote

    from bot.approvals import request_quote_order
    from bot.slack import Where

    ctx = world["ctx"]
    quote = await fresh_quote(ctx.orange, bandwidth=50)
    reply = await request_quote_order(ctx, world["client"], Where("T1", CHANNEL, "U_ALICE"), f"carrier:{quote.id}")
    assert "Asked for approval" in reply.text, reply.text
    return await _latest(ctx)


async def _latest(ctx: Any) -> Any:
    from sqlmodel import col, select

    from storage.models import Approval

    return await ctx.db(
        lambda s: s.exec(select(Approval).order_by(col(Approval.created_at).desc())).first()  # type: ignore[arg-type]
    )


def _run_child(world: dict[str, Any], approval_id: str, crash_at: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [world["sandbox"].url, world["fake"].api_url, world["db_url"], approval_id, str(crash_at)]
    return subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


async def _recover(world: dict[str, Any], approval: Any) -> Any:
    """What a restarted bot and its approvers do, until the approval is decided and its card redrawn."""
    from bot.approvals import Click, handle_click, reconcile
    from bot.approvals.policy import LEASE, SETTLE, STALE_CARD
    from storage.columns import utcnow

    ctx, client = world["ctx"], world["client"]
    later = utcnow()
    for _ in range(6):
        current = await _latest(ctx)
        if current.state == "submitted":
            await reconcile(ctx, client, at=later + STALE_CARD + timedelta(seconds=1))  # the approvals job's sweep
            return current
        if current.state == "pending":  # the click never got in: the approver clicks again
            await handle_click(ctx, client, Click("approve", str(current.id), "U_BOB"))
        elif current.state == "failed":
            await handle_click(ctx, client, Click("retry", str(current.id), "U_CAROL"))
        else:  # submitting: its owner died, or Orange's answer was lost
            later += LEASE + SETTLE
            await reconcile(ctx, client, at=later)
    return await _latest(ctx)


async def test_the_steps_are_counted(tmp_path: Path) -> None:
    """Without a crash the child takes exactly `STEPS` steps, so the kill test below covers every one."""
    async with _world(tmp_path) as world:
        approval = await _ask(world)
        done = await asyncio.to_thread(_run_child, world, str(approval.id), 0)
        assert done.returncode == 0, done.stderr
        assert int(done.stdout.split()[-1]) == STEPS
        assert (await _latest(world["ctx"])).state == "submitted"


@pytest.mark.parametrize("crash_at", range(1, STEPS + 1))
async def test_kill_9_at_every_step_of_an_approval_leaves_one_watched_order(tmp_path: Path, crash_at: int) -> None:
    from sqlmodel import col, select

    from storage.models import Watch

    async with _world(tmp_path) as world:
        approval = await _ask(world)
        killed = await asyncio.to_thread(_run_child, world, str(approval.id), crash_at)
        assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
        final = await _recover(world, approval)
        assert final.state == "submitted", (final.state, final.error)
        assert final.external_id == approval.external_id and final.message_ts == approval.message_ts
        orders = [
            o for o in world["sandbox"].state.carrier_orders.values() if o.get("projectId") == approval.external_id
        ]
        assert len(orders) == 1, orders
        assert final.result and final.result["order_id"] == str(orders[0]["id"])
        watches = await world["ctx"].db(
            lambda s: s.exec(select(Watch).where(col(Watch.order_id) == str(orders[0]["id"]))).all()
        )
        assert len(watches) == 1 and watches[0].thread_ts == approval.message_ts
        card = world["fake"].message(CHANNEL, approval.message_ts)
        assert card is not None and "Sent to Orange" in str(card["blocks"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(_child(*sys.argv[1:6]))
