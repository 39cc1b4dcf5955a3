"""A Slack user (and Slack itself) sending real signed requests to the bot's ``POST /slack/events``.

    user = SlackUserClient("http://127.0.0.1:3000/slack/events", signing_secret="secret", fake=fake)
    ack = await user.command("order carrier:11")          # ack.status, ack.body, ack.elapsed
    print(user.render(fake.channel_messages("C_GENERAL")[-1]))   # "... [1] Approve  [2] Reject"
    await user.click(1, user="U_BOB")

In-process: ``SlackUserClient("http://bot/slack/events", transport=httpx.ASGITransport(app=asgi_app), ...)``.
``signing`` sends a valid, forged, missing or stale (10 minutes old) signature.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from bot.simulator.render import Clickable, MessageRef, Rendered, render_message, render_view
from bot.simulator.web_api import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, FakeSlack

Signing = Literal["valid", "forged", "missing", "stale"]
JSONDict = dict[str, Any]
VERIFICATION_TOKEN = "sim-verification-token"
STALE_SECONDS = 600

_FORM = "application/x-www-form-urlencoded"
_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_SELECTED = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_SINGLE_OPTION = ("static_select", "external_select", "radio_buttons", "overflow")
_MULTI_OPTION = ("multi_static_select", "multi_external_select", "checkboxes")


@dataclass
class Ack:
    """The bot's HTTP answer to one request, and what was sent."""

    status: int
    body: str
    headers: Mapping[str, str]
    elapsed: float
    """Seconds from sending the request to the end of the response."""
    payload: JSONDict
    response_url: str | None = None
    trigger_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


def _plain(text: str) -> JSONDict:
    return {"type": "plain_text", "text": text, "emoji": True}


def _elements(view: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], bool]]:
    """(block_id, element, in_input_block) for every element with an action_id."""
    out: list[tuple[str, Mapping[str, Any], bool]] = []
    for block in view.get("blocks", []) or []:
        block_id = str(block.get("block_id", ""))
        candidates = list(block.get("elements", []) or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), Mapping):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id"):
                out.append((block_id, element, block.get("type") == "input"))
    return out


def _find_option(element: Mapping[str, Any], wanted: object) -> JSONDict:
    if isinstance(wanted, Mapping):
        return dict(wanted)
    options = list(element.get("options", []) or [])
    for group in element.get("option_groups", []) or []:
        options += list(group.get("options", []) or [])
    for option in options:
        text = option.get("text", {}).get("text")
        if wanted in (option.get("value"), text):
            return dict(option)
    return {"text": _plain(str(wanted)), "value": str(wanted)}


