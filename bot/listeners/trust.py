"""Only this organisation acts: every request from another Slack team or enterprise is refused before any listener.

In a Slack Connect channel, members of other organisations can type `/orange`, click the bot's buttons and open its
modals; their payloads name their own team. The bot knows its own team and enterprise (`auth.test`, `HomeTeam`);
`ALLOWED_TEAM_IDS` adds deliberate exceptions. A refused request gets one ephemeral line and changes nothing: no
listener runs, nothing is read from Orange, nothing is stored.

    register(app, ctx)            # first of the app's own middleware
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.context import BotContext, HomeTeam
from bot.i18n import _

__all__ = ["acting_teams", "refusal", "refused_text", "register", "unknown_home_text"]

log = logging.getLogger("bot.trust")


def refused_text() -> str:
    return _(
        "orange-bot acts only for the organisation that installed it: requests from your workspace are not accepted "
        "here, and nothing was changed."
    )


def unknown_home_text() -> str:
    return _("orange-bot cannot confirm your workspace with Slack right now; nothing was changed. Try again shortly.")


def _ids(value: object) -> Iterator[str]:
    if isinstance(value, str) and value:
        yield value


def acting_teams(body: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The team ids and enterprise ids a payload gives for whoever acts (commands, interactions, options, events).

    Every field Slack uses for it is read, so a payload cannot pass by naming the home team in one field and its own
    in another (a Slack Connect user's `user.team_id` is their own team even where `team.id` is the channel host's).
    """
    teams: set[str] = set()
    enterprises: set[str] = set()
    teams.update(_ids(body.get("team_id")))
    teams.update(_ids(body.get("user_team_id")))
    enterprises.update(_ids(body.get("enterprise_id")))
    for key, into in (("team", teams), ("enterprise", enterprises)):
        part = body.get(key)
        if isinstance(part, Mapping):
            into.update(_ids(part.get("id")))
    user = body.get("user")
    if isinstance(user, Mapping):
        teams.update(_ids(user.get("team_id")))
    event = body.get("event")
    if isinstance(event, Mapping):
        for key in ("team", "user_team", "source_team"):
            teams.update(_ids(event.get(key)))
        event_user = event.get("user")
        if isinstance(event_user, Mapping):
            teams.update(_ids(event_user.get("team_id")))
    return teams, enterprises


def refusal(body: Mapping[str, Any], home: HomeTeam, allowed: tuple[str, ...]) -> str | None:
    """Why this payload may not act here (None: it may). The home team must be known."""
    teams, enterprises = acting_teams(body)
    ok_teams = {home.team_id, *allowed}
    ok_enterprises = {home.enterprise_id, *allowed} - {None}
    foreign = sorted(teams - ok_teams) + sorted(enterprises - ok_enterprises)
    if foreign:
        return "from " + ", ".join(foreign)
    return None


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.middleware
    async def only_this_organisation(
        body: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        if not ctx.home.known and not await ctx.home.learn(context.client):
            log.warning("auth.test did not answer: a %s request is refused until the bot knows its team", _kind(body))
            return await _refuse(body, respond, unknown_home_text())
        why = refusal(body, ctx.home, ctx.settings.allowed_team_ids)
        if why is None:
            await next()
            return None
        log.warning("refused a %s request %s (not this organisation; ALLOWED_TEAM_IDS to allow)", _kind(body), why)
        return await _refuse(body, respond, refused_text())


def _kind(body: Mapping[str, Any]) -> str:
    if body.get("command"):
        return "slash command"
    if body.get("type") == "event_callback":
        event = body.get("event")
        return f"{event.get('type')} event" if isinstance(event, Mapping) else "event"
    return str(body.get("type") or "unknown")


async def _refuse(body: Mapping[str, Any], respond: AsyncRespond, text: str) -> BoltResponse:
    """The one ephemeral line, in the form each kind of request takes it."""
    kind = body.get("type")
    if body.get("command"):  # a slash command's immediate answer is shown to the requester only
        return _json({"response_type": "ephemeral", "text": text})
    if kind == "block_suggestion":
        return _json({"options": []})
    if kind == "view_submission":
        return _json({"response_action": "update", "view": _refused_view(text)})
    if kind == "block_actions" and body.get("response_url"):
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception as err:  # the refusal stands whether or not Slack took the line
            log.info("could not tell the refused user: %s", type(err).__name__)
    return BoltResponse(status=200, body="")  # events, and clicks without a response_url: nothing to say


def _json(body: dict[str, Any]) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(body), headers={"content-type": "application/json"})


def _refused_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "orange-bot"},
        "close": {"type": "plain_text", "text": _("Close")},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": text}}],
    }
