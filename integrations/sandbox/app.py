"""The sandbox ASGI app: a stateful fake of Orange's five APIs (and its OAuth server).

app = create_app(clock=fake_clock)
async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as client:
    ...
app.state.sandbox  # the SandboxState, to inspect or drive
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import admin, auth, business, carrier, wholesale
from .errors import ApiError, gateway_error
from .routing import Ctx, Router
from .seed import seed_state
from .state import Config, Fault, SandboxState

logger = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
sleep = asyncio.sleep  # module attribute, so that tests can observe latency without waiting


def build_router() -> Router:
    router = Router()
    for module in (auth, carrier, wholesale, business):
        module.register(router)
    return router


ROUTER = build_router()


def _take_fault(state: SandboxState, method: str, path: str) -> Fault | None:
    for fault in state.faults:
        if fault.method is not None and fault.method != method:
            continue
        if not fault.path.search(path):
            continue
        fault.hits += 1
        if fault.remaining > 0:
            fault.remaining -= 1
            if fault.remaining == 0:
                state.faults.remove(fault)
        return fault
    return None


def _fault_response(fault: Fault) -> Response:
    headers = dict(fault.headers)
    if fault.body is None:
        content = b""
    elif isinstance(fault.body, str):
        content = fault.body.encode("utf-8")
    else:
        return JSONResponse(fault.body, status_code=fault.status or 500, headers=headers)
    media_type = None if any(name.lower() == "content-type" for name in headers) else "application/json"
    return Response(content, status_code=fault.status or 500, headers=headers, media_type=media_type)


def _error_response(err: ApiError) -> Response:
    return JSONResponse(err.body, status_code=err.status, headers=err.headers or None)


async def dispatch(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    path = request.url.path
    method = request.method
    if path == "/_sandbox" or path.startswith("/_sandbox/"):
        return await admin.handle(request, state)

    resolved = ROUTER.resolve(path)
    template = resolved.template if resolved is not None else None
    state.counters.requests[f"{method} {template or path}"] += 1

    if state.config.latency > 0:
        await sleep(state.config.latency)
    fault = _take_fault(state, method, path)
    if fault is not None and not fault.after:
        if fault.latency > 0:
            await sleep(fault.latency)
        if fault.status is not None:
            return _fault_response(fault)
    response = await _serve(request, state, resolved, method, path)
    if fault is not None and fault.after:
        # The work is done (an order created…); the answer is slow, or lost in a gateway error.
        if fault.latency > 0:
            await sleep(fault.latency)
        if fault.status is not None:
            return _fault_response(fault)
    return response


async def _serve(request: Request, state: SandboxState, resolved: Any, method: str, path: str) -> Response:
    try:
        if resolved is None:
            raise gateway_error(404, 60, f"No API is served at {path}")
        api = resolved.api
        if resolved.route is None:
            raise api.error(404, 60, f"Unknown resource path {path}", message="Resource not found")
        handler = resolved.route.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            allowed = ", ".join(sorted(resolved.route.handlers))
            err = api.error(405, 61, f"the {method.lower()} method is not available")
            err.headers["Allow"] = allowed
            raise err
        if api.auth:
            auth.check_bearer(request, state)
            if api.api_key:
                auth.check_api_key(request, state)
        state.tick()  # lifecycles advance lazily: apply every step due by now before answering
        return await handler(Ctx(request=request, state=state, api=api, prefix=resolved.prefix, params=resolved.params))
    except ApiError as err:
        return _error_response(err)
    except Exception:  # a sandbox bug must still answer like Orange would, not crash the client's test
        logger.exception("sandbox error on %s %s", method, path)
        style = resolved.api.style if resolved is not None else "gateway"
        body = (
            {"code": "1", "message": "Internal Server Error", "reason": "Sandbox error", "@type": "Error"}
            if style == "tmf"
            else {"code": 1, "message": "Internal Server Error", "description": "Sandbox error"}
        )
        return JSONResponse(body, status_code=500)


def create_app(
    *,
    clock: Callable[[], float] | None = None,
    step_seconds: float = 5.0,
    token_ttl: float = 3600.0,
    max_page_size: int = 50,
    seed: bool = True,
    latency: float = 0.0,
    api_key: str | None = None,
    clients: Mapping[str, str] | None = None,
    start: datetime | None = None,
    index_delay: float = 0.0,
    delivery_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The sandbox app.

    ``clock`` (seconds, default ``time.monotonic``) drives token expiry and order lifecycles;
    ``start`` is the calendar time at that first clock reading (default: now). ``latency`` is
    added to every API call. ``api_key`` is the only business API key accepted (default: any),
    ``clients`` the only client id/secret pairs accepted (default: any). ``index_delay`` is how long
    (sandbox clock) a created order or cancellation stays out of lists, though a GET by id finds it.
    ``delivery_transport`` carries hub events to their callbacks (default: the network; tests pass an
    ``httpx.ASGITransport`` of the listener's app, or set ``app.state.sandbox.deliveries.transport`` later).
    """
    config = Config(
        step_seconds=step_seconds,
        token_ttl=token_ttl,
        max_page_size=max_page_size,
        latency=latency,
        api_key=api_key,
        clients=dict(clients) if clients is not None else None,
        index_delay=index_delay,
    )
    state = SandboxState(clock=clock, start=start, config=config, seed=seed_state if seed else None)
    state.deliveries.transport = delivery_transport

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await state.deliveries.aclose()

    app = Starlette(routes=[Route("/{path:path}", dispatch, methods=METHODS)], lifespan=lifespan)
    app.state.sandbox = state
    return app