class InputRefused(ValueError):
    """Slack's client would not send this submission: `{block_id: why}` (a required field empty, a text out of its
    `min_length`/`max_length`), shown in the modal without the app hearing of it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def _refused_inputs(view: Mapping[str, Any], state: Mapping[str, Mapping[str, JSONDict]]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for block in view.get("blocks", []) or []:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, Mapping):
            continue
        block_id = str(block.get("block_id", ""))
        entry = (state.get(block_id) or {}).get(str(element.get("action_id"))) or {}
        if element.get("type") == "plain_text_input":
            text = str(entry.get("value") or "")
            if not text and not block.get("optional"):
                errors[block_id] = "Please fill out this field."
            elif text and len(text) > int(element.get("max_length") or 3000):
                errors[block_id] = f"Must be {element.get('max_length') or 3000} characters or fewer."
            elif text and len(text) < int(element.get("min_length") or 0):
                errors[block_id] = f"Must be at least {element.get('min_length')} characters."
    return errors


def element_state(element: Mapping[str, Any], value: object) -> JSONDict:
    """The ``view.state.values[block][action]`` entry Slack sends for ``element`` holding ``value``."""
    kind = str(element.get("type", ""))
    if isinstance(value, Mapping) and "type" in value and kind not in _SINGLE_OPTION:
        return dict(value)
    state: JSONDict = {"type": kind}
    if kind in _SINGLE_OPTION:
        state["selected_option"] = None if value is None else _find_option(element, value)
    elif kind in _MULTI_OPTION:
        values = [] if value is None else value if isinstance(value, list | tuple) else [value]
        state["selected_options"] = [_find_option(element, v) for v in values]
    elif kind in _SELECTED:
        state[_SELECTED[kind]] = value
    else:
        state["value"] = None if value is None else str(value)
    return state


def render_surface(
    item: Mapping[str, Any], *, start: int = 1, fake: FakeSlack | None = None, channel: str | None = None
) -> Rendered:
    """A message (channel or ephemeral) or a view dict, as the fake stores them, rendered with its ref."""
    if str(item.get("id", "")).startswith("V") and item.get("type") in ("modal", "home"):
        owner = fake.view_owner(str(item["id"])) if fake is not None else None
        return render_view(item, start=start, user=owner)
    ts = str(item.get("ts", ""))
    thread_ts = item.get("thread_ts")
    ref = MessageRef(
        channel=item.get("channel") or channel,
        ts=ts,
        ephemeral=bool(item.get("is_ephemeral")),
        user=item.get("recipient"),
        thread_ts=thread_ts if thread_ts not in (None, ts) else None,
    )
    return render_message(item.get("text"), item.get("blocks"), ref=ref, start=start, files=item.get("files"))


class SlackUserClient:
    """Signed Slack requests to one bot URL; keeps the global click numbering of what it rendered."""

    def __init__(
        self,
        url: str,
        *,
        signing_secret: str,
        fake: FakeSlack | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        user: str = "U_ALICE",
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = APP_ID,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.fake = fake
        self.user = user
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.clickables: dict[int, Clickable] = {}
        self.next_number = 1
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._ids = itertools.count(1)

    async def __aenter__(self) -> SlackUserClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ signing and sending

    def signature_headers(self, body: str, *, signing: Signing = "valid") -> dict[str, str]:
        """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (v0 HMAC-SHA256 of ``v0:{ts}:{body}``)."""
        if signing == "missing":
            return {}
        timestamp = str(int(time.time()) - (STALE_SECONDS if signing == "stale" else 0))
        secret = self.signing_secret if signing != "forged" else self.signing_secret + "-forged"
        digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}

    async def send(
        self,
        body: str,
        *,
        content_type: str = _FORM,
        signing: Signing = "valid",
        headers: Mapping[str, str] | None = None,
        payload: JSONDict | None = None,
    ) -> Ack:
        """POST a raw body, signed; the building block of the typed methods below."""
        all_headers = {"Content-Type": content_type, "User-Agent": _USER_AGENT, **(headers or {})}
        all_headers.update(self.signature_headers(body, signing=signing))
        started = time.perf_counter()
        response = await self._http.post(self.url, content=body.encode(), headers=all_headers)
        elapsed = time.perf_counter() - started
        return Ack(response.status_code, response.text, dict(response.headers), elapsed, payload or {})

    async def _send_payload(self, payload: JSONDict, *, signing: Signing) -> Ack:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, signing=signing, payload=payload)

    # ------------------------------------------------------------------ identity helpers

    def _user_obj(self, user: str) -> JSONDict:
        name = self.fake.users[user].name if self.fake and user in self.fake.users else user.lower()
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _channel_name(self, channel: str) -> str:
        if self.fake and channel in self.fake.channels:
            return self.fake.channels[channel].name
        return channel.lower()

    def _trigger(self, user: str) -> str:
        if self.fake is not None:
            return self.fake.new_trigger_id(user)
        return f"{next(self._ids)}.{self.team_id}.{secrets.token_hex(8)}"

    def _response_url(self, channel: str, user: str, *, message_ts: str | None = None, ephemeral: bool = False) -> str:
        if self.fake is not None:
            return self.fake.new_response_url(channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral)
        return f"https://hooks.slack.com/actions/{self.team_id}/{next(self._ids)}/{secrets.token_urlsafe(12)}"

    def _common(self, user: str) -> JSONDict:
        return {
            "user": self._user_obj(user),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # ------------------------------------------------------------------ rendering and numbering

    def render(self, item: Mapping[str, Any], *, channel: str | None = None) -> Rendered:
        """Render a message or view from the fake, numbering its clickables after those rendered before."""
        rendered = render_surface(item, start=self.next_number, fake=self.fake, channel=channel)
        self.clickables.update(rendered.clickables)
        self.next_number = rendered.next_number
        return rendered

    def _resolve(
        self, target: int | str, *, user: str, value: str | None, message: Mapping[str, Any] | None
    ) -> Clickable:
        if isinstance(target, int):
            if target not in self.clickables:
                raise KeyError(f"nothing numbered [{target}] yet: render the message or view first")
            return self.clickables[target]
        if message is not None:
            surfaces: list[Mapping[str, Any]] = [message]
        elif self.fake is not None:
            surfaces = [item for _, item in self.fake.surfaces(user)]
        else:
            raise ValueError("clicking by action_id needs `message=` or a FakeSlack")
        for surface in surfaces:
            rendered = render_surface(surface, start=1, fake=self.fake)
            found = [c for c in rendered.clickables.values() if c.action_id == target]
            if value is not None:
                found = [c for c in found if value in (c.value, c.label)] or found
            if found:
                return found[0]
        raise LookupError(f"no element with action_id {target!r} visible to {user}")

    # ------------------------------------------------------------------ interactions

    async def command(
        self,
        text: str = "",
        *,
        user: str | None = None,
        channel: str = "C_GENERAL",
        command: str = "/orange",
        signing: Signing = "valid",
    ) -> Ack:
        """A slash command, form-encoded like Slack, with a fresh response_url on the fake."""
        user = user or self.user
        response_url = self._response_url(channel, user)
        trigger_id = self._trigger(user)
        params = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "user_id": user,
            "user_name": self._user_obj(user)["username"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        ack = await self.send(urlencode(params), signing=signing, payload=params)
        ack.response_url, ack.trigger_id = response_url, trigger_id
        return ack

    async def click(
        self,
        target: int | str,
        *,
        user: str | None = None,
        value: str | None = None,
        message: Mapping[str, Any] | None = None,
        signing: Signing = "valid",
    ) -> Ack:
        """Click a numbered element (``click(2)``) or the newest one with that action_id (``click("approve")``).

        ``value`` picks an option by value or label, or supplies the choice of an external/user/date select.
        """
        user = user or self.user
        clickable = self._resolve(target, user=user, value=value, message=message)
        ref = clickable.ref or MessageRef()
        trigger_id = self._trigger(user)
        action: JSONDict = {
            "type": clickable.type,
            "action_id": clickable.action_id,
            "block_id": clickable.block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if clickable.type == "button":
            action["text"] = _plain(clickable.label)
            if clickable.value is not None:
                action["value"] = clickable.value
        elif clickable.selected_option is not None:
            action["selected_option"] = dict(clickable.selected_option)
        elif clickable.type in _SELECTED:
            action[_SELECTED[clickable.type]] = value
        elif clickable.type in ("external_select",):
            action["selected_option"] = {"text": _plain(str(value)), "value": str(value)}
        payload: JSONDict = {"type": "block_actions", **self._common(user), "trigger_id": trigger_id}
        response_url = None
        if ref.view_id is not None:
            view = self.fake.view(ref.view_id) if self.fake is not None else None
            payload["container"] = {"type": "view", "view_id": ref.view_id}
            payload["view"] = view or {"id": ref.view_id}
        else:
            channel, ts = ref.channel or "C_GENERAL", ref.ts or ""
            response_url = self._response_url(channel, user, message_ts=ts, ephemeral=ref.ephemeral)
            container: JSONDict = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ref.ephemeral,
            }
            if ref.thread_ts:
                container["thread_ts"] = ref.thread_ts
            payload |= {
                "container": container,
                "channel": {"id": channel, "name": self._channel_name(channel)},
                "state": {"values": {}},
                "response_url": response_url,
            }
            current = self.fake.find_message(channel, ts, user=user) if self.fake is not None else None
            if not ref.ephemeral:  # Slack leaves the message out of clicks on ephemeral messages
                if current is None and message is not None:
                    current = dict(message)
                if current is not None:
                    for key in ("channel", "recipient", "is_ephemeral"):
                        current.pop(key, None)
                    payload["message"] = current
        payload["actions"] = [action]
        ack = await self._send_payload(payload, signing=signing)
        ack.response_url, ack.trigger_id = response_url, trigger_id
        return ack

    async def submit_view(
        self,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        *,
        user: str | None = None,
        view: Mapping[str, Any] | None = None,
        signing: Signing = "valid",
    ) -> Ack:
        """Submit a modal; ``values`` is ``{block_id: {action_id: v}}`` or ``{action_id: v}``.

        Plain values are shaped per element (text → value, selects → selected_option, …); the ack's
        ``response_action`` (errors, update, push, clear) is applied to the fake like Slack would.
        """
        user = user or self.user
        values = values or {}
        current = dict(view) if view is not None else (self.fake.view(view_id) if self.fake is not None else None)
        if current is None:
            raise LookupError(f"unknown view {view_id}")
        state: dict[str, dict[str, JSONDict]] = {}
        for block_id, element, is_input in _elements(current):
            action_id = str(element["action_id"])
            given = values.get(block_id)
            if isinstance(given, Mapping) and "type" not in given and action_id in given:
                raw = given[action_id]
            elif block_id in values and not isinstance(given, Mapping | type(None)):
                raw = given
            else:
                raw = values.get(action_id)
            if raw is None and element.get("type") == "plain_text_input":
                raw = element.get("initial_value")  # Slack sends what the field shows, its pre-filled text too
            if is_input or raw is not None:
                state.setdefault(block_id, {})[action_id] = element_state(element, raw)
        refused = _refused_inputs(current, state)
        if refused:
            raise InputRefused(refused)
        current["state"] = {"values": state}
        if self.fake is not None and view_id in self.fake.views:
            self.fake.views[view_id]["state"] = {"values": state}
        payload: JSONDict = {
            "type": "view_submission",
            **self._common(user),
            "trigger_id": self._trigger(user),
            "view": current,
            "response_urls": [],
        }
        ack = await self._send_payload(payload, signing=signing)
        if self.fake is not None and ack.status == 200:
            try:
                response = ack.json()
            except json.JSONDecodeError:
                response = None
            self.fake.apply_view_response(view_id, response if isinstance(response, Mapping) else {})
        return ack

    async def options(
        self,
        action_id: str,
        value: str = "",
        view_id: str | None = None,
        *,
        block_id: str | None = None,
        user: str | None = None,
        message: Mapping[str, Any] | None = None,
        signing: Signing = "valid",
    ) -> Ack:
        """A ``block_suggestion`` for an external select as the user types ``value``; the ack holds the options."""
        user = user or self.user
        payload: JSONDict = {"type": "block_suggestion", **self._common(user), "action_id": action_id, "value": value}
        surface: Mapping[str, Any] | None = message
        if view_id is not None:
            view = self.fake.view(view_id) if self.fake is not None else None
            surface = view or {"id": view_id}
            payload |= {"container": {"type": "view", "view_id": view_id}, "view": surface}
        elif message is not None:
            channel = str(message.get("channel", "C_GENERAL"))
            payload |= {
                "container": {"type": "message", "message_ts": message.get("ts"), "channel_id": channel},
                "channel": {"id": channel, "name": self._channel_name(channel)},
                "message": dict(message),
            }
        if block_id is None and surface is not None:
            block_id = next((b for b, el, _ in _elements(surface) if el.get("action_id") == action_id), None)
        payload["block_id"] = block_id or ""
        return await self._send_payload(payload, signing=signing)

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        signing: Signing = "valid",
    ) -> Ack:
        """An Events API ``event_callback``; resend with the same ``event_id`` and ``retry_num`` for a redelivery."""
        now = time.time()
        inner = {"event_ts": f"{now:.6f}", **event}
        payload: JSONDict = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}{secrets.token_hex(2).upper()}",
            "event_time": event_time or int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_urlsafe(16)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.send(
            json.dumps(payload), content_type="application/json", signing=signing, headers=headers, payload=payload
        )

    async def url_verification(self, challenge: str = "sim-challenge", *, signing: Signing = "valid") -> Ack:
        payload = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return await self.send(json.dumps(payload), content_type="application/json", signing=signing, payload=payload)
