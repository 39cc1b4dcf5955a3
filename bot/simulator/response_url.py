"""The response_urls the fake hands out with commands and clicks, and what posting to them does.

A command's URL posts new ephemeral or in_channel messages, and replace_original acts on the latest one sent
through it; a click's URL is bound to the message clicked.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.simulator.faults import Faults
from bot.simulator.messages import content, new_message
from bot.simulator.params import JSONDict, SlackApiFailure, truthy
from bot.simulator.records import Call, ResponsePost, SimEvent
from bot.simulator.team import TEAM_ID
from bot.simulator.workspace import Workspace


@dataclass
class ResponseTarget:
    """What a response_url is bound to: a command's channel and user, or the message clicked."""

    token: str
    channel: str
    user: str
    message_ts: str | None = None
    ephemeral: bool = False
    follows_latest: bool = False
    """A command's URL: replace_original acts on the latest response sent through it."""
    uses: int = 0
    created: float = field(default_factory=time.time)


class ResponseUrls:
    """Answers ``POST /response/<token>``, logging each post in ``calls`` and ``posts``."""

    def __init__(self, ws: Workspace, *, calls: list[Call], posts: list[ResponsePost], faults: Faults) -> None:
        self._ws = ws
        self._calls = calls
        self._posts = posts
        self._faults = faults
        self._targets: dict[str, ResponseTarget] = {}

    def bind(self, channel: str, user: str, message_ts: str | None, ephemeral: bool) -> str:
        """A new token; ``message_ts`` binds it to the clicked message, else it follows what it posts."""
        token = f"{TEAM_ID}/{next(self._ws._ids)}/{secrets.token_urlsafe(12)}"
        self._targets[token] = ResponseTarget(
            token, channel, user, message_ts, ephemeral, follows_latest=message_ts is None
        )
        return token

    async def endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        url = str(request.url)
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            body = None
        call = Call(method="response_url", params=body if isinstance(body, dict) else {}, time=time.time())
        self._calls.append(call)
        fault = await self._faults.strike("response_url")
        if fault is not None:
            call.status = fault.status if fault.status != 200 else 500
            call.response = {"ok": False, "error": fault.error or "internal_error"}
            return JSONResponse(call.response, status_code=call.status, headers=fault.headers)
        try:
            if not isinstance(body, dict):
                raise SlackApiFailure("invalid_payload", status=400)
            target = self._targets.get(token)
            if target is None:
                raise SlackApiFailure("no_active_hooks", status=404)
            if target.uses >= 5 or time.time() - target.created > 30 * 60:  # Slack: 5 uses within 30 minutes
                raise SlackApiFailure("used_url", status=404)
            target.uses += 1
            effect, ts = self._respond(target, body)
        except SlackApiFailure as failure:
            call.status, call.response = failure.status, {"ok": False, "error": failure.error}
            self._posts.append(ResponsePost(token, url, body or {}, call.time, failure.error))
            return JSONResponse(call.response, status_code=failure.status)
        call.response = {"ok": True}
        self._posts.append(ResponsePost(token, url, body, call.time, effect, ts))
        return JSONResponse({"ok": True})

    def _respond(self, target: ResponseTarget, body: JSONDict) -> tuple[str, str | None]:
        ws = self._ws
        channel = ws._channel(target.channel)
        if truthy(body.get("delete_original")):
            if target.message_ts is None:
                raise SlackApiFailure("no_original_message", status=404)
            self._delete_original(target, channel.id)
            return "deleted", target.message_ts
        ts = target.message_ts
        if truthy(body.get("replace_original")) and ts is not None:
            seed = f"{channel.id}/{ts}/{next(ws._ids)}"
            text, blocks = content(body, seed=seed, require=True, action_id_scope=ws.action_id_scope)
            if target.ephemeral:
                msg = next((m for m in ws.ephemerals.get(target.user, []) if m["ts"] == ts), None)
            else:
                msg = ws._messages.get((channel.id, ts))
            if msg is None:
                raise SlackApiFailure("message_not_found", status=404)
            msg["text"] = text or ""
            msg["blocks"] = blocks or []
            kind: Literal["ephemeral", "update"] = "ephemeral" if target.ephemeral else "update"
            ws._emit(SimEvent(kind, channel=channel.id, ts=ts, user=target.user, message=copy.deepcopy(msg)))
            return "replaced", ts
        new_ts = ws._next_ts()
        text, blocks = content(body, seed=f"{channel.id}/{new_ts}", require=True, action_id_scope=ws.action_id_scope)
        msg = new_message(ts=new_ts, text=text, blocks=blocks, params=body)
        if body.get("response_type") == "in_channel":
            root = ws._thread_root(channel.id, body.get("thread_ts"))
            if root is not None:
                msg["thread_ts"] = root["ts"]
            ws._messages[(channel.id, new_ts)] = msg
            ws._order.append((channel.id, new_ts))
            ws._emit(SimEvent("message", channel=channel.id, ts=new_ts, message={**msg, "channel": channel.id}))
            if target.follows_latest:
                target.message_ts, target.ephemeral = new_ts, False
            return "in_channel", new_ts
        msg |= {"channel": channel.id, "recipient": target.user, "is_ephemeral": True}
        ws.ephemerals.setdefault(target.user, []).append(msg)
        ws._emit(SimEvent("ephemeral", channel=channel.id, ts=new_ts, user=target.user, message=copy.deepcopy(msg)))
        if target.follows_latest:
            target.message_ts, target.ephemeral = new_ts, True
        return "ephemeral", new_ts

    def _delete_original(self, target: ResponseTarget, channel: str) -> None:
        ws, ts = self._ws, target.message_ts
        if target.ephemeral:
            kept = [m for m in ws.ephemerals.get(target.user, []) if m["ts"] != ts]
            ws.ephemerals[target.user] = kept
        elif ws._messages.pop((channel, ts or ""), None) is not None:
            ws._deleted.add((channel, ts or ""))
        ws._emit(SimEvent("delete", channel=channel, ts=ts, user=target.user))
