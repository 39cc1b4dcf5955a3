"""The simulator limits chat.postMessage per channel like Slack: a short burst, then one a second, 429 `ratelimited`
with `Retry-After` above it; on the simulator's own clock."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.simulator import FakeSlack
from bot.simulator.rate import PostRate


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def post(fake: FakeSlack, channel: str = "C_GENERAL") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url="http://simulator.local") as http:
        return await http.post(
            "/api/chat.postMessage",
            json={"channel": channel, "text": "hi"},
            headers={"Authorization": "Bearer xoxb-test"},
        )


async def test_a_burst_then_one_post_a_second_per_channel_429_with_retry_after_above_it() -> None:
    ticks = Ticks()
    fake = FakeSlack(clock=ticks, post_rate=PostRate(per_second=1.0, burst=4))

    assert [(await post(fake)).status_code for _ in range(4)] == [200] * 4
    refused = await post(fake)
    assert refused.status_code == 429 and refused.json() == {"ok": False, "error": "ratelimited"}
    assert refused.headers["Retry-After"] == "1"
    assert (await post(fake, "C_RANDOM")).status_code == 200  # per channel
    ticks.now += 1.0
    assert [(await post(fake)).status_code for _ in range(2)] == [200, 429]
    ticks.now += 3.0
    assert [(await post(fake)).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert fake.throttled == 3
    assert len(fake.channel_messages("C_GENERAL")) == 8  # nothing refused was posted


async def test_the_limit_is_on_by_default_and_not_on_updates_nor_ephemerals() -> None:
    async with FakeSlack.serve(clock=Ticks()) as served:
        client = AsyncWebClient(token="xoxb-test", base_url=served.api_url)
        ts = (await client.chat_postMessage(channel="C_GENERAL", text="root"))["ts"]
        for i in range(10):
            await client.chat_update(channel="C_GENERAL", ts=ts, text=f"edit {i}")
            await client.chat_postEphemeral(channel="C_GENERAL", user="U_ALICE", text=f"psst {i}")
        for _ in range(3):
            await client.chat_postMessage(channel="C_GENERAL", text="more")
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C_GENERAL", text="one too many")
        assert refused.value.response.status_code == 429 and refused.value.response.headers["Retry-After"] == "1"
        assert served.throttled == 1
        served.set_post_rate(None)
        for _ in range(10):
            await client.chat_postMessage(channel="C_GENERAL", text="unlimited")
        assert served.throttled == 1
