"""Serve an ASGI app on loopback inside the running event loop.

async with serve_asgi(app, port=0) as base_url:  # "http://127.0.0.1:54321"
    ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stopping = asyncio.Event()

    # The host process (pytest, the demo) owns SIGINT/SIGTERM; several servers share one loop.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        # uvicorn's loop, but woken at once on stop instead of at the next 0.1 s tick
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), 0.1)


@contextlib.asynccontextmanager
async def serve_asgi(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn until the block exits; yields its base URL (no trailing slash)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    config = uvicorn.Config(
        app, lifespan="off", log_level=log_level, access_log=False, timeout_graceful_shutdown=1, ws="none"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        server.stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
