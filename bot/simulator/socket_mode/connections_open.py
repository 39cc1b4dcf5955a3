"""apps.connections.open for the app-level token, and the one-use tickets in the URLs it answers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.simulator.methods.apps import check_app_token
from bot.simulator.params import JSONDict, SlackApiFailure
from bot.simulator.records import Call
from bot.simulator.team import APP_ID
from bot.simulator.web_api import FakeSlack

__all__ = ["APP_TOKEN", "METHOD", "Tickets", "answer_connections_open"]

APP_TOKEN = "xapp-1-A_SIM-1-simulator"
"""The app-level token the server accepts unless told otherwise."""

METHOD = "apps.connections.open"


class Tickets:
    """Tickets issued in link URLs: each opens one connection, within a time-to-live."""

    def __init__(self) -> None:
        self._issued: dict[str, float] = {}

    def new_url(self, base: str | None) -> str:
        """A link URL on `base` (``ws://host:port``) with a fresh ticket; internal_error while nothing serves."""
        if base is None:
            raise SlackApiFailure("internal_error", status=500)
        ticket = str(uuid.uuid4())
        self._issued[ticket] = time.monotonic()
        return f"{base}/link/?ticket={ticket}&app_id={APP_ID}"

    def redeem(self, ticket: str, *, ttl: float) -> bool:
        """Use up `ticket`; False when it is unknown, used already, or older than `ttl` seconds."""
        issued = self._issued.pop(ticket, None)
        return issued is not None and time.monotonic() - issued <= ttl


async def answer_connections_open(
    request: Request,
    *,
    fake: FakeSlack,
    app_token: str,
    app_scopes: Collection[str],
    new_url: Callable[[], str],
) -> Response:
    """Answer one apps.connections.open on `fake`, recorded in its calls like any method."""
    call = Call(method=METHOD, params={}, time=time.time())
    fake.calls.append(call)
    headers = {"X-OAuth-Scopes": ",".join(sorted(app_scopes))}
    try:
        call.params = await fake._params(request)
        auth = request.headers.get("authorization", "")
        bearer = auth[len("Bearer ") :].strip() if auth.lower().startswith("bearer ") else None
        token = bearer or call.params.get("token")
        call.params.pop("token", None)
        check_app_token(
            token if isinstance(token, str) else None,
            app_token=app_token,
            bot_token=fake.bot_token,
            scopes=app_scopes,
        )
        fault = await fake._faults.strike(METHOD)
        if fault is not None:
            headers.update(fault.headers)
            raise SlackApiFailure(fault.error or "internal_error", status=fault.status)
        body: JSONDict = {"ok": True, "url": new_url()}
    except SlackApiFailure as failure:
        call.status = failure.status
        body = {"ok": False, "error": failure.error, **failure.extra}
    call.response = body
    return JSONResponse(body, status_code=call.status, headers=headers)
