"""api.test and auth.test."""

from __future__ import annotations

from bot.simulator.params import JSONDict
from bot.simulator.team import BOT_ID, BOT_USER_ID, PERMALINK_HOST, TEAM_ID
from bot.simulator.workspace import Workspace


async def api_test(ws: Workspace, params: JSONDict) -> JSONDict:
    return {"ok": True, "args": params}


async def auth_test(ws: Workspace, params: JSONDict) -> JSONDict:
    return {
        "ok": True,
        "url": f"{PERMALINK_HOST}/",
        "team": "Simulator",
        "user": "orange-bot",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }
