"""The simulator refuses what Slack refuses for scopes: its grant is manifest.yml's, each method is checked
against the scope Slack requires for it, history is read only where the bot is a member, and every Web API
method the bot calls is granted by the manifest (and the manifest grants nothing else)."""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.simulator import DEFAULT_SCOPES, Channel, FakeSlack
from bot.simulator.scopes import (
    EVENT_SCOPES,
    METHOD_SCOPES,
    Conversation,
    ManifestError,
    manifest_scopes,
    required_scope,
)
from bot.slack import cannot_post_text

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
TOKEN = "xoxb-test"
KINDS: tuple[Conversation, ...] = ("public", "private", "im", "mpim")
CHANNEL_OF: dict[Conversation, str] = {"public": "C_GENERAL", "private": "C_SECRET", "im": "D_BOB", "mpim": "G_GROUP"}
# Every scope the table names: a test grants all of them but one, to show that one is what the method needs.
ALL_SCOPES = frozenset(
    s
    for rule in METHOD_SCOPES.values()
    if rule is not None
    for s in ([rule] if isinstance(rule, str) else list(rule.values()))
)


def _workspace(scopes: Any) -> FakeSlack:
    """A fake with one conversation of each kind, the bot a member of all of them."""
    fake = FakeSlack(bot_token=TOKEN, scopes=scopes)
    fake.add_channel("C_SECRET", "secret", is_private=True)
    fake.channels["D_BOB"] = Channel("D_BOB", "D_BOB", is_private=True, is_im=True, user="U_BOB")
    fake.channels["G_GROUP"] = Channel("G_GROUP", "mpdm-bob--carol", is_private=True, is_mpim=True)
    return fake


async def _call(fake: FakeSlack, method: str, params: dict[str, Any]) -> Any:
    """Slack's answer to one call (the body of an error too)."""
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        try:
            return await client.api_call(method, json=params)
        except SlackApiError as err:
            return err.response


# ---------------------------------------------------------------------- the grant is the manifest's


def test_the_default_grant_is_the_manifest() -> None:
    assert DEFAULT_SCOPES == manifest_scopes(MANIFEST)
    assert FakeSlack(bot_token=TOKEN).scopes == set(manifest_scopes(MANIFEST))


def test_the_manifest_is_a_slack_app_manifest() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert {"display_information", "features", "oauth_config", "settings"} <= set(manifest)
    assert manifest["display_information"]["name"] == "orange-bot"
    assert manifest["features"]["bot_user"]["display_name"] == "orange-bot"
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/orange"]
    bot = manifest["oauth_config"]["scopes"]["bot"]
    assert len(bot) == len(set(bot)) and "chat:write.public" not in bot
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_an_unreadable_manifest_is_said_so(tmp_path: Path) -> None:
    broken = tmp_path / "manifest.yml"
    for text in ("oauth_config:\n  scopes:\n    bot: commands\n", "- just\n- a list\n", "display_information: {}\n"):
        broken.write_text(text)
        with pytest.raises(ManifestError, match="oauth_config.scopes.bot must be a list"):
            manifest_scopes(broken)
    broken.write_text("oauth_config: [unclosed\n")
    with pytest.raises(ManifestError, match="cannot read the Slack app manifest"):
        manifest_scopes(broken)
    with pytest.raises(ManifestError, match="cannot read the Slack app manifest"):
        manifest_scopes(tmp_path / "missing.yml")


# ---------------------------------------------------------------------- every method has a scope row


def test_every_method_the_simulator_answers_has_a_scope_row() -> None:
    assert set(FakeSlack(bot_token=TOKEN)._methods) <= set(METHOD_SCOPES)


def test_a_method_without_a_scope_row_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.simulator.web_api as web_api

    monkeypatch.setattr(web_api, "METHOD_SCOPES", {k: v for k, v in METHOD_SCOPES.items() if k != "users.info"})
    with pytest.raises(RuntimeError, match=r"no scope is known for users\.info: add it to bot/simulator/scopes\.py"):
        FakeSlack(bot_token=TOKEN)


