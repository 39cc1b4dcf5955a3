"""apps.connections.open: a Socket Mode websocket URL, for the app-level token only.

https://docs.slack.dev/reference/methods/apps.connections.open — "app-level token" with `connections:write`.
FakeSlack's own endpoint authenticates the bot token and nothing else, so the bot token is all that reaches
`connections_open`, and Slack refuses it; the app-level token is answered by the Socket Mode server
(bot/simulator/socket_mode/connections_open.py), which knows the token and has the URL to give.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.workspace import Workspace

__all__ = ["CONNECTIONS_SCOPE", "check_app_token", "connections_open"]

CONNECTIONS_SCOPE = "connections:write"
"""The app-level token scope apps.connections.open requires."""


async def connections_open(ws: Workspace, params: JSONDict) -> JSONDict:
    raise SlackApiFailure("not_allowed_token_type")


def check_app_token(token: str | None, *, app_token: str, bot_token: str, scopes: Collection[str]) -> None:
    """Refuse `token` as Slack does when it is not an app-level token allowed to open connections."""
    if not token:
        raise SlackApiFailure("not_authed")
    if token == bot_token:  # a valid token, of the wrong type
        raise SlackApiFailure("not_allowed_token_type")
    if token != app_token:
        raise SlackApiFailure("invalid_auth")
    if CONNECTIONS_SCOPE not in scopes:
        raise SlackApiFailure("missing_scope", needed=CONNECTIONS_SCOPE, provided=",".join(sorted(scopes)))
