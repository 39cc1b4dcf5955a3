"""A whole bot for tests: the Orange sandbox in-process, the Slack simulator on loopback, the bot's HTTP front
in-process, SQLite in a temp dir. Requests into the bot are real signed Slack requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette

from bot.app import create_bolt_app, create_web_app
from bot.context import BotContext
from bot.metrics import Metrics
from bot.notify.pace import ChannelPacer
from bot.settings import Settings
from bot.simulator import FakeSlack, SlackUserClient
from integrations.client import OrangeClient
from integrations.sandbox import create_app as create_sandbox
from storage.db import make_engine
from storage.migrate import upgrade

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
SANDBOX = "http://sandbox.test"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    ctx: BotContext
    bolt: AsyncApp
    web: Starlette
    fake: FakeSlack
    user: SlackUserClient
    sandbox: Starlette
    clock: Clock
    admin: httpx.AsyncClient


@pytest.fixture
def sandbox_clock() -> Clock:
    return Clock()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def harness(db_url: str, sandbox_clock: Clock) -> AsyncIterator[Harness]:
    sandbox = create_sandbox(clock=sandbox_clock, start=START, step_seconds=5.0)
    # Slack's per-channel post limit (on by default in the simulator and the demo) is lifted here, and the outbox's
    # pace with it: these tests set up ten or a hundred watches in a second through commands, which Slack would
    # throttle, and their ctx clock is often frozen while the simulator's runs. The limit and the pacing are tested
    # on one virtual clock in test_storm.py and test_simulator_rate.py.
    async with FakeSlack.serve(bot_token=TOKEN, post_rate=None) as fake:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            orange_sandbox_url=SANDBOX,
            database_url=db_url,
        )
        engine = make_engine(db_url)
        upgrade(engine)
        orange_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
        metrics = Metrics()
        orange = OrangeClient(settings, http_client=orange_http, observer=metrics)
        # No limit, no pace: the outbox's pacing is tested on a virtual clock (test_storm.py).
        ctx = BotContext(
            settings=settings, orange=orange, engine=engine, metrics=metrics, pacer=ChannelPacer(interval=0.0)
        )
        bolt = create_bolt_app(ctx)
        web = create_web_app(bolt, ctx)
        async with (
            SlackUserClient(
                "http://bot.test/slack/events",
                signing_secret=SECRET,
                fake=fake,
                transport=httpx.ASGITransport(app=web),
            ) as user,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX) as admin,
        ):
            yield Harness(ctx, bolt, web, fake, user, sandbox, sandbox_clock, admin)
        await orange_http.aclose()
        engine.dispose()


async def fresh_quote(orange: OrangeClient, *, bandwidth: int = 20) -> Any:
    """A firm EVPL quote the sandbox approves at once (valid 7 days from its calendar's start)."""
    return await orange.carrier.quotes.create(
        {
            "quoteLevel": "firm",
            "quoteItem": [
                {
                    "id": "1",
                    "action": "add",
                    "product": {
                        "productSpecification": {"id": "TransitELine"},
                        "productConfiguration": {
                            "@type": "EVPL",
                            "bandwidth": bandwidth,
                            "classOfService": "GUARANTEED",
                        },
                    },
                    "requestedQuoteItemTerm": {"duration": {"amount": 1, "units": "year"}},
                }
            ],
        }
    )


def shown(message: dict[str, Any]) -> str:
    """What a person sees of a message in the channel: its blocks' text, or its `text` when it has no blocks (the
    `text` of a message with blocks is what a notification shows)."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            parts.append(str(text["text"]))
        parts += [str(e["text"]) for e in block.get("elements") or [] if isinstance(e, dict) and "text" in e]
    return "\n".join(parts) if parts else str(message.get("text") or "")
