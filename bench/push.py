"""Benchmark: from a change at Orange to its post in the order's Slack thread, push beside polling, one run.

    .venv/bin/python bench/push.py [--orders 30] [--changes 60] [--interval 10] [--latency 0.05] [--json FILE]

Everything runs as in production, each in its own process: the sandbox (`python -m integrations.sandbox
--latency 0.05`), and two `orange-bot run` processes in HTTP mode, each with its own SQLite file and its own
Slack simulator (served by this process on loopback):

  push      HUB_CALLBACK_URL set: the bot registers its hubs at start; the sandbox POSTs each event to the
            bot's listener; POLL_INTERVAL_SECONDS stays at its default (300 s: reconciliation only)
  polling   no hub: POLL_INTERVAL_SECONDS=--interval

Both watch the same `--orders` wholesale orders (signed `/orange watch` commands). The bench then changes one
order at a time through the sandbox's admin API (a new state each time), round robin, every 0.5–1 s (a fixed
seed), so that one order changes again only after the polling interval has passed; the latency of a change is
the time from the admin request to the reply landing in the thread of that order (the simulator reports each
post to this process as it is accepted). Goals (issue 11): push p99 < 2 s; polling ≤ interval + 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.simulator import FakeSlack, SlackUserClient  # noqa: E402
from bot.simulator.records import SimEvent  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CHANNEL = "C_GENERAL"
STATES = ("held", "pending", "inProgress")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
            await asyncio.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Bot:
    """One `orange-bot run` process with its Slack simulator; when each thread got each reply."""

    def __init__(self, name: str, fake: FakeSlack, sandbox: str, tmp: Path, *, interval: float | None) -> None:
        self.name = name
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.replies: dict[str, list[float]] = {}
        """thread ts → when each reply landed (monotonic)."""
        self.roots: dict[str, str] = {}
        """order id → thread ts."""
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "ORANGE_SANDBOX_URL": sandbox,
            "DATABASE_URL": f"sqlite:///{tmp / (name + '.db')}",
            "PORT": str(self.port),
        }
        env.pop("SLACK_APP_TOKEN", None)
        if interval is None:
            env["HUB_CALLBACK_URL"] = self.url + "/"
        else:
            env["POLL_INTERVAL_SECONDS"] = str(interval)
            env.pop("HUB_CALLBACK_URL", None)
        self.log = open(tmp / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        fake.subscribe(self._seen)

    def _seen(self, event: SimEvent) -> None:
        message = event.message or {}
        thread = message.get("thread_ts")
        if event.kind == "message" and thread and thread != event.ts:
            self.replies.setdefault(str(thread), []).append(time.monotonic())

    async def watch(self, order_ids: list[str]) -> None:
        async with SlackUserClient(f"{self.url}/slack/events", signing_secret=SECRET, fake=self.fake) as user:
            for order_id in order_ids:
                ack = await user.command(f"watch wholesale:{order_id}", channel=CHANNEL, user="U_ALICE")
                assert ack.status == 200, ack
        deadline = time.monotonic() + 60
        while len(self.roots) < len(order_ids):
            for message in self.fake.channel_messages(CHANNEL):
                for order_id in order_ids:
                    if f"Watching wholesale:{order_id}" in str(message.get("text")):
                        self.roots[order_id] = str(message["ts"])
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: only {len(self.roots)} of {len(order_ids)} watches started")
            await asyncio.sleep(0.1)

    def reply_times(self, order_id: str) -> list[float]:
        return self.replies.get(self.roots[order_id], [])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(11)
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "integrations.sandbox", "--port", str(sandbox_port), "--latency", str(args.latency)],
        cwd=ROOT,
    )
    bots: list[Bot] = []
    try:
        with tempfile.TemporaryDirectory(prefix="orange-bench-push-") as tmp_name:
            tmp = Path(tmp_name)
            async with FakeSlack.serve(bot_token=TOKEN) as push_slack, FakeSlack.serve(bot_token=TOKEN) as poll_slack:
                await wait_http(f"{sandbox_url}/_sandbox/health")
                push = Bot("push", push_slack, sandbox_url, tmp, interval=None)
                polling = Bot("polling", poll_slack, sandbox_url, tmp, interval=args.interval)
                bots = [push, polling]
                for bot in bots:
                    await wait_http(f"{bot.url}/healthz")
                async with httpx.AsyncClient(base_url=sandbox_url, timeout=30) as admin:
                    made = await admin.post(
                        "/_sandbox/bulk", json={"backend": "wholesale", "count": args.orders, "state": "inProgress"}
                    )
                    order_ids = list(made.json()["ids"])
                    await asyncio.gather(*(bot.watch(order_ids) for bot in bots))
                    deadline = time.monotonic() + 30
                    while not (await admin.get("/_sandbox/hubs")).json()["ordering"]:
                        if time.monotonic() > deadline:
                            raise RuntimeError("the push bot registered no hub")
                        await asyncio.sleep(0.1)
                    await asyncio.sleep(args.interval + 2)  # the first poll of every watch (its baseline) is done
                    current = dict.fromkeys(order_ids, "inProgress")
                    changes: list[tuple[str, int, float]] = []  # order, its n-th change, when
                    count: dict[str, int] = dict.fromkeys(order_ids, 0)
                    for n in range(args.changes):
                        order_id = order_ids[n % len(order_ids)]
                        new = rng.choice([s for s in STATES if s != current[order_id]])
                        started = time.monotonic()
                        answer = await admin.post(f"/_sandbox/orders/wholesale/{order_id}/state", json={"state": new})
                        assert answer.status_code == 200, answer.text
                        current[order_id] = new
                        count[order_id] += 1
                        changes.append((order_id, count[order_id], started))
                        await asyncio.sleep(rng.uniform(0.5, 1.0))
                    deadline = time.monotonic() + args.interval + 15
                    while time.monotonic() < deadline:
                        if all(len(bot.reply_times(o)) >= k for bot in bots for o, k, _ in changes):
                            break
                        await asyncio.sleep(0.2)
                    hubs = (await admin.get("/_sandbox/hubs")).json()
        results: dict[str, Any] = {
            "orders": args.orders,
            "changes": args.changes,
            "interval": args.interval,
            "latency": args.latency,
            "hub_deliveries": {
                outcome: sum(1 for d in hubs["deliveries"] if d["outcome"] == outcome)
                for outcome in {d["outcome"] for d in hubs["deliveries"]}
            },
        }
        for bot in bots:
            latencies: list[float] = []
            missing = 0
            for order_id, k, started in changes:
                times = bot.reply_times(order_id)
                if len(times) < k:
                    missing += 1
                else:
                    latencies.append(times[k - 1] - started)
            extra = sum(max(0, len(bot.reply_times(o)) - count[o]) for o in order_ids)
            results[bot.name] = {
                "posted": len(latencies),
                "missing": missing,
                "extra_posts": extra,
                "p50": statistics.median(latencies) if latencies else None,
                "p99": percentile(latencies, 99) if latencies else None,
                "max": max(latencies) if latencies else None,
            }
        return results
    finally:
        for bot in bots:
            bot.stop()
        sandbox.terminate()
        sandbox.wait(10)


def table(results: dict[str, Any]) -> str:
    goals = {"push": ("p99 < 2 s", 2.0), "polling": (f"≤ interval + 5 s = {results['interval'] + 5:g} s", None)}
    lines = [
        f"{results['orders']} watched wholesale orders, {results['changes']} changes, sandbox latency "
        f"{results['latency'] * 1000:.0f} ms, polling interval {results['interval']:g} s",
        "",
        "| mode | posted | missing | extra | p50 | p99 | max | goal | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in ("push", "polling"):
        r = results[mode]
        goal, limit = goals[mode]
        bound = limit if limit is not None else results["interval"] + 5
        met = r["missing"] == 0 and r["extra_posts"] == 0 and r["p99"] is not None and r["p99"] < bound
        if mode == "polling":
            met = met and r["max"] <= bound
        cells = [f"{r[k]:.2f} s" if r[k] is not None else "–" for k in ("p50", "p99", "max")]
        lines.append(
            f"| {mode} | {r['posted']} | {r['missing']} | {r['extra_posts']} | {' | '.join(cells)} | {goal} |"
            f" {'yes' if met else 'no'} |"
        )
    lines.append("")
    lines.append(f"hub deliveries: {results['hub_deliveries']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--interval", type=float, default=10.0, help="the polling bot's POLL_INTERVAL_SECONDS")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the sandbox adds to every API call")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = asyncio.run(bench(args))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
