"""The JSON Slack sends on the link (hello, envelopes, disconnect) and the payloads its envelopes wrap."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from bot.simulator.client import VERIFICATION_TOKEN
from bot.simulator.params import JSONDict
from bot.simulator.socket_mode.records import Delivery, DisconnectReason, Envelope, EnvelopeType
from bot.simulator.team import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from bot.simulator.web_api import FakeSlack

__all__ = [
    "HOST",
    "accepts_response_payload",
    "command_payload",
    "disconnect_message",
    "envelope_message",
    "event_payload",
    "hello_message",
    "new_event_id",
]

HOST = "applink-simulator"


def hello_message(*, num_connections: int) -> JSONDict:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": HOST, "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }


def disconnect_message(reason: DisconnectReason) -> JSONDict:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}


def envelope_message(envelope: Envelope, delivery: Delivery) -> JSONDict:
    """One attempt at `envelope`; an events_api one also says which retry it is."""
    message: JSONDict = {
        "envelope_id": delivery.envelope_id,
        "type": envelope.type,
        "payload": envelope.payload,
        "accepts_response_payload": envelope.accepts_response_payload,
    }
    if envelope.type == "events_api":
        retry_attempt = delivery.retry_attempt
        message |= {"retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""}
    return message


def accepts_response_payload(type: EnvelopeType, payload: Mapping[str, Any]) -> bool:
    """Whether Slack takes an answer in the ack: a command's, a view_submission's, a block_suggestion's."""
    return type == "slash_commands" or (
        type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
    )


def command_payload(fake: FakeSlack, *, text: str, user: str, channel: str, command: str) -> JSONDict:
    """A slash command, as Slack wraps it, with a fresh response_url and trigger_id on the fake."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": fake.channels[channel].name if channel in fake.channels else channel.lower(),
        "user_id": user,
        "user_name": fake.users[user].name if user in fake.users else user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": fake.new_response_url(channel=channel, user=user),
        "trigger_id": fake.new_trigger_id(user),
    }


def new_event_id(seq: int) -> str:
    """A fresh event_id, as Slack spells them, around `seq`."""
    return f"Ev{seq:08d}{secrets.token_hex(2).upper()}"


def event_payload(event: Mapping[str, Any], *, event_id: str) -> JSONDict:
    """An Events API event_callback around `event`."""
    now = time.time()
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {"event_ts": f"{now:.6f}", **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(16)}",
    }
