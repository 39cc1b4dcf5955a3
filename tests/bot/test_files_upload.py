"""Slack's file upload flow through the bot's own Web API client (`make_web_client`, `SLACK_API_URL`) against the
simulator: the bytes read back equal, the share lands in the thread asked for, and what Slack refuses is refused
(no files:write in the grant, a channel the bot is not in, a wrong, expired or short upload, a second completion).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.files import UPLOAD_FAILED, upload_file
from bot.settings import Settings
from bot.simulator import DEFAULT_SCOPES, FakeSlack, render_surface
from bot.simulator.files import UPLOAD_TTL
from bot.web_client import make_web_client

TOKEN = "xoxb-test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(fake: FakeSlack) -> AsyncWebClient:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=TOKEN,
        slack_signing_secret="secret",
        slack_api_url=fake.api_url,
    )
    return make_web_client(settings)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.serve(bot_token=TOKEN, post_rate=None, clock=Clock()) as served:
        yield served


async def test_a_chart_is_shared_in_the_thread_and_reads_back_byte_for_byte(fake: FakeSlack) -> None:
    client = _client(fake)
    root = await client.chat_postMessage(channel="C_GENERAL", text="Report")
    file_id = await upload_file(
        client,
        channel="C_GENERAL",
        thread_ts=root["ts"],
        filename="report-2026-11.png",
        content=PNG,
        title="Orders, November 2026",
        initial_comment="The chart",
        alt_text="Bars of orders by outcome",
    )
    assert file_id is not None
    stored = fake.file(file_id)
    assert stored is not None and stored.content == PNG and stored.completed
    assert stored.alt_txt == "Bars of orders by outcome"
    # in the thread, not in the channel
    assert [m["ts"] for m in fake.channel_messages("C_GENERAL")] == [root["ts"]]
    (shared,) = fake.thread("C_GENERAL", root["ts"])
    assert stored.shares == [("C_GENERAL", shared["ts"])]
    assert shared["text"] == "The chart"
    (file,) = shared["files"]
    assert (file["id"], file["name"], file["title"], file["size"], file["mimetype"]) == (
        file_id,
        "report-2026-11.png",
        "Orders, November 2026",
        len(PNG),
        "image/png",
    )
    assert f"[file: report-2026-11.png (Orders, November 2026), {len(PNG)} bytes]" in render_surface(shared)
    async with httpx.AsyncClient() as http:  # url_private, with the bot token as Slack wants
        assert (await http.get(file["url_private"], headers={"Authorization": f"Bearer {TOKEN}"})).content == PNG
        assert (await http.get(file["url_private"])).status_code == 403
    # what the client sent: the announced length, and the completion once
    (announce,) = fake.calls_to("files.getUploadURLExternal")
    assert (announce.params["filename"], int(announce.params["length"])) == ("report-2026-11.png", len(PNG))
    assert len(fake.calls_to("files.completeUploadExternal")) == 1


async def test_without_files_write_slack_refuses_and_nothing_is_shared() -> None:
    granted = [s for s in DEFAULT_SCOPES if s != "files:write"]
    assert "files:write" in DEFAULT_SCOPES  # the manifest grants it
    async with FakeSlack.serve(bot_token=TOKEN, scopes=granted, post_rate=None) as fake:
        with pytest.raises(SlackApiError) as raised:
            await upload_file(
                _client(fake), channel="C_GENERAL", thread_ts=None, filename="a.csv", content=b"a,b\n", title="Orders"
            )
        assert (raised.value.response["error"], raised.value.response["needed"]) == ("missing_scope", "files:write")
        assert fake.files == {} and fake.channel_messages("C_GENERAL") == []


@pytest.mark.parametrize("private", [False, True])
async def test_a_channel_the_bot_is_not_in_answers_not_in_channel(fake: FakeSlack, private: bool) -> None:
    fake.add_channel("C_OUT", "outside", is_member=False, is_private=private)
    with pytest.raises(SlackApiError) as raised:
        await upload_file(
            _client(fake), channel="C_OUT", thread_ts=None, filename="a.csv", content=b"a,b\n", title="Orders"
        )
    assert raised.value.response["error"] == "not_in_channel"
    assert fake.channel_messages("C_OUT") == []
    (stored,) = fake.files.values()
    assert stored.content == b"a,b\n" and not stored.completed and stored.shares == []


async def test_a_thread_that_is_not_there_is_refused(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError, match="thread_not_found"):
        await upload_file(
            _client(fake), channel="C_GENERAL", thread_ts="1.000001", filename="a.csv", content=b"x", title="x"
        )
    assert fake.channel_messages("C_GENERAL") == []


async def test_the_completion_is_never_repeated_by_the_client(fake: FakeSlack) -> None:
    fake.inject("files.completeUploadExternal", status=500, performed=True)
    with pytest.raises(SlackApiError):
        await upload_file(_client(fake), channel="C_GENERAL", thread_ts=None, filename="a.csv", content=b"x", title="x")
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    assert len(fake.channel_messages("C_GENERAL")) == 1  # Slack shared it, then failed its answer: once


async def test_an_upload_url_refusing_the_bytes_is_a_slack_api_error(fake: FakeSlack) -> None:
    clock = fake.clock
    assert isinstance(clock, Clock)

    class Jumping(Clock):  # every reading is UPLOAD_TTL later: the URL has expired when the bytes arrive
        def __call__(self) -> float:
            self.now += UPLOAD_TTL + 1
            return self.now

    fake.clock = Jumping()
    with pytest.raises(SlackApiError) as raised:
        await upload_file(_client(fake), channel="C_GENERAL", thread_ts=None, filename="a.png", content=PNG, title="x")
    assert raised.value.response["error"] == UPLOAD_FAILED
    assert fake.calls_to("files.completeUploadExternal") == []


# ---------------------------------------------------------------------- the upload URL and completion, by hand


async def _announce(client: AsyncWebClient, length: int, name: str = "report.png") -> tuple[str, str]:
    ticket = await client.files_getUploadURLExternal(filename=name, length=length)
    return str(ticket["upload_url"]), str(ticket["file_id"])


async def test_the_upload_url_is_the_simulators_and_refuses_what_slack_refuses(fake: FakeSlack) -> None:
    client = _client(fake)
    clock = fake.clock
    assert isinstance(clock, Clock)
    async with httpx.AsyncClient() as http:
        url, file_id = await _announce(client, len(PNG))
        assert url.startswith(fake.base_url + "/upload/v1/")
        assert (await http.post(url + "x", content=PNG)).status_code == 404  # a wrong URL
        assert (await http.post(url, content=PNG[:-1])).status_code == 400  # shorter than announced
        assert (await http.post(url, content=PNG + b"!")).status_code == 400  # longer
        assert fake.file(file_id).content is None  # type: ignore[union-attr]
        # multipart, as `curl -F filename=@report.png` sends it
        answer = await http.post(url, files={"filename": ("report.png", PNG, "image/png")})
        assert (answer.status_code, answer.text) == (200, f"OK - {len(PNG)}")
        assert fake.file(file_id).content == PNG  # type: ignore[union-attr]

        late, _ = await _announce(client, 3)
        clock.now += UPLOAD_TTL + 1
        assert (await http.post(late, content=b"abc")).status_code == 404  # expired

        done = await client.files_completeUploadExternal(files=[{"id": file_id, "title": "Chart"}])
        assert done["files"] == [{"id": file_id, "title": "Chart"}]  # not shared: no channel given
        assert (await http.post(url, content=PNG)).status_code == 404  # spent
        with pytest.raises(SlackApiError, match="file_not_found"):  # completed twice
            await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C_GENERAL")
        _, never_uploaded = await _announce(client, 3)
        with pytest.raises(SlackApiError, match="file_not_found"):  # bytes never uploaded
            await client.files_completeUploadExternal(files=[{"id": never_uploaded}], channel_id="C_GENERAL")
        with pytest.raises(SlackApiError, match="file_not_found"):  # never announced
            await client.files_completeUploadExternal(files=[{"id": "F0000000000"}], channel_id="C_GENERAL")
    assert fake.channel_messages("C_GENERAL") == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"filename": "a.png", "length": 0}, "missing_argument"),
        ({"filename": "a.png"}, "invalid_arguments"),
        ({"filename": "a.png", "length": "many"}, "invalid_arguments"),
        ({"length": 3}, "invalid_arguments"),
        ({"filename": "a.png", "length": 3, "alt_txt": "x" * 1001}, "alt_txt_too_large"),
    ],
)
async def test_get_upload_url_refuses_bad_arguments(fake: FakeSlack, args: dict[str, object], error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await _client(fake).api_call("files.getUploadURLExternal", data=args)
    assert raised.value.response["error"] == error
