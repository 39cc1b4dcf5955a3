"""The simulator refuses what Slack refuses for scopes: its grant is manifest.yml's, each method is checked
against the scope Slack requires for it, and every Web API method the bot calls is granted by the manifest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.simulator import FakeSlack
from bot.simulator.scopes import METHOD_SCOPES, ManifestError, manifest_scopes, required_scope
from bot.simulator.web_api import DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-test"


def test_the_default_grant_is_the_manifest() -> None:
    assert set(DEFAULT_SCOPES) == set(manifest_scopes(ROOT / "manifest.yml"))
    assert set(FakeSlack(bot_token=TOKEN).scopes) == set(DEFAULT_SCOPES)


def test_every_method_the_simulator_answers_has_a_scope_row() -> None:
    fake = FakeSlack(bot_token=TOKEN)
    assert set(fake._methods) <= set(METHOD_SCOPES)


def test_a_method_without_a_scope_row_is_refused_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.simulator.web_api as web_api

    monkeypatch.setattr(web_api, "METHOD_SCOPES", {k: v for k, v in METHOD_SCOPES.items() if k != "users.info"})
    with pytest.raises(RuntimeError, match="users.info"):
        FakeSlack(bot_token=TOKEN)


def test_an_unreadable_manifest_is_said_so(tmp_path: Path) -> None:
    broken = tmp_path / "manifest.yml"
    broken.write_text("oauth_config:\n  scopes:\n    bot: commands\n")
    with pytest.raises(ManifestError, match="oauth_config.scopes.bot"):
        manifest_scopes(broken)
    with pytest.raises(ManifestError, match="cannot read"):
        manifest_scopes(tmp_path / "missing.yml")


CALLS = [
    ("chat.postMessage", {"channel": "C_GENERAL", "text": "x"}, "chat:write"),
    ("chat.postEphemeral", {"channel": "C_GENERAL", "user": "U_BOB", "text": "x"}, "chat:write"),
    ("users.info", {"user": "U_BOB"}, "users:read"),
    ("conversations.open", {"users": "U_BOB"}, "im:write"),
    ("conversations.replies", {"channel": "C_GENERAL", "ts": "1.1"}, "channels:history"),
    ("conversations.replies", {"channel": "C_SECRET", "ts": "1.1"}, "groups:history"),
    ("conversations.history", {"channel": "C_GENERAL"}, "channels:history"),
    ("conversations.info", {"channel": "C_GENERAL"}, "channels:read"),
    ("conversations.info", {"channel": "C_SECRET"}, "groups:read"),
]


@pytest.mark.parametrize(("method", "params", "needed"), CALLS)
async def test_a_method_without_its_scope_answers_missing_scope(
    method: str, params: dict[str, str], needed: str
) -> None:
    fake = FakeSlack(bot_token=TOKEN, scopes=[s for s in DEFAULT_SCOPES if s != needed])
    fake.add_channel("C_SECRET", "secret", is_private=True)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        with pytest.raises(SlackApiError) as raised:
            await client.api_call(method, json=params)
    body = raised.value.response
    assert (body.status_code, body["error"], body["needed"]) == (200, "missing_scope", needed)
    assert needed not in body["provided"].split(",")


async def test_history_is_read_only_where_the_bot_is_a_member() -> None:
    fake = FakeSlack(bot_token=TOKEN)
    fake.add_channel("C_PUB", "public", is_member=False)
    async with fake.serving():
        client = AsyncWebClient(token=TOKEN, base_url=fake.api_url)
        root = await client.chat_postMessage(channel="C_GENERAL", text="root")
        assert (await client.conversations_replies(channel="C_GENERAL", ts=root["ts"]))["ok"]
        for channel in ("C_PUB", "C_PRIVATE"):
            with pytest.raises(SlackApiError, match="not_in_channel"):
                await client.conversations_replies(channel=channel, ts=root["ts"])


def _bot_methods() -> set[str]:
    """Every Slack Web API method the bot's code calls (`client.chat_postMessage(` → "chat.postMessage")."""
    names = set(dir(AsyncWebClient))
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "simulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            if attr == "api_call" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
            elif "_" in attr and attr in names and attr.split("_")[0] in {"chat", "conversations", "users", "views"}:
                group, _, rest = attr.partition("_")
                found.add(f"{group}.{rest}")
    return found


def test_every_method_the_bot_calls_is_granted_by_the_manifest() -> None:
    methods = _bot_methods()
    assert {"chat.postMessage", "chat.update", "conversations.replies", "conversations.open"} <= methods
    granted = set(manifest_scopes(ROOT / "manifest.yml"))
    missing: dict[str, str] = {}
    for method in sorted(methods):
        assert method in METHOD_SCOPES, f"{method}: add its scope to bot/simulator/scopes.py"
        # The bot reads threads in public and private channels, and opens 1:1 DMs.
        for kind in ("im",) if method == "conversations.open" else ("public", "private"):
            scope = required_scope(method, conversation=kind)  # type: ignore[arg-type]
            if scope is not None and scope not in granted:
                missing[f"{method} ({kind})"] = scope
    assert missing == {}, f"manifest.yml lacks scopes the bot needs: {missing}"


def test_the_manifest_grants_nothing_the_bot_does_not_use() -> None:
    used = {"commands"}  # the slash command itself
    for method in _bot_methods():
        for kind in ("im",) if method == "conversations.open" else ("public", "private"):
            scope = required_scope(method, conversation=kind)  # type: ignore[arg-type]
            if scope is not None:
                used.add(scope)
    assert set(manifest_scopes(ROOT / "manifest.yml")) == used
