"""Replicas in child processes, for the kill -9 tests: each test module runs itself as the child (`__main__`), its
`_child` builds the replica's context here and loops over the jobs it tests.

    async with replica(sandbox_url, slack_url, db_url) as (ctx, client):
        while True:
            await send_outbox(ctx, client, retry_sending_after=timedelta(seconds=1))
    child = spawn(__file__, sandbox_url, slack_url, db_url)
    kill([child])
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.settings import Settings
from integrations.client import OrangeClient
from storage.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-test"


@contextlib.asynccontextmanager
async def replica(
    sandbox_url: str, slack_url: str, db_url: str, **settings: Any
) -> AsyncIterator[tuple[BotContext, AsyncWebClient]]:
    """A bot process's context (the sandbox, the simulator, the shared database) and its Slack client."""
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=TOKEN,
        slack_signing_secret="s",
        slack_api_url=slack_url,
        orange_sandbox_url=sandbox_url,
        database_url=db_url,
        **settings,
    )
    async with OrangeClient(config) as orange:
        ctx = BotContext(settings=config, orange=orange, engine=make_engine(db_url))
        yield ctx, AsyncWebClient(token=TOKEN, base_url=slack_url)


def spawn(module: str, *args: str) -> subprocess.Popen[bytes]:
    """Run the test module `module` (its `__file__`) as a child replica with `args`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "bot")])}
    return subprocess.Popen([sys.executable, module, *args], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def kill(children: list[subprocess.Popen[bytes]]) -> None:
    """kill -9 each child and reap it; the list is emptied."""
    for child in children:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    children.clear()


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """What `predicate` returns once it is truthy (the children work meanwhile); TimeoutError after `timeout` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := predicate()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)
    return found
