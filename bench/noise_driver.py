"""The scenarios of bench/noise.py, run on one code tree: Slack calls per real-world event.

    .venv/bin/python bench/noise_driver.py --code <tree> [--items 10] [--backfill 40] [--outage-watches 300]
        [--outage-minutes 10] [--storm 200] [--only a,b,c,d,e] [--json FILE]

`--code` goes first on sys.path, so the same driver runs today's tree and an older one (the .venv is shared). It
drives a tree only through what every tree since the issue has: the sandbox in-process (its `/_sandbox/…` admin
API), the Slack simulator (every call it answered, from `FakeSlack.calls`), signed slash commands and clicks
(`SlackUserClient`), `bot.jobs.poll.run_cycle` and the outbox sender (`bot.notify.outbox` or, before it,
`bot.jobs.outbox`). Each scenario gets a world of its own (SQLite file, sandbox, simulator) and counts the calls
from the event to the moment nothing is owed any more.

Time is virtual: one clock in seconds is the simulator's (when it takes one: its per-channel post limit), the
per-channel pacer's (when the tree has one: `bot.notify.pace`, its sleep moves the clock) and, as a datetime, the
notifier's (`BotContext.clock`, when the tree has it). A row the outbox left for later (a 429's Retry-After) is
brought that much closer while the clock moves as far, so a drain never sleeps. For the storm, the time until the
last post lands is measured on that clock when the tree paces its posts or the simulator limits them; otherwise
(posts as fast as the outbox goes, nothing to stop them) it is computed: one second per post in the busiest channel.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import importlib
import inspect
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CHANNEL = "C_GENERAL"
SANDBOX = "http://sandbox.test"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
W = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
"""The sandbox's seeded 10-item wholesale order."""
FAST = dict.fromkeys(("wholesale", "carrier", "business"), 100_000.0)
"""The poll's request-rate cap per backend: off (the bench counts Slack calls, not Orange's pace)."""
POST_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")


