"""users.info, usergroups.list, usergroups.users.list."""

from __future__ import annotations

from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.workspace import Workspace


def _true(value: object) -> bool:
    return value is True or str(value).lower() in ("1", "true")


async def info(ws: Workspace, params: JSONDict) -> JSONDict:
    user = ws._user(params.get("user"))
    data = user.to_dict()
    if _true(params.get("include_locale")):  # like Slack: no `locale` unless asked for
        data["locale"] = user.locale
    return {"ok": True, "user": data}


async def usergroups_list(ws: Workspace, params: JSONDict) -> JSONDict:
    return {"ok": True, "usergroups": [group.to_dict() for group in ws.usergroups.values()]}


async def usergroups_users_list(ws: Workspace, params: JSONDict) -> JSONDict:
    """A group's members by id, as Slack answers (`no_such_subteam` for an id it does not know)."""
    group = ws.usergroups.get(str(params.get("usergroup") or ""))
    if group is None:
        raise SlackApiFailure("no_such_subteam")
    return {"ok": True, "users": list(group.users)}