def test_scopes_that_depend_on_the_conversation() -> None:
    history = {kind: required_scope("conversations.replies", conversation=kind) for kind in KINDS}
    assert history == {
        "public": "channels:history",
        "private": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    }
    assert [required_scope("conversations.history", conversation=k) for k in KINDS] == list(history.values())
    assert [required_scope("conversations.info", conversation=k) for k in KINDS] == [
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
    ]
    assert required_scope("conversations.open", conversation="im") == "im:write"
    assert required_scope("conversations.open", conversation="mpim") == "mpim:write"
    for method in ("chat.getPermalink", "views.open", "views.update", "views.push", "views.publish", "auth.test"):
        assert required_scope(method) is None
    for method in ("chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral"):
        assert required_scope(method) == "chat:write"
    assert required_scope("users.info") == "users:read"


# ---------------------------------------------------------------------- missing_scope, like Slack

PARAMS: dict[str, Callable[[str, Conversation], dict[str, str]]] = {
    "chat.postMessage": lambda channel, _: {"channel": channel, "text": "x"},
    "chat.update": lambda channel, _: {"channel": channel, "ts": "1.1", "text": "x"},
    "chat.delete": lambda channel, _: {"channel": channel, "ts": "1.1"},
    "chat.postEphemeral": lambda channel, _: {"channel": channel, "user": "U_BOB", "text": "x"},
    "conversations.info": lambda channel, _: {"channel": channel},
    "conversations.members": lambda channel, _: {"channel": channel},
    "conversations.history": lambda channel, _: {"channel": channel},
    "conversations.replies": lambda channel, _: {"channel": channel, "ts": "1.1"},
    "conversations.open": lambda channel, kind: {
        "im": {"users": "U_BOB"},
        "mpim": {"users": "U_BOB,U_CAROL"},
    }.get(kind, {"channel": channel}),
    "files.getUploadURLExternal": lambda channel, _: {"filename": "report.png", "length": 3},
    "files.completeUploadExternal": lambda channel, _: {"files": [{"id": "F_NONE"}], "channel_id": channel},
    "users.info": lambda channel, _: {"user": "U_BOB"},
    "usergroups.list": lambda channel, _: {},
    "usergroups.users.list": lambda channel, _: {"usergroup": "S_NONE"},
}
"""How to call each method that needs a scope, in a conversation of the given kind."""

SCOPED = sorted(
    (method, kind)
    for method in FakeSlack(bot_token=TOKEN)._methods
    if (rule := METHOD_SCOPES[method]) is not None
    for kind in (("public",) if isinstance(rule, str) else KINDS)
)


def test_every_scoped_method_is_called_without_its_scope_below() -> None:
    scoped = {method for method, _ in SCOPED}
    assert scoped <= set(PARAMS), f"say how to call {sorted(scoped - set(PARAMS))} in PARAMS"
    assert {"chat.postMessage", "conversations.replies", "conversations.open", "users.info"} <= scoped


@pytest.mark.parametrize(("method", "kind"), SCOPED)
async def test_a_method_without_its_scope_answers_missing_scope(method: str, kind: Conversation) -> None:
    needed = required_scope(method, conversation=kind)
    assert needed is not None
    params = PARAMS[method](CHANNEL_OF[kind], kind)
    granted = sorted(ALL_SCOPES - {needed})

    refused = await _call(_workspace(granted), method, params)
    assert refused.status_code == 200
    assert refused.data == {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(granted)}

    answered = await _call(_workspace(ALL_SCOPES), method, params)  # with it, Slack gets to the method itself
    assert answered.get("error") != "missing_scope"


