"""users.info."""

from __future__ import annotations

from bot.simulator.params import JSONDict
from bot.simulator.workspace import Workspace


async def info(ws: Workspace, params: JSONDict) -> JSONDict:
    return {"ok": True, "user": ws._user(params.get("user")).to_dict()}
