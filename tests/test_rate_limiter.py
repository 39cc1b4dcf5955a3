"""The per-backend request-rate cap: the token bucket on its own (time handed in), and inside the client, where
every attempt passes it, retries included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from integrations._base_client import BaseAPI, RetryPolicy
from integrations._exceptions import InternalServerError
from integrations._rate import RateLimiter
from integrations.client import OrangeClient
from integrations.sandbox import create_app
from integrations.sandbox.wholesale import ORDERING_PREFIX
from integrations.settings import OrangeSettings

API = "https://api.test/v1"
SANDBOX = "http://sandbox.test"


class FakeTime:
    """A clock that moves only when someone sleeps; every sleep is recorded. Like a real one, a sleep always takes
    some time (a float clock that a rounding-sized sleep does not move would keep the limiter asking for more)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def waits(self) -> list[float]:
        """The sleeps that mattered (not the rounding-sized ones)."""
        return [s for s in self.sleeps if s > 1e-3]

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 1e-6)
        await asyncio.sleep(0)


async def test_a_burst_passes_at_once_then_the_rate_holds() -> None:
    t = FakeTime()
    limiter = RateLimiter(5.0, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        await limiter.acquire()
    assert t.sleeps == [] and t.now == 100.0  # a second's worth at once
    await limiter.acquire()
    assert t.waits() == [pytest.approx(0.2)]
    for _ in range(44):
        await limiter.acquire()
    assert limiter.acquired == 50
    assert t.now - 100.0 == pytest.approx(45 / 5.0, abs=1e-3)  # 50 requests at 5 a second, the first 5 free


async def test_time_spent_elsewhere_refills_the_bucket_up_to_its_burst() -> None:
    t = FakeTime()
    limiter = RateLimiter(2.0, burst=2, clock=t.clock, sleep=t.sleep)
    await limiter.acquire()
    await limiter.acquire()
    t.now += 60.0  # a minute idle: two tokens, not 120
    for _ in range(3):
        await limiter.acquire()
    assert t.waits() == [pytest.approx(0.5)]


async def test_concurrent_callers_share_one_bucket_in_turn() -> None:
    t = FakeTime()
    limiter = RateLimiter(1.0, burst=1, clock=t.clock, sleep=t.sleep)
    order: list[int] = []

    async def caller(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    await asyncio.gather(*(caller(n) for n in range(4)))
    assert order == [0, 1, 2, 3] and t.now - 100.0 == pytest.approx(3.0, abs=1e-3)


async def test_no_cap_at_zero_and_a_new_rate_takes_effect() -> None:
    t = FakeTime()
    limiter = RateLimiter(0, clock=t.clock, sleep=t.sleep)
    for _ in range(1000):
        await limiter.acquire()
    assert limiter.acquired == 1000 and t.sleeps == []
    limiter.set_rate(1.0)
    await limiter.acquire()
    await limiter.acquire()
    assert t.waits() == [pytest.approx(1.0)]


async def test_each_retry_of_a_503_passes_the_cap() -> None:
    """Three retries of a 503 are four attempts: four acquisitions, and at one request a second they take 3 s,
    whatever the retry back-off (shorter) says."""
    t = FakeTime()
    attempts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(t.now)
        return httpx.Response(503, json={"code": 5, "message": "The service is temporarily unavailable"})

    limiter = RateLimiter(1.0, burst=1, clock=t.clock, sleep=t.sleep)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        api = BaseAPI(
            backend="wholesale",
            http_client=http,
            retry=RetryPolicy(max_retries=3),
            sleep=t.sleep,
            clock=t.clock,
            limiter=limiter,
        )
        with pytest.raises(InternalServerError):
            await api.get_json(f"{API}/productOrder", operation="list orders")
    assert len(attempts) == 4 and limiter.acquired == 4
    assert all(b - a >= 1.0 - 1e-3 for a, b in zip(attempts, attempts[1:], strict=False)), attempts


async def test_the_clients_retries_against_the_sandbox_are_counted_by_its_backends_cap() -> None:
    app = create_app(start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    async def no_wait(seconds: float) -> None:
        return None

    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SANDBOX) as admin,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http,
    ):
        settings = OrangeSettings(orange_sandbox_url=SANDBOX, _env_file=None)  # type: ignore[call-arg]
        orange = OrangeClient(settings, http_client=http, sleep=no_wait)
        fault = {"path": "^" + ORDERING_PREFIX + "/", "status": 503, "body": {"code": 5}, "count": -1}
        assert (await admin.post("/_sandbox/faults", json=fault)).status_code < 300
        with pytest.raises(InternalServerError):
            await orange.wholesale.orders.list()
        counts = (await admin.get("/_sandbox/requests")).json()["counts"]
        assert {k: n for k, n in counts.items() if "/oauth/" not in k} == {f"GET {ORDERING_PREFIX}/productOrder": 4}
        assert orange.wholesale.limiter.acquired == 4  # the request and its 3 retries
        assert orange.carrier.limiter.acquired == 0  # one cap per backend
