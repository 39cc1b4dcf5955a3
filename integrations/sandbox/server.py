"""Serving the sandbox over HTTP with uvicorn: in the foreground (``serve``) or in a thread (``running``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .state import SandboxState


def serve(host: str = "127.0.0.1", port: int = 8765, *, log_level: str = "warning", **create_app_kwargs: Any) -> None:
    """Run the sandbox until interrupted (``orange-bot sandbox``, ``python -m integrations.sandbox``)."""
    app = create_app(**create_app_kwargs)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
    uvicorn.Server(config).run()


@dataclass
class RunningSandbox:
    url: str
    app: Starlette

    @property
    def state(self) -> SandboxState:
        return self.app.state.sandbox  # type: ignore[no-any-return]


@contextmanager
def running(
    host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0, **create_app_kwargs: Any
) -> Iterator[RunningSandbox]:
    """Serve the sandbox in a background thread on a real socket (port 0: any free port).

    with running() as sandbox:
        httpx.get(f"{sandbox.url}/_sandbox/health")
    """
    app = create_app(**create_app_kwargs)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="orange-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the sandbox did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningSandbox(url=f"http://{host}:{bound}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout)
