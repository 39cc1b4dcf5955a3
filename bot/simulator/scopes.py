"""Which bot-token scope Slack requires for each Web API method, and the scopes manifest.yml grants.

    needed = required_scope("conversations.replies", conversation="private")   # "groups:history"
    granted = manifest_scopes()                                                # from manifest.yml

The source is each method's page, https://docs.slack.dev/reference/methods/<method> ("Scopes", bot token). A
method whose scope depends on the conversation names one scope per kind of conversation (public channel,
private channel, DM, group DM): the simulator checks the one for the `channel` argument's kind, as Slack does.
The simulator refuses to start with a method it answers but `METHOD_SCOPES` lacks, so a new method the bot
calls needs its row here first.

Scope is not the whole story: a bot token reads history (conversations.history, conversations.replies) only
in conversations the bot is a member of, and posts (chat.postMessage) in a public channel it is not in only
with chat:write.public; the simulator models both (`not_in_channel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml

__all__ = [
    "EVENT_SCOPES",
    "DOCS",
    "MANIFEST",
    "METHOD_SCOPES",
    "Conversation",
    "ManifestError",
    "manifest_scopes",
    "required_scope",
]

Conversation = Literal["public", "private", "im", "mpim"]
"""Public channel, private channel, 1:1 direct message, group direct message."""

DOCS = "https://docs.slack.dev/reference/methods/"
"""Each method's reference page is DOCS + method name."""

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
# conversations.open opens DMs only; a channel id that is not a DM is refused (method_not_supported_for_channel_type)
# after the token passed the 1:1 DM scope check, so public and private ask for im:write too.
_OPEN: _BY_CONVERSATION = {"public": "im:write", "private": "im:write", "im": "im:write", "mpim": "mpim:write"}

METHOD_SCOPES: Mapping[str, str | _BY_CONVERSATION | None] = {
    # https://docs.slack.dev/reference/methods/api.test — no scope (it echoes its arguments)
    "api.test": None,
    # https://docs.slack.dev/reference/methods/apps.connections.open — an app-level token with connections:write;
    # no bot scope will do (a bot token is refused with not_allowed_token_type, bot/simulator/methods/apps.py)
    "apps.connections.open": None,
    # https://docs.slack.dev/reference/methods/auth.test — no scope (any valid token)
    "auth.test": None,
    # https://docs.slack.dev/reference/methods/chat.postMessage — bot token: chat:write; a public channel the
    # app is not a member of also needs chat:write.public (modelled in FakeSlack._writable_channel)
    "chat.postMessage": "chat:write",
    # https://docs.slack.dev/reference/methods/chat.update — bot token: chat:write
    "chat.update": "chat:write",
    # https://docs.slack.dev/reference/methods/chat.delete — bot token: chat:write
    "chat.delete": "chat:write",
    # https://docs.slack.dev/reference/methods/chat.postEphemeral — bot token: chat:write
    "chat.postEphemeral": "chat:write",
    # https://docs.slack.dev/reference/methods/chat.getPermalink — "Bot tokens: No scope required"
    "chat.getPermalink": None,
    # https://docs.slack.dev/reference/methods/conversations.info — bot token: channels:read, groups:read,
    # im:read, mpim:read (the one for the conversation's kind)
    "conversations.info": _READ,
    # https://docs.slack.dev/reference/methods/conversations.members — bot token: channels:read, groups:read,
    # im:read, mpim:read
    "conversations.members": _READ,
    # https://docs.slack.dev/reference/methods/conversations.history — bot token: channels:history,
    # groups:history, im:history, mpim:history; "Bot token: relevant *:history scope — any conversation the
    # relevant bot is a member of"
    "conversations.history": _HISTORY,
    # https://docs.slack.dev/reference/methods/conversations.replies — the same four *:history scopes (the
    # channels:history scope page lists conversations.replies for bot tokens); member conversations only
    "conversations.replies": _HISTORY,
    # https://docs.slack.dev/reference/methods/conversations.open — "required scopes depend on the type of
    # channel-like object": im:write for a 1:1 DM, mpim:write for a group DM
    "conversations.open": _OPEN,
    # https://docs.slack.dev/reference/methods/files.getUploadURLExternal — bot token: files:write
    "files.getUploadURLExternal": "files:write",
    # https://docs.slack.dev/reference/methods/files.completeUploadExternal — bot token: files:write; sharing into
    # a channel also needs the bot to be a member of it (not_in_channel, modelled in methods/files.py)
    "files.completeUploadExternal": "files:write",
    # https://docs.slack.dev/reference/methods/users.info — bot token: users:read
    "users.info": "users:read",
    # https://docs.slack.dev/reference/methods/usergroups.list — bot token: usergroups:read
    "usergroups.list": "usergroups:read",
    # https://docs.slack.dev/reference/methods/usergroups.users.list — bot token: usergroups:read
    "usergroups.users.list": "usergroups:read",
    # https://docs.slack.dev/reference/methods/views.open — "No scopes required" (the trigger_id is the grant)
    "views.open": None,
    # https://docs.slack.dev/reference/methods/views.update — no scope (the app's own views)
    "views.update": None,
    # https://docs.slack.dev/reference/methods/views.push — no scope (a trigger_id)
    "views.push": None,
    # https://docs.slack.dev/reference/methods/views.publish — no scope (the app's own Home tab)
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
    """The bot scopes a manifest grants (`oauth_config.scopes.bot`), in its order.

    Without `path`: the repository's manifest.yml, else ./manifest.yml. ManifestError when it cannot be read
    or has no list of bot scopes.
    """
    if path is None:
        path = MANIFEST if MANIFEST.is_file() else Path.cwd() / "manifest.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ManifestError(f"cannot read the Slack app manifest {path}: {err}") from err
    oauth = data.get("oauth_config") if isinstance(data, dict) else None
    scopes = oauth.get("scopes") if isinstance(oauth, dict) else None
    bot = scopes.get("bot") if isinstance(scopes, dict) else None
    if not isinstance(bot, list) or not all(isinstance(s, str) for s in bot):
        raise ManifestError(f"{path}: oauth_config.scopes.bot must be a list of scopes")
    return tuple(bot)


EVENT_SCOPES: Mapping[str, tuple[str, ...]] = {
    # docs.slack.dev/reference/events/app_home_opened: no scope
    "app_home_opened": (),
    # docs.slack.dev/reference/events/member_joined_channel: channels:read (public), groups:read (private)
    "member_joined_channel": ("channels:read", "groups:read"),
}
"""The bot scopes Slack requires to deliver each Events API event the bot subscribes to."""
