"""`orange-bot demo`: the bot on its embedded defaults, with no Slack workspace and no carrier credentials.

It starts the carrier sandbox, the local Slack simulator and the bot (HTTP mode, on loopback) on a temporary
SQLite database, then reads lines: a slash command (`/orange order carrier:11`), `click N` for a numbered button,
`wait S` to let S seconds pass (the notifier keeps polling), `advance S` to move the sandbox's clock and the bot's
(the history counts the time that passed), `place N` to place N wholesale orders through Orange's API. Every message
the bot sends is printed as readable text with its buttons numbered; a file it shares (a report's chart, a CSV) is
also written to a folder whose path is printed. It exits at the end of input; on a terminal it is an interactive
prompt.

    /orange subscribe wholesale      # every new wholesale order is watched here
    place 4
    advance 5 / wait 4               # three times: acknowledged → accepted → in progress → completed
    /orange report                   # the report, its chart and CSV
"""

from __future__ import annotations

import asyncio
import itertools
import shlex
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import httpx

from bot.app import create_bolt_app, create_web_app, make_web_client
from bot.runner import bot_context, start_background
from bot.settings import Settings
from bot.simulator import FakeSlack, SlackUserClient, serve_asgi
from bot.simulator.web_api import SimEvent
from integrations.client import OrangeClient
from integrations.sandbox.examples import get_example
from integrations.sandbox.server import running

__all__ = ["main", "run_demo"]

TOKEN = "xoxb-demo"
SECRET = "demo-signing-secret"
CHANNEL = "C_GENERAL"
FILES = Path(tempfile.gettempdir()) / "orange-bot-demo-files"
"""Where the demo writes the files the bot shares (the simulator keeps them in memory)."""
USERS = {"alice": "U_ALICE", "bob": "U_BOB", "carol": "U_CAROL", "marie": "U_MARIE"}
"""Marie's Slack is in French (locale fr-FR): what she asks is answered in French."""

HELP = """Type a slash command, e.g. `/orange order carrier:11` or
  `/orange watch wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63`.
  click N          press button [N]
  as bob /orange … type as another user (alice, bob, carol; marie reads Slack in French)
  wait S           let S seconds pass (the notifier polls every few seconds)
  advance S        move the sandbox's clock and the bot's S seconds (orders move along their lifecycle)
  place N          place N wholesale orders through Orange's API (each moves along its lifecycle as time passes)
  state REF STATE  set an order's state in the sandbox, e.g. `state wholesale:<id> held`
  error REF ITEM MESSAGE   open an error message on an order item in the sandbox
  quit"""


class Printer:
    def __init__(self, user: SlackUserClient, out: Callable[[str], None], fake: FakeSlack | None = None) -> None:
        self.user = user
        self.out = out
        self.fake = fake
        self.seen = 0

    def saved(self, message: dict[str, object]) -> list[str]:
        """The files a message shares, written to `FILES` so that a person can open the chart; their paths."""
        paths: list[str] = []
        for shared in message.get("files") or []:  # type: ignore[attr-defined]
            stored = self.fake.file(str(shared.get("id"))) if self.fake is not None else None
            if stored is None or stored.content is None:
                continue
            FILES.mkdir(parents=True, exist_ok=True)
            path = FILES / f"{stored.id}-{stored.name}"
            path.write_bytes(stored.content)
            paths.append(str(path))
        return paths

    def __call__(self, event: SimEvent) -> None:
        if event.kind not in ("message", "update", "ephemeral", "view", "home") or (
            event.message is None and event.view is None
        ):
            return
        self.seen += 1
        where = {
            "message": f"#{event.channel}" + (" (thread)" if (event.message or {}).get("thread_ts") else ""),
            "update": f"#{event.channel} (edited)",
            "ephemeral": f"#{event.channel}, only you",
            "view": "modal",
            "home": "App Home",
        }[event.kind]
        surface = event.message if event.message is not None else event.view
        assert surface is not None
        rendered = self.user.render(surface, channel=event.channel)
        body = "\n".join("    " + line for line in str(rendered).splitlines())
        self.out(f"--- orange-bot → {where}\n{body}")
        if event.message is not None:
            for path in self.saved(event.message):
                self.out(f"    (file written to {path})")


async def _lines(source: TextIO, interactive: bool) -> AsyncIterator[str]:
    while True:
        if interactive:
            line = await asyncio.to_thread(input, "you> ")
        else:
            line = await asyncio.to_thread(source.readline)
            if not line:
                return
        yield line.rstrip("\n")


