from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sandbox_testing import START, FakeClock, get_token
from starlette.applications import Starlette

from integrations.sandbox import SandboxState, create_app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Starlette:
    return create_app(clock=clock, start=START)


@pytest.fixture
def sandbox(app: Starlette) -> SandboxState:
    return app.state.sandbox  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        yield http


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    """Headers for every API: a bearer token and a business API key."""
    return {"Authorization": f"Bearer {await get_token(client)}", "X-API-Key": "any-key"}
