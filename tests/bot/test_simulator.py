"""The Slack simulator against a real slack-bolt AsyncApp served over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.simulator import DEFAULT_SCOPES, FakeSlack, Signing, SlackUserClient, render_message, render_view, serve_asgi
from bot.simulator.render import mrkdwn_to_text

SIGNINGS: tuple[Signing, ...] = ("valid", "forged", "missing", "stale")
TOKEN = "xoxb-test"
SECRET = "secret"

PICK_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Pick* one"}},
    {
        "type": "actions",
        "block_id": "pick",
        "elements": [
            {"type": "button", "action_id": "press", "value": "v1", "text": {"type": "plain_text", "text": "Press"}}
        ],
    },
]
QUOTE_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "quote",
    "title": {"type": "plain_text", "text": "New quote"},
    "submit": {"type": "plain_text", "text": "Quote"},
    "blocks": [
        {
            "type": "input",
            "block_id": "site_a",
            "label": {"type": "plain_text", "text": "Site A"},
            "element": {"type": "external_select", "action_id": "site", "min_query_length": 2},
        },
        {
            "type": "input",
            "block_id": "bw",
            "label": {"type": "plain_text", "text": "Bandwidth"},
            "element": {
                "type": "static_select",
                "action_id": "bandwidth",
                "options": [
                    {"text": {"type": "plain_text", "text": "10 Mbps"}, "value": "10"},
                    {"text": {"type": "plain_text", "text": "100 Mbps"}, "value": "100"},
                ],
            },
        },
    ],
}


@dataclass
class Bot:
    url: str
    asgi: Starlette | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack.serve(port=0, bot_token=TOKEN, first_ts="1700000000.000100") as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeSlack) -> AsyncIterator[Bot]:
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=fake.api_url))
    state = Bot(url="")

    @app.command("/orange")
    async def orange(ack: AsyncAck, respond: AsyncRespond, client: AsyncWebClient, command: dict[str, Any]) -> None:
        await ack()
        if command["text"] == "modal":
            await client.views_open(trigger_id=command["trigger_id"], view=QUOTE_MODAL)
            return
        await respond("hi")
        await client.chat_postMessage(channel=command["channel_id"], text="Pick one", blocks=PICK_BLOCKS)

    @app.action("press")
    async def press(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        state.seen.append(body)
        await respond(text="pressed", replace_original=True)

    @app.options("site")
    async def sites(ack: AsyncAck, payload: dict[str, Any]) -> None:
        found = [s for s in ("Paris", "Lyon", "Pau") if s.lower().startswith(payload["value"].lower())]
        await ack(options=[{"text": {"type": "plain_text", "text": s}, "value": s.upper()} for s in found])

    @app.view("quote")
    async def quote(ack: AsyncAck, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        state.seen.append(values)
        if values["bw"]["bandwidth"]["selected_option"] is None:
            await ack(response_action="errors", errors={"bw": "Pick a bandwidth"})
        else:
            await ack()

    @app.event("app_mention")
    async def mention(event: dict[str, Any], request: AsyncBoltRequest) -> None:
        state.seen.append(event)
        state.headers.append({k: v[0] for k, v in request.headers.items()})

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    state.asgi = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    async with serve_asgi(state.asgi) as base_url:
        state.url = f"{base_url}/slack/events"
        yield state


@pytest.fixture
async def user(fake: FakeSlack, bot: Bot) -> AsyncIterator[SlackUserClient]:
    async with SlackUserClient(bot.url, signing_secret=SECRET, fake=fake) as client:
        yield client


@pytest.fixture
async def web(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.api_url, timeout=5)


# ---------------------------------------------------------------------- the whole loop


async def test_command_respond_post_render_click(fake: FakeSlack, bot: Bot, user: SlackUserClient) -> None:
    ack = await user.command("hello")
    assert (ack.status, ack.body) == (200, "")
    assert ack.elapsed < 3

    [posted] = await fake.wait_for_responses(ack.response_url)
    assert posted.body == {"text": "hi"}  # bolt's respond() POSTs JSON to response_url; Slack's default: ephemeral
    assert posted.effect == "ephemeral"
    assert [m["text"] for m in fake.ephemeral_messages("U_ALICE", "C_GENERAL")] == ["hi"]

    [message] = await fake.wait_for(lambda: fake.channel_messages("C_GENERAL"))
    assert message["ts"] == "1700000000.000200"  # the ephemeral got .000100
    assert user.render(message) == "Pick one\n[1] Press"
    assert [c.method for c in fake.calls] == ["auth.test", "response_url", "chat.postMessage"]

    click = await user.click(1)
    assert click.status == 200
    [body] = await fake.wait_for(lambda: bot.seen)
    assert body["type"] == "block_actions"
    assert body["actions"][0] | {"action_ts": "-"} == {
        "type": "button",
        "action_id": "press",
        "block_id": "pick",
        "value": "v1",
        "text": {"type": "plain_text", "text": "Press", "emoji": True},
        "action_ts": "-",
    }
    assert body["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": "C_GENERAL",
        "is_ephemeral": False,
    }
    assert body["message"]["blocks"][1]["block_id"] == "pick"
    assert body["user"]["id"] == "U_ALICE"

    [replaced] = await fake.wait_for_responses(click.response_url)
    assert replaced.effect == "replaced"
    assert fake.message("C_GENERAL", message["ts"]) == message | {"text": "pressed", "blocks": []}


async def test_in_process_transport_to_the_bot(fake: FakeSlack, bot: Bot) -> None:
    transport = httpx.ASGITransport(app=bot.asgi)  # type: ignore[arg-type]
    async with SlackUserClient("http://bot/slack/events", signing_secret=SECRET, fake=fake, transport=transport) as u:
        ack = await u.command("hello", user="U_BOB")
        assert ack.status == 200
        [posted] = await fake.wait_for_responses(ack.response_url)
    assert posted.body == {"text": "hi"}
    assert fake.ephemeral_messages("U_BOB")[0]["text"] == "hi"


def test_signatures_match_slack_sdk_verifier() -> None:
    client = SlackUserClient("http://bot/slack/events", signing_secret=SECRET)
    verifier = SignatureVerifier(SECRET)
    body = "token=x&text=hello%20world"
    verdicts = {s: verifier.is_valid_request(body, client.signature_headers(body, signing=s)) for s in SIGNINGS}
    assert verdicts == {"valid": True, "forged": False, "missing": False, "stale": False}


@pytest.mark.parametrize("signing", ["forged", "missing", "stale"])
async def test_bad_signatures_are_rejected_with_401(
    fake: FakeSlack, bot: Bot, user: SlackUserClient, signing: Any
) -> None:
    ack = await user.command("hello", signing=signing)
    assert (ack.status, ack.json()) == (401, {"error": "invalid request"})
    click = await user.click(
        "press", message={"channel": "C_GENERAL", "ts": "1.0", "blocks": PICK_BLOCKS}, signing=signing
    )
    assert click.status == 401
    await asyncio.sleep(0.05)
    assert fake.calls == [] and bot.seen == []


async def test_modal_options_and_submission(fake: FakeSlack, bot: Bot, user: SlackUserClient) -> None:
    await user.command("modal")
    [view] = await fake.wait_for(lambda: fake.open_views("U_ALICE"))
    assert user.render(view) == (
        "[modal] New quote\n"
        "Site A [site_a/site]: <external select>\n"
        "Bandwidth [bw/bandwidth]: <static select: 10 Mbps | 100 Mbps>\n"
        "(Submit: Quote)"
    )

    options = await user.options("site", "pa", view["id"])
    assert options.json() == {
        "options": [
            {"text": {"type": "plain_text", "text": "Paris"}, "value": "PARIS"},
            {"text": {"type": "plain_text", "text": "Pau"}, "value": "PAU"},
        ]
    }

    refused = await user.submit_view(view["id"], {"site": "PARIS"})
    assert refused.json() == {"response_action": "errors", "errors": {"bw": "Pick a bandwidth"}}
    assert fake.view_errors[view["id"]] == {"bw": "Pick a bandwidth"}
    assert bot.seen[-1]["bw"] == {"bandwidth": {"type": "static_select", "selected_option": None}}

    accepted = await user.submit_view(view["id"], {"site_a": {"site": "PARIS"}, "bandwidth": "100 Mbps"})
    assert (accepted.status, accepted.body) == (200, "")
    assert bot.seen[-1]["bw"]["bandwidth"]["selected_option"]["value"] == "100"
    assert bot.seen[-1]["site_a"]["site"]["selected_option"]["value"] == "PARIS"
    assert fake.open_views("U_ALICE") == []


async def test_event_redelivery_carries_retry_headers(fake: FakeSlack, bot: Bot, user: SlackUserClient) -> None:
    event = {"type": "app_mention", "user": "U_ALICE", "text": "<@U_BOT> hi", "channel": "C_GENERAL", "ts": "1.2"}
    first = await user.event(event)
    again = await user.event(event, event_id=first.payload["event_id"], retry_num=1)
    assert first.status == again.status == 200
    await fake.wait_for(lambda: len(bot.headers) == 2)
    assert "x-slack-retry-num" not in bot.headers[0]
    assert (bot.headers[1]["x-slack-retry-num"], bot.headers[1]["x-slack-retry-reason"]) == ("1", "http_timeout")


# ---------------------------------------------------------------------- Web API behaviour


async def test_in_process_auth_and_form_encoding() -> None:
    fake = FakeSlack(bot_token=TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), base_url="http://sim") as http:
        missing = await http.post("/api/auth.test")
        wrong = await http.post("/api/auth.test", headers={"Authorization": "Bearer xoxb-nope"})
        good = await http.post("/api/auth.test", data={"token": TOKEN})
        form = {"channel": "C_GENERAL", "text": "x", "blocks": json.dumps(PICK_BLOCKS)}
        posted = await http.post("/api/chat.postMessage", data=form, headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.json() == {"ok": False, "error": "not_authed"}
    assert wrong.json() == {"ok": False, "error": "invalid_auth"}
    assert good.json()["ok"] is True and good.json()["user_id"] == "U_BOT"
    assert posted.json()["message"]["blocks"][1]["block_id"] == "pick"
    assert set(posted.headers["x-oauth-scopes"].split(",")) == set(DEFAULT_SCOPES)  # manifest.yml's bot scopes
    assert [c.params for c in fake.calls_to("chat.postMessage")] == [form]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C_PRIVATE", "not_in_channel"),
        ("C_NOPE", "channel_not_found"),
        ("C_OLD", "is_archived"),
        ("C_PUB", "not_in_channel"),
    ],
)
async def test_channel_errors(fake: FakeSlack, web: AsyncWebClient, channel: str, error: str) -> None:
    fake.add_channel("C_OLD", "old", is_archived=True)
    fake.add_channel("C_PUB", "public", is_member=False)
    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel=channel, text="x")
    assert raised.value.response["error"] == error


async def test_chat_write_public_posts_to_public_channels_only() -> None:
    fake = FakeSlack(bot_token=TOKEN, scopes=["chat:write", "chat:write.public"])
    fake.add_channel("C_PUB", "public", is_member=False)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        assert (await client.chat_postMessage(channel="C_PUB", text="x"))["ok"]
        with pytest.raises(SlackApiError, match="not_in_channel"):
            await client.chat_postMessage(channel="C_PRIVATE", text="x")


async def test_ratelimited_call_is_retried_by_slack_sdk(fake: FakeSlack, web: AsyncWebClient) -> None:
    fake.inject("chat.postMessage", retry_after=3)
    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel="C_GENERAL", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "3"
    assert raised.value.response["error"] == "ratelimited"

    fake.inject("chat.postMessage", retry_after=0)
    retrying = AsyncWebClient(
        token=TOKEN, base_url=fake.api_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)]
    )
    assert (await retrying.chat_postMessage(channel="C_GENERAL", text="x"))["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 429, 200]
    assert [m["text"] for m in fake.channel_messages("C_GENERAL")] == ["x"]


async def test_server_errors_errors_and_delays(fake: FakeSlack, web: AsyncWebClient) -> None:
    fake.inject("chat.update", error="internal_error", status=500)
    fake.inject("users.info", error="user_not_found")
    with pytest.raises(SlackApiError) as raised:
        await web.chat_update(channel="C_GENERAL", ts="1.0", text="x")
    assert raised.value.response.status_code == 500
    with pytest.raises(SlackApiError, match="user_not_found"):
        await web.users_info(user="U_ALICE")
    assert (await web.users_info(user="U_ALICE"))["user"]["tz"] == "Europe/Paris"

    fake.inject("chat.postMessage", error=None, delay=0.5)
    # slack_sdk annotates timeout as int; aiohttp takes a float
    slow = AsyncWebClient(token=TOKEN, base_url=fake.api_url, timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises(asyncio.TimeoutError):
        await slow.chat_postMessage(channel="C_GENERAL", text="late")
    # Slack was slow, not down: the message is posted although the client gave up
    await fake.wait_for(lambda: fake.channel_messages("C_GENERAL"))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": action_id}}


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([_section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        ([_section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        (
            [{"type": "actions", "elements": [_button("a")]}, {"type": "actions", "elements": [_button("a")]}],
            "duplicate action_id [json-pointer:/blocks/1/elements/0/action_id]",
        ),
    ],
    ids=["51-blocks", "section-3001", "duplicate-action-id"],
)
async def test_block_limits(web: AsyncWebClient, blocks: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel="C_GENERAL", text="x", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"] == [message]
    assert raised.value.response["response_metadata"] == {"messages": [f"[ERROR] {message}"]}


async def test_text_and_view_limits(fake: FakeSlack, web: AsyncWebClient) -> None:
    assert (await web.chat_postMessage(channel="C_GENERAL", text="x" * 40_000))["ok"]
    with pytest.raises(SlackApiError, match="msg_too_long"):
        await web.chat_postMessage(channel="C_GENERAL", text="x" * 40_001)
    assert (await web.chat_postMessage(channel="C_GENERAL", text="x", blocks=[_section("x")] * 50))["ok"]
    home = {"type": "home", "blocks": [_section("x")] * 100}
    assert (await web.views_publish(user_id="U_ALICE", view=home))["ok"]
    with pytest.raises(SlackApiError) as raised:
        await web.views_publish(user_id="U_ALICE", view={**home, "blocks": [_section("x")] * 101})
    assert raised.value.response["errors"] == ["no more than 100 items allowed [json-pointer:/view/blocks]"]
    # Slack only wants action_ids unique within a block: two site pickers in one modal are fine
    two_sites = {**QUOTE_MODAL, "blocks": [QUOTE_MODAL["blocks"][0], {**QUOTE_MODAL["blocks"][0], "block_id": "b"}]}
    assert (await web.views_open(trigger_id=fake.new_trigger_id(), view=two_sites))["ok"]


async def test_threads_updates_ephemerals_and_lookups(fake: FakeSlack, web: AsyncWebClient) -> None:
    root = await web.chat_postMessage(channel="C_GENERAL", text="order carrier:11 acknowledged")
    reply = await web.chat_postMessage(channel="C_GENERAL", thread_ts=root["ts"], text="state: inProgress")
    final = await web.chat_postMessage(
        channel="C_GENERAL", thread_ts=reply["ts"], text="completed", reply_broadcast=True
    )
    await web.chat_update(channel="C_GENERAL", ts=root["ts"], text="order carrier:11 completed")
    assert [m["text"] for m in fake.thread("C_GENERAL", root["ts"])] == ["state: inProgress", "completed"]
    assert [m["text"] for m in fake.channel_messages("C_GENERAL")] == ["order carrier:11 completed", "completed"]
    assert fake.message("C_GENERAL", root["ts"])["reply_count"] == 2  # type: ignore[index]
    assert root["ts"] < reply["ts"] < final["ts"]

    link = await web.chat_getPermalink(channel="C_GENERAL", message_ts=final["ts"])
    assert link["permalink"] == (
        f"https://simulator.slack/archives/C_GENERAL/p{final['ts'].replace('.', '')}"
        f"?thread_ts={root['ts']}&cid=C_GENERAL"
    )
    eph = await web.chat_postEphemeral(channel="C_GENERAL", user="U_BOB", text="only you")
    assert fake.ephemeral_messages("U_BOB")[0]["ts"] == eph["message_ts"]
    fake.scopes.add("groups:read")
    with pytest.raises(SlackApiError, match="channel_not_found"):  # private, and the bot is not in it
        await web.conversations_info(channel="C_PRIVATE")
    fake.channels["C_PRIVATE"].is_member = True
    info = await web.conversations_info(channel="C_PRIVATE")
    assert (info["channel"]["is_private"], info["channel"]["is_member"], info["channel"]["is_archived"]) == (
        True,
        True,
        False,
    )
    dm = await web.conversations_open(users="U_ALICE")
    assert dm["channel"]["id"] == "D_ALICE"
    assert (await web.chat_postMessage(channel="D_ALICE", text="psst"))["channel"] == "D_ALICE"
    with pytest.raises(SlackApiError, match="thread_not_found"):
        await web.chat_postMessage(channel="C_GENERAL", thread_ts="1.1", text="x")


async def test_views_lifecycle(fake: FakeSlack, web: AsyncWebClient) -> None:
    trigger = fake.new_trigger_id("U_ALICE")
    opened = await web.views_open(trigger_id=trigger, view=QUOTE_MODAL)
    view_id = opened["view"]["id"]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await web.views_open(trigger_id=trigger, view=QUOTE_MODAL)
    pushed = await web.views_push(trigger_id=fake.new_trigger_id("U_ALICE"), view=QUOTE_MODAL)
    assert pushed["view"]["root_view_id"] == view_id
    updated = await web.views_update(view_id=view_id, hash=opened["view"]["hash"], view={**QUOTE_MODAL, "blocks": []})
    assert fake.view(view_id)["blocks"] == []  # type: ignore[index]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await web.views_update(view_id=view_id, hash=opened["view"]["hash"] + "x", view=QUOTE_MODAL)
    assert updated["view"]["id"] == view_id
    assert [v["id"] for v in fake.open_views("U_ALICE")] == [view_id, pushed["view"]["id"]]

    fake.trigger_ttl = 0
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await web.views_open(trigger_id=fake.new_trigger_id("U_ALICE"), view=QUOTE_MODAL)
    await web.views_publish(user_id="U_BOB", view={"type": "home", "blocks": [_section("Welcome *Bob*")]})
    assert render_view(fake.home("U_BOB") or {}) == "[home] Home\nWelcome Bob"


async def test_response_url_in_channel_and_delete(fake: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        url = fake.new_response_url(channel="C_GENERAL", user="U_ALICE")
        await http.post(url, json={"text": "for everyone", "response_type": "in_channel"})
        await http.post(url, json={"text": "edited", "replace_original": True})
        [msg] = fake.channel_messages("C_GENERAL")
        assert msg["text"] == "edited"
        click_url = fake.new_response_url(channel="C_GENERAL", user="U_BOB", message_ts=msg["ts"])
        await http.post(click_url, json={"delete_original": True})
        unknown = await http.post(fake.base_url + "/response/nope", json={"text": "x"})
    assert fake.channel_messages("C_GENERAL") == []
    assert [r.effect for r in fake.response_posts()] == ["in_channel", "replaced", "deleted", "no_active_hooks"]
    assert unknown.status_code == 404


# ---------------------------------------------------------------------- rendering


def test_render_message_exactly() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Order carrier:11"}},
        {
            "type": "section",
            "block_id": "state",
            "text": {"type": "mrkdwn", "text": "*State:* _acknowledged_ — <https://carrier.example/o/11|details>"},
            "accessory": {
                "type": "button",
                "action_id": "refresh",
                "value": "11",
                "text": {"type": "plain_text", "text": "Refresh"},
            },
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Requester*\n<@U_ALICE>"},
                {"type": "mrkdwn", "text": "*Due:*\n<!date^1700000000^{date_short}|Nov 14, 2023>"},
            ],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": ":warning: 1 open error in <#C_GENERAL|general> &amp; `a_b_c`"},
                {"type": "image", "image_url": "https://x/logo.png", "alt_text": "orange logo"},
            ],
        },
        {"type": "image", "image_url": "https://x/map.png", "alt_text": "map"},
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "req-1",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                },
                {
                    "type": "button",
                    "action_id": "reject",
                    "value": "req-1",
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Reject"},
                },
                {
                    "type": "overflow",
                    "action_id": "more",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Watch"}, "value": "watch"},
                        {"text": {"type": "plain_text", "text": "Cancel"}, "value": "cancel"},
                    ],
                },
                {
                    "type": "static_select",
                    "action_id": "bw",
                    "placeholder": {"type": "plain_text", "text": "Bandwidth"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "10 Mbps"}, "value": "10"},
                        {"text": {"type": "plain_text", "text": "100 Mbps"}, "value": "100"},
                    ],
                },
            ],
        },
    ]
    out = render_message("fallback", blocks, start=3)
    assert out == (
        "== Order carrier:11 ==\n"
        "State: acknowledged — details (https://carrier.example/o/11)\n"
        "[3] Refresh\n"
        "  Requester: @U_ALICE\n"
        "  Due: Nov 14, 2023\n"
        "----------------------------------------\n"
        ":warning: 1 open error in #general & `a_b_c` | [image: orange logo]\n"
        "[image: map]\n"
        "[4] Approve  [5] Reject  More: [6] Watch  [7] Cancel  Bandwidth: [8] 10 Mbps  [9] 100 Mbps"
    )
    assert out.next_number == 10
    assert {n: (c.action_id, c.block_id, c.value) for n, c in out.clickables.items()} == {
        3: ("refresh", "state", "11"),
        4: ("approve", "decide", "req-1"),
        5: ("reject", "decide", "req-1"),
        6: ("more", "decide", "watch"),
        7: ("more", "decide", "cancel"),
        8: ("bw", "decide", "10"),
        9: ("bw", "decide", "100"),
    }
    assert render_message("*bold* <https://a.example>", None) == "bold https://a.example"


@pytest.mark.parametrize(
    ("mrkdwn", "text"),
    [
        ("*Order* _carrier:11_ ~old~", "Order carrier:11 old"),
        ("<https://x.example|https://x.example>", "https://x.example"),
        ("<mailto:ops@example.com|ops@example.com>", "ops@example.com"),
        ("<!here> <!subteam^S1|@noc> <!date^1^{date}|Jan 1>", "@here @noc Jan 1"),
        ("snake_case_id and 2*3*4 stay", "snake_case_id and 2*3*4 stay"),
        ("&lt;not a link&gt; :tada:", "<not a link> :tada:"),
    ],
)
def test_mrkdwn_to_text(mrkdwn: str, text: str) -> None:
    assert mrkdwn_to_text(mrkdwn) == text
