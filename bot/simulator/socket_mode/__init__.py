"""Slack's side of Socket Mode on loopback: apps.connections.open on a FakeSlack, and the websocket link.

    async with FakeSlack.serve() as fake, SocketModeServer(fake).serving() as link:
        ...  # the bot runs with SLACK_API_URL=fake.api_url and SLACK_APP_TOKEN=link.app_token
        await link.wait_for_connection()
        envelope = await link.command("help")           # a slash_commands envelope on the newest connection
        ack = await link.wait_for_ack(envelope)         # ack.latency, ack.in_time, ack.payload
        await link.disconnect("refresh_requested")      # or "warning", "link_disabled"; close(), go_silent()

What it copies from Slack (docs.slack.dev/apis/events-api/using-socket-mode, and what slack_sdk's clients read):

- apps.connections.open wants the app-level token, as bearer or `token`: the bot token is refused with
  not_allowed_token_type, any other with invalid_auth. It answers ``ws://…/link/?ticket=…&app_id=…``; a ticket opens
  one connection, within `ticket_ttl` seconds (the simulator's rule: Slack documents no lifetime, but a client
  that retries an old URL fails for good, python-slack-sdk#1379). ``fake.inject("apps.connections.open", ...)``
  fails it like any method.
- A new connection gets ``hello`` (num_connections, debug_info, connection_info.app_id).
- Envelopes (envelope_id, type, payload, accepts_response_payload; events_api also retry_attempt, retry_reason) go
  to the newest open connection, and the app acks ``{envelope_id, payload?}``; every ack is recorded with its
  latency. An ack later than `ack_timeout` (3 s) does not count: an events_api envelope is then delivered again,
  with a new envelope_id, retry_attempt + 1 and retry_reason "timeout", after `retry_delays` (at once, then 1 and
  5 minutes); a command or an interaction is not (Slack tells the user it failed). An ack's payload is recorded,
  not acted on (a view_submission's response_action is not applied to the fake's views).
- The server pings each connection every `ping_interval` seconds (the simulator's pace: Slack documents none) and
  answers the app's pings.
- ``disconnect(reason)`` sends ``{type: disconnect, reason, debug_info}``: "warning" leaves the socket open,
  "refresh_requested" and "link_disabled" close it `close_after` seconds later, unless the app went first.

Faults: ``close()`` (the server ends the socket), ``go_silent()`` (a dead socket: still open, but it sends nothing,
answers no ping, and what the app sends is lost), ``outage(seconds)`` (the link refuses handshakes with 503),
``delay_acks(seconds)`` (acks reach Slack late).

Modules: `records` (Ack, Delivery, Envelope, Connection), `wire` (the JSON on the link and the payloads it wraps),
`link` (one websocket's reads, sends, pings and closes), `connections_open` (the Web API method and its tickets),
`server` (SocketModeServer, which ties them together: deliveries, retries, acks, faults).
"""

from __future__ import annotations

from bot.simulator.socket_mode.connections_open import APP_TOKEN
from bot.simulator.socket_mode.records import Ack, Connection, Delivery, DisconnectReason, Envelope, EnvelopeType
from bot.simulator.socket_mode.server import SocketModeServer

__all__ = [
    "APP_TOKEN",
    "Ack",
    "Connection",
    "Delivery",
    "DisconnectReason",
    "Envelope",
    "EnvelopeType",
    "SocketModeServer",
]
