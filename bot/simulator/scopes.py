"""Which bot-token scope Slack requires for each Web API method, and the scopes manifest.yml grants.

    needed = required_scope("conversations.replies", conversation="private")   # "groups:history"
    granted = manifest_scopes()                                                # from manifest.yml

The source is each method's page, https://docs.slack.dev/reference/methods/<method> ("Required scopes", bot
tokens). A method whose scope depends on the conversation names one scope per kind of conversation: the
simulator checks the one for the `channel` argument's kind, as Slack does. Methods not in `METHOD_SCOPES` are
refused by the simulator, so a new method the bot calls needs its row here first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml

__all__ = [
    "MANIFEST",
    "METHOD_SCOPES",
    "Conversation",
    "ManifestError",
    "manifest_scopes",
    "required_scope",
]

Conversation = Literal["public", "private", "im", "mpim"]

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
"""The repository's Slack app manifest (what operators paste into api.slack.com/apps); an installed package
(the Docker image) finds it in the working directory instead."""

_BY_CONVERSATION = Mapping[Conversation, str]
_HISTORY: _BY_CONVERSATION = {
    "public": "channels:history",
    "private": "groups:history",
    "im": "im:history",
    "mpim": "mpim:history",
}
_READ: _BY_CONVERSATION = {"public": "channels:read", "private": "groups:read", "im": "im:read", "mpim": "mpim:read"}

METHOD_SCOPES: Mapping[str, str | _BY_CONVERSATION | None] = {
    # docs.slack.dev/reference/methods/api.test: no scope
    "api.test": None,
    # …/auth.test: no scope
    "auth.test": None,
    # …/chat.postMessage: chat:write (a public channel the bot is not in also needs chat:write.public)
    "chat.postMessage": "chat:write",
    # …/chat.update, …/chat.delete, …/chat.postEphemeral: chat:write
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    # …/chat.getPermalink: "Bot tokens: No scope required"
    "chat.getPermalink": None,
    # …/conversations.info: channels:read, groups:read, im:read, mpim:read, by the conversation's kind
    "conversations.info": _READ,
    # …/conversations.history and …/conversations.replies: channels:history, groups:history, im:history,
    # mpim:history; a bot token reads only conversations the bot is a member of
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
    # …/conversations.open: im:write for a 1:1 DM (mpim:write for a group DM)
    "conversations.open": {"public": "im:write", "private": "im:write", "im": "im:write", "mpim": "mpim:write"},
    # …/users.info: users:read
    "users.info": "users:read",
    # …/views.open, views.update, views.push, views.publish: no scope (a trigger_id or the app's own views)
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
}


def required_scope(method: str, *, conversation: Conversation = "public") -> str | None:
    """The scope Slack wants for `method` on that kind of conversation; None when it needs none.

    KeyError for a method the table does not know.
    """
    scope = METHOD_SCOPES[method]
    if scope is None or isinstance(scope, str):
        return scope
    return scope[conversation]


class ManifestError(RuntimeError):
    """manifest.yml could not be read as a Slack app manifest."""


def manifest_scopes(path: Path | None = None) -> tuple[str, ...]:
    """The bot scopes a manifest grants (`oauth_config.scopes.bot`), in its order."""
    if path is None:
        path = MANIFEST if MANIFEST.is_file() else Path.cwd() / "manifest.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ManifestError(f"cannot read the Slack app manifest {path}: {err}") from err
    scopes = ((data or {}).get("oauth_config") or {}).get("scopes") or {}
    bot = scopes.get("bot") if isinstance(scopes, dict) else None
    if not isinstance(bot, list) or not all(isinstance(s, str) for s in bot):
        raise ManifestError(f"{path}: oauth_config.scopes.bot must be a list of scopes")
    return tuple(bot)
