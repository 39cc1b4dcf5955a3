"""A local Slack: a fake Web API with state, a signed-request user client, and a Block Kit renderer.

async with FakeSlack.serve(port=0) as fake:                      # fake.api_url -> SLACK_API_URL
    user = SlackUserClient(bot_events_url, signing_secret="secret", fake=fake)
    await user.command("help")
"""

from __future__ import annotations

from bot.simulator.client import Ack, Signing, SlackUserClient, render_surface
from bot.simulator.render import Clickable, MessageRef, Rendered, mrkdwn_to_text, render_message, render_view
from bot.simulator.server import serve_asgi
from bot.simulator.web_api import Call, Channel, FakeSlack, ResponsePost, SimEvent, User

__all__ = [
    "Ack",
    "Call",
    "Channel",
    "Clickable",
    "FakeSlack",
    "MessageRef",
    "Rendered",
    "ResponsePost",
    "Signing",
    "SimEvent",
    "SlackUserClient",
    "User",
    "mrkdwn_to_text",
    "render_message",
    "render_surface",
    "render_view",
    "serve_asgi",
]