async def test_replies_need_channels_history_in_public_and_groups_history_in_private() -> None:
    cases = (("channels:history", "C_GENERAL", "C_SECRET"), ("groups:history", "C_SECRET", "C_GENERAL"))
    for dropped, refused_in, allowed_in in cases:
        fake = _workspace([s for s in DEFAULT_SCOPES if s != dropped])
        async with fake.serving():
            client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
            root = await client.chat_postMessage(channel=allowed_in, text="root")
            assert (await client.conversations_replies(channel=allowed_in, ts=root["ts"]))["ok"]
            refused = await client.chat_postMessage(channel=refused_in, text="root")
            with pytest.raises(SlackApiError) as raised:
                await client.conversations_replies(channel=refused_in, ts=refused["ts"])
        assert (raised.value.response["error"], raised.value.response["needed"]) == ("missing_scope", dropped)


async def test_the_manifest_grant_covers_what_the_bot_does() -> None:
    """Post, update, read its own thread back (public and private), DM a user, look a user up."""
    fake = _workspace(DEFAULT_SCOPES)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        for channel in ("C_GENERAL", "C_SECRET"):
            root = await client.chat_postMessage(channel=channel, text="root")
            await client.chat_postMessage(channel=channel, thread_ts=root["ts"], text="reply")
            await client.chat_update(channel=channel, ts=root["ts"], text="root, updated")
            replies = await client.conversations_replies(channel=channel, ts=root["ts"], include_all_metadata=True)
            assert [m["text"] for m in replies["messages"]] == ["root, updated", "reply"]
            assert (await client.chat_getPermalink(channel=channel, message_ts=root["ts"]))["ok"]
        dm = await client.conversations_open(users="U_ALICE")
        assert (await client.chat_postMessage(channel=dm["channel"]["id"], text="your watch is paused"))["ok"]
        assert (await client.users_info(user="U_ALICE"))["user"]["tz"] == "Europe/Paris"
        with pytest.raises(SlackApiError) as raised:  # the bot never reads a DM back: no im:history
            await client.conversations_history(channel=dm["channel"]["id"])
    assert raised.value.response["needed"] == "im:history"


# ---------------------------------------------------------------------- history only where the bot is a member


@pytest.mark.parametrize("method", ["conversations.replies", "conversations.history"])
async def test_history_is_read_only_where_the_bot_is_a_member(method: str) -> None:
    fake = _workspace(DEFAULT_SCOPES)
    fake.add_channel("C_PUB", "public", is_member=False)
    fake.add_channel("C_PRIV", "priv", is_private=True, is_member=False)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        root = await client.chat_postMessage(channel="C_SECRET", text="root")
        assert (await client.api_call(method, json={"channel": "C_SECRET", "ts": root["ts"]}))["ok"]
        for channel in ("C_PUB", "C_PRIV"):
            with pytest.raises(SlackApiError) as raised:
                await client.api_call(method, json={"channel": channel, "ts": root["ts"]})
            assert raised.value.response["error"] == "not_in_channel"


async def test_conversations_open_opens_direct_messages_only() -> None:
    fake = _workspace(DEFAULT_SCOPES)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        assert (await client.conversations_open(channel="D_BOB"))["channel"]["id"] == "D_BOB"
        with pytest.raises(SlackApiError, match="method_not_supported_for_channel_type"):
            await client.conversations_open(channel="C_GENERAL")


def test_not_in_channel_asks_for_an_invite_in_public_and_private_channels() -> None:
    text = cannot_post_text("not_in_channel", command="/orange")
    assert "/invite @orange-bot" in text and "/orange watch" in text and "private" not in text
    assert "archived" in cannot_post_text("is_archived", command="/orange")


# ---------------------------------------------------------------------- what the bot calls, statically


@functools.cache
def _client_methods() -> dict[str, str | None]:
    """AsyncWebClient's methods → the Web API method each calls (None when it calls several or none)."""
    methods: dict[str, str | None] = {}
    for name, function in inspect.getmembers(AsyncWebClient, inspect.iscoroutinefunction):
        if name.startswith("_") or name == "api_call":
            continue
        called = set(re.findall(r'api_call\(\s*"([\w.]+)"', inspect.getsource(function)))
        methods[name] = called.pop() if len(called) == 1 else None
    return methods


