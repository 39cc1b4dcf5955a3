"""A local Slack: a fake Web API with state, a signed-request user client, and a Block Kit renderer.

async with FakeSlack.serve(port=0) as fake:                      # fake.api_url -> SLACK_API_URL
    user = SlackUserClient(bot_events_url, signing_secret="secret", fake=fake)
    await user.command("help")

The app's grant is manifest.yml's bot scopes (`DEFAULT_SCOPES`); each Web API call is checked against the scope
Slack requires for it (`METHOD_SCOPES`, bot/simulator/scopes.py) and answers ``missing_scope`` like Slack.
"""

from __future__ import annotations

from bot.simulator.client import Ack, InputRefused, Signing, SlackUserClient, render_surface
from bot.simulator.render import Clickable, MessageRef, Rendered, mrkdwn_to_text, render_message, render_view
from bot.simulator.scopes import METHOD_SCOPES, Conversation, ManifestError, manifest_scopes, required_scope
from bot.simulator.server import serve_asgi
from bot.simulator.web_api import DEFAULT_SCOPES, Call, Channel, FakeSlack, ResponsePost, SimEvent, User

__all__ = [
    "DEFAULT_SCOPES",
    "METHOD_SCOPES",
    "Ack",
    "Call",
    "Channel",
    "Clickable",
    "Conversation",
    "FakeSlack",
    "InputRefused",
    "ManifestError",
    "MessageRef",
    "Rendered",
    "ResponsePost",
    "Signing",
    "SimEvent",
    "SlackUserClient",
    "User",
    "manifest_scopes",
    "mrkdwn_to_text",
    "render_message",
    "render_surface",
    "render_view",
    "required_scope",
    "serve_asgi",
]
