"""views.open, views.push, views.update and views.publish, and a view_submission's ack applied like Slack."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Mapping
from typing import Any, Literal

from bot.simulator.ids import assign_ids
from bot.simulator.limits import slack_error_body, validate_view
from bot.simulator.params import JSONDict, SlackApiFailure, json_field
from bot.simulator.records import SimEvent
from bot.simulator.team import APP_ID, BOT_ID, TEAM_ID
from bot.simulator.workspace import Workspace

_VIEW_STACK_LIMIT = 3


def _use_trigger(ws: Workspace, trigger_id: object) -> str:
    if not isinstance(trigger_id, str) or not trigger_id:
        raise SlackApiFailure("invalid_arguments")
    if trigger_id not in ws._triggers:
        raise SlackApiFailure("invalid_trigger_id")
    user, issued = ws._triggers[trigger_id]
    if user == "":
        raise SlackApiFailure("exchanged_trigger_id")
    if time.monotonic() - issued > ws.trigger_ttl:
        raise SlackApiFailure("expired_trigger_id")
    ws._triggers[trigger_id] = ("", issued)
    return user


def _checked_view(params: JSONDict, *, kind: str | None = None) -> JSONDict:
    view = json_field(params, "view", error="invalid_arguments")
    if not isinstance(view, dict):
        raise SlackApiFailure("invalid_arguments")
    errors = validate_view(view)
    if kind is not None and view.get("type") != kind:
        errors.append(f"must be {kind} [json-pointer:/view/type]")
    if errors:
        raise SlackApiFailure("invalid_arguments", body=slack_error_body("invalid_arguments", errors))
    return view


def _store_view(
    ws: Workspace, view: JSONDict, *, view_id: str | None, root_id: str | None, previous: str | None
) -> JSONDict:
    view_id = view_id or f"V{next(ws._ids):010d}"
    stored: JSONDict = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view.get("type", "modal"),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": assign_ids(list(view.get("blocks", []) or []), view_id),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": root_id or view_id,
        "previous_view_id": previous,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
    }
    ws.views[view_id] = stored
    ws.view_errors.pop(view_id, None)
    return stored


def _find_view(ws: Workspace, params: JSONDict) -> JSONDict:
    view_id, external_id = params.get("view_id"), params.get("external_id")
    for view in ws.views.values():
        if (view_id and view["id"] == view_id) or (external_id and view.get("external_id") == external_id):
            return view
    raise SlackApiFailure("not_found")


def _push(ws: Workspace, user: str, view: JSONDict, *, root_id: str, previous: str) -> JSONDict:
    stored = _store_view(ws, view, view_id=None, root_id=root_id, previous=previous)
    ws._view_stacks.setdefault(user, []).append(stored["id"])
    ws._view_owner[stored["id"]] = user
    ws._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
    return stored


async def open_modal(ws: Workspace, params: JSONDict) -> JSONDict:
    view = _checked_view(params, kind="modal")
    user = _use_trigger(ws, params.get("trigger_id"))
    stored = _store_view(ws, view, view_id=None, root_id=None, previous=None)
    ws._view_stacks[user] = [stored["id"]]
    ws._view_owner[stored["id"]] = user
    ws._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
    return {"ok": True, "view": copy.deepcopy(stored)}


async def push_modal(ws: Workspace, params: JSONDict) -> JSONDict:
    view = _checked_view(params, kind="modal")
    user = _use_trigger(ws, params.get("trigger_id"))
    stack = ws._view_stacks.setdefault(user, [])
    if not stack:
        raise SlackApiFailure("not_found")
    if len(stack) >= _VIEW_STACK_LIMIT:
        raise SlackApiFailure("push_limit_reached")
    stored = _push(ws, user, view, root_id=stack[0], previous=stack[-1])
    return {"ok": True, "view": copy.deepcopy(stored)}


async def update_view(ws: Workspace, params: JSONDict) -> JSONDict:
    current = _find_view(ws, params)
    if params.get("hash") and params["hash"] != current["hash"]:
        raise SlackApiFailure("hash_conflict")
    view = _checked_view(params)
    stored = _store_view(
        ws, view, view_id=current["id"], root_id=current["root_view_id"], previous=current["previous_view_id"]
    )
    user = ws._view_owner.get(stored["id"])
    kind: Literal["home", "view"] = "home" if stored["type"] == "home" else "view"
    if kind == "home" and user is not None:
        ws.homes[user] = stored
    ws._emit(SimEvent(kind, user=user, view=copy.deepcopy(stored)))
    return {"ok": True, "view": copy.deepcopy(stored)}


async def publish_home(ws: Workspace, params: JSONDict) -> JSONDict:
    user = ws._user(params.get("user_id"))
    view = _checked_view(params, kind="home")
    current = ws.homes.get(user.id)
    if current is not None and params.get("hash") and params["hash"] != current["hash"]:
        raise SlackApiFailure("hash_conflict")
    view_id = current["id"] if current is not None else None
    stored = _store_view(ws, view, view_id=view_id, root_id=None, previous=None)
    ws.homes[user.id] = stored
    ws._view_owner[stored["id"]] = user.id
    ws._emit(SimEvent("home", user=user.id, view=copy.deepcopy(stored)))
    return {"ok": True, "view": copy.deepcopy(stored)}


def close_view(ws: Workspace, view_id: str, *, clear: bool = False) -> None:
    user = ws._view_owner.get(view_id)
    stack = ws._view_stacks.get(user or "", [])
    if view_id in stack:
        del stack[0 if clear else stack.index(view_id) :]
    ws._emit(SimEvent("view_closed", user=user, view=ws.view(view_id)))


def apply_view_response(ws: Workspace, view_id: str, response: Mapping[str, Any]) -> None:
    action = response.get("response_action")
    user = ws._view_owner.get(view_id, "")
    current = ws.views.get(view_id)
    if action == "errors":
        errors = response.get("errors")
        ws.view_errors[view_id] = dict(errors) if isinstance(errors, Mapping) else {}
    elif action == "update" and current is not None:
        stored = _store_view(
            ws,
            dict(response.get("view", {})),
            view_id=view_id,
            root_id=current["root_view_id"],
            previous=current["previous_view_id"],
        )
        ws._emit(SimEvent("view", user=user, view=copy.deepcopy(stored)))
    elif action == "push" and current is not None:
        _push(ws, user, dict(response.get("view", {})), root_id=current["root_view_id"], previous=view_id)
    else:
        close_view(ws, view_id, clear=action == "clear")