# AsyncWebClient methods that call several Web API methods (not through api_call("…") themselves).
SEVERAL: dict[str, frozenset[str]] = {
    "files_upload_v2": frozenset({"files.getUploadURLExternal", "files.completeUploadExternal"}),
}


def _methods_called(source: str) -> set[str]:
    """Web API methods a module calls: `client.chat_postMessage(` → chat.postMessage, `api_call("x.y")` → x.y."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr = node.func.attr
        receiver = node.func.value
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
            continue  # a client subclass passing every call on (the metered client): it calls nothing itself
        if attr == "api_call":
            names = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "api_method")]
            for arg in names:
                assert isinstance(arg, ast.Constant), f"api_call with a computed method name: {ast.unparse(node)}"
                found.add(str(arg.value))
        elif attr in SEVERAL:
            found |= SEVERAL[attr]
        elif attr in _client_methods():
            method = _client_methods()[attr]
            assert method is not None, f"{attr} calls several Web API methods: list them in this test"
            found.add(method)
    return found


def _bot_methods() -> set[str]:
    """Every Web API method the bot's code calls (bot/, the simulator excepted)."""
    found: set[str] = set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if "simulator" not in path.relative_to(ROOT / "bot").parts:
            found |= _methods_called(path.read_text(encoding="utf-8"))
    return found


def _bot_needs(method: str) -> set[str]:
    """The scopes `method` needs where the bot calls it: threads in public and private channels, 1:1 DMs."""
    kinds: tuple[Conversation, ...] = ("im",) if method == "conversations.open" else ("public", "private")
    return {s for kind in kinds if (s := required_scope(method, conversation=kind)) is not None}


def test_the_static_check_finds_attribute_calls_and_api_call() -> None:
    source = (
        "async def f(client, app, other):\n"
        "    await client.chat_postMessage(channel='C', text='x')\n"
        "    await app.client.conversations_replies(channel='C', ts='1.1')\n"
        "    await client.api_call('team.info')\n"
        "    await client.api_call(api_method='bots.info')\n"
        "    other.not_a_slack_method()\n"
    )
    assert _methods_called(source) == {"chat.postMessage", "conversations.replies", "team.info", "bots.info"}


def test_every_method_the_bot_calls_is_granted_by_the_manifest() -> None:
    methods = _bot_methods()
    assert {"chat.postMessage", "chat.update", "conversations.replies", "conversations.open", "users.info"} <= methods
    unknown = sorted(methods - set(METHOD_SCOPES))
    assert unknown == [], f"add the scope Slack requires for {unknown} to bot/simulator/scopes.py"
    granted = set(manifest_scopes(MANIFEST))
    missing = {method: sorted(needs - granted) for method in sorted(methods) if (needs := _bot_needs(method)) - granted}
    assert missing == {}, f"manifest.yml lacks scopes the bot needs: {missing}"


def _bot_events() -> set[str]:
    """Every event the bot listens to (`@app.event("…")`)."""
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "simulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "event"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_every_event_the_bot_listens_to_is_subscribed_and_granted() -> None:
    import yaml

    events = _bot_events()
    assert "member_joined_channel" in events
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == events
    granted = set(manifest_scopes(MANIFEST))
    missing = {e: sorted(set(EVENT_SCOPES[e]) - granted) for e in sorted(events) if set(EVENT_SCOPES[e]) - granted}
    assert missing == {}, f"manifest.yml lacks scopes for events: {missing}"


def test_the_manifest_grants_nothing_the_bot_does_not_use() -> None:
    used = {"commands"}.union(*(_bot_needs(method) for method in _bot_methods()))  # commands: the slash command
    used |= {scope for event in _bot_events() for scope in EVENT_SCOPES[event]}
    assert set(manifest_scopes(MANIFEST)) == used