async def _settle(printer: Printer, *, quiet: float = 0.4, limit: float = 15.0, since: int | None = None) -> None:
    """Wait until the bot has been quiet for `quiet` seconds (its answers come after the ack); `since`: how many
    messages had been printed when a command was sent: first wait for one more (up to `limit`: a report draws its
    chart before it answers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last = printer.seen
    start = since if since is not None else last
    quiet_since = loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        if printer.seen != last:
            last, quiet_since = printer.seen, loop.time()
        elif loop.time() - quiet_since >= quiet and (since is None or printer.seen != start):
            return


async def run_demo(
    lines: Iterable[str] | TextIO | None = None, *, out: Callable[[str], None] = print, interactive: bool = False
) -> int:
    with tempfile.TemporaryDirectory(prefix="orange-bot-demo-") as tmp, running(step_seconds=5.0) as sandbox:
        async with FakeSlack.serve(bot_token=TOKEN) as fake:
            fake.add_user("U_MARIE", "marie", locale="fr-FR")
            settings = Settings(
                _env_file=None,
                slack_bot_token=TOKEN,
                slack_signing_secret=SECRET,
                slack_api_url=fake.api_url,
                orange_sandbox_url=sandbox.url,
                database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
                poll_interval_seconds=3,
            )
            async with bot_context(settings) as ctx:
                client = make_web_client(settings)
                web = create_web_app(create_bolt_app(ctx, client=client), ctx)
                async with (
                    serve_asgi(web) as bot_url,
                    SlackUserClient(f"{bot_url}/slack/events", signing_secret=SECRET, fake=fake) as user,
                    httpx.AsyncClient(base_url=sandbox.url) as admin,
                ):
                    scheduler = await start_background(ctx, client)
                    printer = Printer(user, out, fake)
                    clock = _Offset()
                    ctx.clock = clock  # `advance S` moves the bot's clock with the sandbox's
                    unsubscribe = fake.subscribe(printer)
                    out(f"orange-bot demo — sandbox {sandbox.url}, Slack simulator {fake.api_url}, bot {bot_url}")
                    out("Type `help` for what you can do.\n")
                    try:
                        await _loop(lines, interactive, user, admin, printer, out, clock=clock, orange=ctx.orange)
                    finally:
                        unsubscribe()
                        if scheduler is not None:
                            scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
    return 0


async def _iterate(lines: Iterable[str] | TextIO | None, interactive: bool) -> AsyncIterator[str]:
    if lines is None or hasattr(lines, "readline"):
        async for line in _lines(lines if lines is not None else sys.stdin, interactive):  # type: ignore[arg-type]
            yield line
    else:
        for line in lines:
            yield line


async def _loop(
    lines: Iterable[str] | TextIO | None,
    interactive: bool,
    user: SlackUserClient,
    admin: httpx.AsyncClient,
    printer: Printer,
    out: Callable[[str], None],
    *,
    clock: _Offset | None = None,
    orange: OrangeClient | None = None,
) -> None:
    async for raw in _iterate(lines, interactive):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not interactive:
            out(f"you> {line}")
        words = line.split()
        who = USERS["alice"]
        if words[0] == "as" and len(words) > 2 and words[1] in USERS:
            who = USERS[words[1]]
            line = line.split(None, 2)[2]
            words = line.split()
        before = printer.seen
        try:
            if words[0] in ("quit", "exit"):
                return
            if words[0] == "help":
                out(HELP)
            elif line.startswith("/"):
                command, _, text = line.partition(" ")
                await user.command(text, command=command, user=who, channel=CHANNEL)
            elif words[0] == "click" and len(words) == 2 and words[1].isdigit():
                await user.click(int(words[1]), user=who)
            elif words[0] == "wait" and len(words) == 2:
                await asyncio.sleep(float(words[1]))
            elif words[0] == "advance" and len(words) == 2:
                await admin.post("/_sandbox/advance", json={"seconds": float(words[1])})
                if clock is not None:
                    clock.offset += timedelta(seconds=float(words[1]))
                out(f"(sandbox and bot clocks moved {words[1]} s)")
            elif words[0] == "place" and len(words) == 2 and words[1].isdigit() and orange is not None:
                placed = [await _place(orange, n) for n in range(int(words[1]))]
                out(f"(placed {len(placed)} wholesale orders: {', '.join(placed)})")
            elif words[0] == "state" and len(words) == 3:
                backend, _, order_id = words[1].partition(":")
                r = await admin.post(f"/_sandbox/orders/{backend}/{order_id}/state", json={"state": words[2]})
                out(f"(sandbox: {words[1]} is now {words[2]})" if r.is_success else f"(sandbox said {r.text})")
            elif words[0] == "error" and len(words) >= 4:
                backend, _, order_id = words[1].partition(":")
                parts = shlex.split(line)
                r = await admin.post(
                    f"/_sandbox/orders/{backend}/{order_id}/errors",
                    json={"item": parts[2], "message": " ".join(parts[3:]), "reason": "DEMO"},
                )
                out("(sandbox: error opened)" if r.is_success else f"(sandbox said {r.text})")
            else:
                out("Not understood; type `help`.")
                continue
        except (KeyError, ValueError) as err:
            out(f"({err})")
            continue
        await _settle(printer, since=before if line.startswith("/") else None)


class _Offset:
    """The bot's clock in the demo: real time plus what `advance` added."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


_PLACED = itertools.count(1)


async def _place(orange: OrangeClient, n: int) -> str:
    """One wholesale order placed through the API from the documents' example, with a buyer's reference of its own."""
    body = get_example("wholesale/product-order-create-request").body
    number = next(_PLACED)
    body["externalIdentifier"] = [
        {"id": f"DEMO-{number:04d}", "externalIdentifierType": "customerIdentifier", "owner": "demo"}
    ]
    body["description"] = f"Demo order {number}"
    created = await orange.wholesale.orders.create(body)
    return f"wholesale:{created.id} (DEMO-{number:04d})"


def main() -> int:
    interactive = sys.stdin.isatty()
    return asyncio.run(run_demo(None, interactive=interactive))