class VClock:
    """Virtual seconds: the simulator's and the pacer's clock; its sleep moves it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class Landed:
    """ASGI wrapper around the simulator: when (virtual time) and with what status each Web API call was answered."""

    def __init__(self, app: Any, clock: VClock) -> None:
        self.app = app
        self.clock = clock
        self.log: list[tuple[str, int, float]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        status = [0]

        async def watch(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        path = str(scope.get("path", ""))
        if scope.get("type") == "http" and path.startswith("/api/"):
            self.log.append((path[len("/api/") :], status[0], self.clock.now))


@dataclasses.dataclass
class World:
    ctx: Any
    fake: Any
    user: Any
    admin: httpx.AsyncClient
    slack: Any
    clock: VClock
    landed: Landed
    drain: Callable[..., Any]
    pacer: bool
    limited: bool


def _accepts(func: Any, name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _outbox() -> Any:
    for name in ("bot.notify.outbox", "bot.jobs.outbox"):  # the sender moved into bot/notify with issue 17
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("no outbox sender in this tree")


@contextlib.asynccontextmanager
async def world(*, poll_interval: float = 300.0) -> AsyncIterator[World]:
    """A bot of its own: SQLite in a temp dir, the sandbox in-process, the simulator on loopback, signed requests."""
    import bot.subscriptions as subscriptions

    # A backfill's roots are spaced ROOT_SPACING apart on the wall clock: counted here, not waited for.
    spacing = getattr(subscriptions, "ROOT_SPACING", None)
    if spacing is not None:
        subscriptions.ROOT_SPACING = timedelta(0)
    try:
        async with _world(poll_interval) as w:
            yield w
    finally:
        if spacing is not None:
            subscriptions.ROOT_SPACING = spacing


@contextlib.asynccontextmanager
async def _world(poll_interval: float) -> AsyncIterator[World]:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.app import create_bolt_app, create_web_app
    from bot.context import BotContext
    from bot.settings import Settings
    from bot.simulator import FakeSlack, SlackUserClient
    from integrations.client import OrangeClient
    from integrations.sandbox import create_app as create_sandbox
    from storage.db import make_engine
    from storage.migrate import upgrade

    clock = VClock()
    epoch = datetime.now(UTC) - timedelta(seconds=clock.now)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'noise.db'}"
        sandbox_clock = 1000.0
        sandbox = create_sandbox(clock=lambda: sandbox_clock, start=START, step_seconds=5.0)
        fake_options: dict[str, Any] = {"bot_token": TOKEN}
        if _accepts(FakeSlack.__init__, "clock"):  # a simulator with a per-channel post limit runs on virtual time
            fake_options["clock"] = clock
        fake = FakeSlack(**fake_options)
        landed = Landed(fake.app, clock)
        fake.app = landed
        async with fake.serving():
            wanted = {
                "_env_file": None,
                "slack_bot_token": TOKEN,
                "slack_signing_secret": SECRET,
                "slack_api_url": fake.api_url,
                "orange_sandbox_url": SANDBOX,
                "database_url": db_url,
                "poll_interval_seconds": poll_interval,
                "poll_requests_per_second": 100_000.0,
            }
            settings = Settings(**{k: v for k, v in wanted.items() if k == "_env_file" or k in Settings.model_fields})
            engine = make_engine(db_url)
            upgrade(engine)
            orange_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
            orange = OrangeClient(settings, http_client=orange_http)
            fields = {f.name for f in dataclasses.fields(BotContext)}
            extra: dict[str, Any] = {}
            if "clock" in fields:
                extra["clock"] = lambda: epoch + timedelta(seconds=clock.now)
            pacer = False
            if "pacer" in fields:  # the per-channel pacer, on the virtual clock
                from bot.notify.pace import ChannelPacer  # type: ignore[import-not-found, unused-ignore]

                extra["pacer"] = ChannelPacer(clock=clock, sleep=clock.sleep)
                pacer = True
            ctx = BotContext(settings=settings, orange=orange, engine=engine, **extra)
            web = create_web_app(create_bolt_app(ctx), ctx)
            slack = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
            async with (
                SlackUserClient(
                    "http://bot.test/slack/events",
                    signing_secret=SECRET,
                    fake=fake,
                    transport=httpx.ASGITransport(app=web),
                    timeout=60.0,
                ) as user,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX) as admin,
            ):
                limited = getattr(fake, "_post_buckets", None) is not None
                yield World(ctx, fake, user, admin, slack, clock, landed, _outbox().drain_outbox, pacer, limited)
            await orange_http.aclose()
            engine.dispose()


# --- driving ---------------------------------------------------------------------------------------


async def admin(w: World, path: str, body: dict[str, Any]) -> Any:
    response = await w.admin.post(path, content=json.dumps(body))
    if response.status_code >= 300:
        raise RuntimeError(f"{path}: {response.status_code} {response.text}")
    return response.json()


async def commands(w: World, texts: list[str], *, user: str = "U_ALICE", at_once: int = 10) -> list[str]:
    """Signed `/orange …` commands, `at_once` at a time; what each answered (its response_url posts)."""
    answers: list[str] = []
    for start in range(0, len(texts), at_once):
        chunk = texts[start : start + at_once]
        before = len(w.fake.response_posts())
        acks = await asyncio.gather(*(w.user.command(t, channel=CHANNEL, user=user) for t in chunk))
        if any(a.status != 200 for a in acks):
            raise RuntimeError(f"a command was refused: {[a.status for a in acks]}")
        await w.fake.wait_for_responses(count=before + len(chunk), timeout=60)
        answers += [json.dumps(p.body) for p in w.fake.response_posts()[before:]]
    return answers


async def watch(w: World, order_ids: list[str], *, at_once: int = 4) -> None:
    """`/orange watch` each order, a few at a time at Slack's pace (a simulator that limits posts per channel
    refuses a burst): the clock moves a second a watch, and a refused one is asked again a second later."""
    todo = list(order_ids)
    for _ in range(10 * len(order_ids) + 10):
        if not todo:
            await settle(w)
            return
        chunk, todo = todo[:at_once], todo[at_once:]
        answers = await commands(w, [f"watch wholesale:{o}" for o in chunk], at_once=at_once)
        w.clock.now += float(len(chunk))
        for order_id, answer in zip(chunk, answers, strict=True):
            if "ratelimited" in answer:
                todo.append(order_id)
            elif "Watching" not in answer:
                raise RuntimeError(f"watch refused: {answer}")
    raise RuntimeError("the watches were refused again and again")


def _unsent(w: World) -> list[Any]:
    from sqlmodel import Session, col, select

    from storage.models import OutboxMessage

    with Session(w.ctx.engine) as s:
        owed = col(OutboxMessage.status).in_(["pending", "sending"])
        return list(s.exec(select(OutboxMessage).where(owed)).all())


def _time_passes(w: World) -> None:
    """Nothing due, something owed later (a Retry-After, a pace): that moment comes, on every clock at once."""
    from sqlmodel import Session, col, select

    from storage.models import OutboxMessage

    with Session(w.ctx.engine) as s:
        rows = list(s.exec(select(OutboxMessage).where(col(OutboxMessage.status) == "pending")).all())
        if not rows:
            return
        now = datetime.now(UTC)
        first = min(r.next_attempt_at for r in rows)
        step = timedelta(seconds=min(3600.0, max(1.0, (first - now).total_seconds())))
        for r in rows:
            r.next_attempt_at = r.next_attempt_at - step
            s.add(r)
        s.commit()
    w.clock.now += step.total_seconds()


async def settle(w: World, *, until: Callable[[], bool] = lambda: True, rounds: int = 5000) -> None:
    """Drain the outbox until nothing is owed and `until` holds (a click's listener works in the background)."""
    for _ in range(rounds):
        stats = await w.drain(w.ctx, w.slack)
        unsent = _unsent(w)
        if not unsent and until():
            return
        if unsent and stats.sent == 0 and all(r.status == "pending" for r in unsent):
            _time_passes(w)
        else:
            await asyncio.sleep(0.01)  # background work on this loop (a listener's own posts)
    raise RuntimeError("the outbox never settled")


async def due(w: World) -> None:
    from sqlalchemy import text

    def work(session: Any) -> None:
        session.exec(text("UPDATE watch SET next_poll_at = NULL, lease_owner = NULL, lease_until = NULL"))

    await w.ctx.db(work)


async def cycle(w: World) -> Any:
    from bot.jobs.poll import run_cycle

    await due(w)
    stats = await run_cycle(w.ctx, owner="bench", rates=FAST)
    await settle(w)
    return stats


# --- counting ------------------------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    return value not in (None, "", False, "false", "0", 0)


def count(calls: list[Any]) -> dict[str, int]:
    """Slack calls by kind: what landed (200, ok), and what Slack refused with 429."""
    counts: Counter[str] = Counter()
    for c in calls:
        if c.method not in POST_METHODS:
            continue
        if c.status == 429:
            counts["429s"] += 1
            continue
        if c.method != "response_url" and not c.ok:
            counts["failed"] += 1
            continue
        if c.method == "chat.postMessage":
            if _truthy(c.params.get("thread_ts")):
                counts["replies"] += 1
                if _truthy(c.params.get("reply_broadcast")):
                    counts["broadcasts"] += 1
            else:
                counts["posts"] += 1
        elif c.method == "chat.update":
            counts["edits"] += 1
        else:
            counts["ephemeral"] += 1
    counts["calls"] = sum(v for k, v in counts.items() if k in ("replies", "posts", "edits", "ephemeral"))
    return dict(counts)


class Window:
    """The calls from now until `close()`."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.first = len(w.fake.calls)
        self.first_landed = len(w.landed.log)
        self.started = w.clock.now

    def calls(self) -> list[Any]:
        return list(self.w.fake.calls[self.first :])

    def close(self) -> dict[str, int]:
        return count(self.calls())


# --- the scenarios -------------------------------------------------------------------------------


async def cancelled(items: int) -> dict[str, Any]:
    """(a) a 10-item wholesale order cancelled in 3 steps, every item moving with the order."""
    async with world() as w:
        order = await admin_get(w, f"/_sandbox/orders/wholesale/{W}")
        assert len(order["productOrderItem"]) == items, "the seeded order has 10 items"
        await watch(w, [W])
        await cycle(w)
        window = Window(w)
        for step in ("assessingCancellation", "pendingCancellation", "cancelled"):
            await admin(w, f"/_sandbox/orders/wholesale/{W}/state", {"state": step, "cascade": True})
            await cycle(w)
        return {"steps": 3, "items": items, **window.close()}


async def delivered(items: int) -> dict[str, Any]:
    """(b) the same order delivered, a milestone reported on every item first."""
    async with world() as w:
        order = await admin_get(w, f"/_sandbox/orders/wholesale/{W}")
        await watch(w, [W])
        await cycle(w)
        window = Window(w)
        for item in order["productOrderItem"]:
            body = {"item": str(item["id"]), "message": "Raccordement réalisé"}
            await admin(w, f"/_sandbox/orders/wholesale/{W}/milestones", body)
        await admin(w, f"/_sandbox/orders/wholesale/{W}/state", {"state": "completed", "cascade": True})
        await cycle(w)
        return {"steps": 1, "items": items, **window.close()}


async def admin_get(w: World, path: str) -> Any:
    response = await w.admin.get(path)
    response.raise_for_status()
    body = response.json()
    return body.get("order", body)


async def backfill(orders: int) -> dict[str, Any]:
    """(c) "Watch these too" on a rule that N orders match already; then one poll cycle (nothing changed)."""
    from sqlmodel import Session, col, func, select

    from bot.blocks.subscriptions import ACTION_SUBSCRIPTION_EXISTING
    from storage.models import Watch

    async with world() as w:
        made = await admin(w, "/_sandbox/bulk", {"backend": "wholesale", "count": orders, "state": "held"})
        ids = [str(i) for i in made["ids"]]
        refs = {
            i: str((await admin_get(w, f"/_sandbox/orders/wholesale/{i}"))["externalIdentifier"][0]["id"]) for i in ids
        }
        (answer,) = await commands(w, ["subscribe wholesale state=held"])
        if "is on" not in answer:
            raise RuntimeError(f"subscribe refused: {answer}")
        await settle(w)
        card = next(
            m for m in reversed(w.fake.channel_messages(CHANNEL)) if ACTION_SUBSCRIPTION_EXISTING in json.dumps(m)
        )

        def watched() -> int:
            with Session(w.ctx.engine) as s:
                query = select(func.count()).select_from(Watch).where(col(Watch.subscription_id).is_not(None))
                return int(s.exec(query).one())

        window = Window(w)
        ack = await w.user.click(ACTION_SUBSCRIPTION_EXISTING, user="U_BOB", message=card)
        assert ack.status == 200, ack.status
        await settle(w, until=lambda: watched() == orders)
        await cycle(w)
        counts = window.close()
        # A summary: a top-level post naming most of the orders (each by its id or the buyer's reference).
        summaries = 0
        for c in window.calls():
            if c.method == "chat.postMessage" and c.ok and not _truthy(c.params.get("thread_ts")):
                named = json.dumps(c.params)
                if sum(1 for i, ref in refs.items() if i in named or ref in named) >= max(2, orders // 2):
                    summaries += 1
        return {"orders": orders, "watched": watched(), "summaries": summaries, **counts}


async def outage(watches: int, minutes: int) -> dict[str, Any]:
    """(d) the wholesale backend answers 500 to everything for `minutes` minutes under `watches` watches (a poll
    cycle a minute), then answers again: every call until the first cycle that reads every watch again."""
    async with world(poll_interval=60.0) as w:
        made = await admin(w, "/_sandbox/bulk", {"backend": "wholesale", "count": watches, "state": "inProgress"})
        await watch(w, [str(i) for i in made["ids"]])
        await cycle(w)
        window = Window(w)
        fault = await admin(
            w, "/_sandbox/faults", {"path": "productOrder", "method": "GET", "status": 500, "count": -1}
        )
        for _ in range(minutes):
            w.clock.now += 60.0
            await cycle(w)
        (await w.admin.delete(f"/_sandbox/faults/{fault['id']}")).raise_for_status()
        down = window.close()
        for extra in range(1, 31):  # a tree that probes a down backend less often than every cycle finds it later
            w.clock.now += 60.0
            stats = await cycle(w)
            if stats.polled >= watches:
                break
        else:
            raise RuntimeError("the backend was never read again")
        total = window.close()
        up = {k: v - down.get(k, 0) for k, v in total.items() if v - down.get(k, 0)}
        return {"watches": watches, "minutes": minutes, "cycles_after": extra, "while_down": down, "after": up, **total}


async def storm(orders: int) -> dict[str, Any]:
    """(e) `orders` watched orders in one channel each change at once (held, and a milestone): one poll cycle,
    then the outbox until nothing is owed. The time until the last post lands, at 1 post/s per channel."""
    async with world() as w:
        made = await admin(w, "/_sandbox/bulk", {"backend": "wholesale", "count": orders, "state": "inProgress"})
        ids = [str(i) for i in made["ids"]]
        await watch(w, ids)
        await cycle(w)
        for order_id in ids:
            path = f"/_sandbox/orders/wholesale/{order_id}"
            await admin(w, f"{path}/state", {"state": "held", "cascade": True})
            await admin(w, f"{path}/milestones", {"message": "Intervention reportée"})
        window = Window(w)
        started = w.clock.now
        wall = time.monotonic()
        await cycle(w)
        wall = time.monotonic() - wall
        counts = window.close()
        landed = [
            t for m, status, t in w.landed.log[window.first_landed :] if m == "chat.postMessage" and status == 200
        ]
        per_channel = Counter(
            str(c.params.get("channel")) for c in window.calls() if c.method == "chat.postMessage" and c.ok
        )
        busiest = max(per_channel.values(), default=0)
        if w.pacer or w.limited:
            drain_s = (max(landed) - started) if landed else 0.0
            how = (
                "measured (virtual clock: "
                + ", ".join(n for n, on in (("pacer", w.pacer), ("simulator limit", w.limited)) if on)
                + ")"
            )
        else:
            drain_s = float(max(0, busiest - 1))
            how = "computed (no pacer, no limit): 1 s per post in the busiest channel"
        return {
            "orders": orders,
            "busiest_channel_posts": busiest,
            "drain_s": round(drain_s, 1),
            "drain_how": how,
            "wall_s": round(wall, 1),
            **counts,
        }


SCENARIOS = ("a", "b", "c", "d", "e")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    out: dict[str, Any] = {}
    jobs: dict[str, Callable[[], Any]] = {
        "a": lambda: cancelled(args.items),
        "b": lambda: delivered(args.items),
        "c": lambda: backfill(args.backfill),
        "d": lambda: outage(args.outage_watches, args.outage_minutes),
        "e": lambda: storm(args.storm),
    }
    for name in SCENARIOS:
        if name in only:
            t0 = time.monotonic()
            out[name] = await jobs[name]()
            out[name]["seconds"] = round(time.monotonic() - t0, 1)
            print(f"  {name}: {json.dumps(out[name])}", file=sys.stderr, flush=True)
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1], help="the tree to run")
    p.add_argument("--items", type=int, default=10)
    p.add_argument("--backfill", type=int, default=40)
    p.add_argument("--outage-watches", type=int, default=300)
    p.add_argument("--outage-minutes", type=int, default=10)
    p.add_argument("--storm", type=int, default=200)
    p.add_argument("--only", default="", help="a,b,c,d,e")
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))
    import logging

    logging.disable(logging.WARNING)  # a tree's own warnings (the outage's) are not the bench's output
    result = asyncio.run(run(args))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
