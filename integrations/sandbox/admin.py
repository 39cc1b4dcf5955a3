"""``/_sandbox/…``: JSON endpoints (no auth) that let tests and demos drive the sandbox."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import carrier, hubs, wholesale
from .auth import expire_all
from .state import Fault, Record, SandboxState, Store

AdminHandler = Callable[..., Awaitable[Response]]
BACKENDS = ("carrier", "wholesale", "business")


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def ok(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdminError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AdminError(400, "the body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise AdminError(400, f"'{name}' is required")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise AdminError(400, f"'{name}' must be a string")
    return str(value)


def _order(state: SandboxState, backend: str, ident: str) -> tuple[Store, Record]:
    store = state.orders(backend)
    if store is None:
        raise AdminError(404, f"unknown backend '{backend}', use one of {', '.join(BACKENDS)}")
    state.tick()
    order = store.get(ident)
    if order is None:
        raise AdminError(404, f"no {backend} order '{ident}'")
    return store, order


def _target(order: Record, item_id: str | None) -> Record:
    if item_id is None:
        return order
    for item in order.get("productOrderItem") or []:
        if isinstance(item, dict) and str(item.get("id")) == item_id:
            return item
    raise AdminError(404, f"order {order.get('id')} has no item '{item_id}'")


def _changed(state: SandboxState, backend: str, store: Store, ident: str, order: Record, event_type: str) -> None:
    """After an admin change: lists follow the detail, and a United Way order's hubs hear of it."""
    store.changed(ident)
    if backend == "wholesale":
        wholesale.order_event(state, event_type, order)


def _date(state: SandboxState, backend: str) -> str:
    return state.tmf_date() if backend == "wholesale" else state.carrier_date()


# ---------------------------------------------------------------------------- orders


async def get_order(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    _, order = _order(state, backend, ident)
    return ok(order)


async def set_state(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    body = await _body(request)
    new_state = _text(body, "state")
    store, order = _order(state, backend, ident)
    target = _target(order, _text(body, "item", required=False))
    # An explicit state pins the order: its automatic lifecycle stops here.
    state.lifecycle.stop((backend, str(order["id"])))
    field = "step" if backend == "business" and target is order else "state"
    target[field] = new_state
    if target is order and body.get("cascade"):
        for item in order.get("productOrderItem") or []:
            if isinstance(item, dict):
                item["state"] = new_state
    _changed(state, backend, store, ident, order, "ProductOrderStateChangeEvent")
    return ok(order)


async def open_error(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    body = await _body(request)
    message = _text(body, "message")
    store, order = _order(state, backend, ident)
    target = _target(order, _text(body, "item", required=False))
    entry = {"message": message, "reason": _text(body, "reason", required=False) or "OWF", "status": "opened"}
    entry.update({"timestamp": _date(state, backend), "@type": "ErrorMessage"})
    target.setdefault("errorMessage", []).append(entry)
    _changed(state, backend, store, ident, order, "ProductOrderErrorMessageEvent")
    return ok(order)


async def close_error(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    body = await _body(request)
    message = _text(body, "message")
    store, order = _order(state, backend, ident)
    target = _target(order, _text(body, "item", required=False))
    for entry in reversed(target.get("errorMessage") or []):
        if isinstance(entry, dict) and entry.get("message") == message and entry.get("status") == "opened":
            entry["status"] = "closed"
            _changed(state, backend, store, ident, order, "ProductOrderErrorMessageEvent")
            return ok(order)
    raise AdminError(404, f"no opened error message {message!r} on {backend} order {ident}")


async def add_milestone(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    body = await _body(request)
    store, order = _order(state, backend, ident)
    target = _target(order, _text(body, "item", required=False))
    milestone: Record = {}
    description = _text(body, "description", required=False)
    if description is not None:
        milestone["description"] = description
    milestone["message"] = _text(body, "message", required=False) or "Milestone"
    milestone["milestoneDate"] = _date(state, backend)
    milestone["name"] = _text(body, "name", required=False) or "FTTH"
    milestone.update({"status": "completed", "@type": "Milestone"})
    target.setdefault("milestone", []).append(milestone)
    _changed(state, backend, store, ident, order, "ProductOrderMilestoneEvent")
    return ok(order)


async def add_jeopardy(request: Request, state: SandboxState, backend: str, ident: str) -> Response:
    """A jeopardy alert (Orange's TMF622 `jeopardyAlert[]`, on the order or an item; Orange does not raise them yet,
    but the API carries them and the hub has `ProductOrderJeopardyAlertEvent`)."""
    if backend != "wholesale":
        raise AdminError(400, "only wholesale orders carry jeopardy alerts")
    body = await _body(request)
    store, order = _order(state, backend, ident)
    target = _target(order, _text(body, "item", required=False))
    alert: Record = {"id": uuid.uuid4().hex[:12]}
    alert["name"] = _text(body, "name", required=False) or "Delivery date at risk"
    alert["message"] = _text(body, "message", required=False) or "The committed date may not be met"
    alert["jeopardyType"] = _text(body, "type", required=False) or "Jeopardy"
    alert.update({"alertDate": _date(state, backend), "@type": "JeopardyAlert"})
    target.setdefault("jeopardyAlert", []).append(alert)
    _changed(state, backend, store, ident, order, "ProductOrderJeopardyAlertEvent")
    return ok(order)


async def set_product_status(request: Request, state: SandboxState, ident: str) -> Response:
    """`{"status": "SUSPENDED", "operationalStatus": "suspended"?}` on a United Way inventory product."""
    body = await _body(request)
    status = _text(body, "status")
    state.tick()
    product = state.inventory.get(ident)
    if product is None:
        raise AdminError(404, f"no wholesale product '{ident}'")
    product["status"] = status
    operational = _text(body, "operationalStatus", required=False)
    if operational is not None:
        product["operationalStatus"] = operational
    wholesale.product_event(state, "ProductStateChangeEvent", product)
    return ok(product)


# ---------------------------------------------------------------------------- hub deliveries


async def list_hubs(request: Request, state: SandboxState) -> Response:
    return ok(state.deliveries.describe())


async def lose_hubs(request: Request, state: SandboxState) -> Response:
    """Orange forgets every registration (a redeployment, say): nothing is pushed until they are made again."""
    lost = len(state.ordering_hubs) + len(state.inventory_hubs)
    for store in (state.ordering_hubs, state.inventory_hubs):
        for key in list(store.keys()):
            store.remove(key)
    return ok({"lost": lost})


async def add_hub_fault(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    mode = body.get("mode")
    if mode not in hubs.FAULT_MODES:
        raise AdminError(400, f"'mode' must be one of {', '.join(hubs.FAULT_MODES)}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise AdminError(400, "'count' must be a positive integer")
    seconds = body.get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise AdminError(400, "'seconds' must be a non-negative number")
    if mode == "delay" and not seconds:
        raise AdminError(400, "a delay needs 'seconds'")
    if mode == "reorder" and count < 2:
        raise AdminError(400, "reordering needs a 'count' of at least 2 events")
    fault = state.deliveries.add_fault(mode, count, float(seconds))
    return ok(fault.describe(), status=201)


async def clear_hub_faults(request: Request, state: SandboxState) -> Response:
    return ok({"removed": state.deliveries.clear_faults()})


# ---------------------------------------------------------------------------- faults


def _fault(state: SandboxState, body: dict[str, Any]) -> Fault:
    pattern = _text(body, "path")
    assert pattern is not None
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise AdminError(400, f"'path' is not a valid regular expression: {err}") from None
    method = _text(body, "method", required=False)
    status = body.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
        raise AdminError(400, "'status' must be an HTTP status code")
    headers = body.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str | int | float) for v in headers.values()):
        raise AdminError(400, "'headers' must be an object of strings")
    latency = body.get("latency", 0)
    count = body.get("count", 1)
    if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
        raise AdminError(400, "'latency' must be a number of seconds")
    if isinstance(count, bool) or not isinstance(count, int) or (count < 1 and count != -1):
        raise AdminError(400, "'count' must be a positive integer, or -1 for ever")
    if status is None and not latency:
        raise AdminError(400, "a fault needs a 'status' or a 'latency'")
    after = body.get("after", False)
    if not isinstance(after, bool):
        raise AdminError(400, "'after' must be true or false")
    state.fault_seq += 1
    return Fault(
        id=f"fault-{state.fault_seq}",
        path=compiled,
        method=method.upper() if method else None,
        status=status,
        body=body.get("body"),
        headers={str(k): str(v) for k, v in headers.items()},
        latency=float(latency),
        remaining=count,
        after=after,
    )


async def add_fault(request: Request, state: SandboxState) -> Response:
    fault = _fault(state, await _body(request))
    state.faults.append(fault)
    return ok({"id": fault.id}, status=201)


async def list_faults(request: Request, state: SandboxState) -> Response:
    return ok([fault.describe() for fault in state.faults])


async def clear_faults(request: Request, state: SandboxState) -> Response:
    removed = len(state.faults)
    state.faults.clear()
    return ok({"removed": removed})


async def delete_fault(request: Request, state: SandboxState, fault_id: str) -> Response:
    for fault in state.faults:
        if fault.id == fault_id:
            state.faults.remove(fault)
            return ok({"removed": 1})
    raise AdminError(404, f"no fault '{fault_id}'")


# ---------------------------------------------------------------------------- the rest


async def expire_tokens(request: Request, state: SandboxState) -> Response:
    return ok({"expired": expire_all(state)})


async def reset(request: Request, state: SandboxState) -> Response:
    state.reset()
    return ok({"reset": True})


async def requests(request: Request, state: SandboxState) -> Response:
    return ok(state.counters.snapshot())


async def reset_requests(request: Request, state: SandboxState) -> Response:
    state.counters.clear()
    return ok(state.counters.snapshot())


async def advance(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    seconds = body.get("seconds", state.config.step_seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise AdminError(400, "'seconds' must be a non-negative number")
    state.offset += float(seconds)
    state.tick()
    return ok({"offset": state.offset, "now": state.tmf_date()})


async def indexing(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    delay = body.get("delay")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise AdminError(400, "'delay' must be a non-negative number of seconds")
    state.config.index_delay = float(delay)
    return ok({"index_delay": state.config.index_delay})


async def health(request: Request, state: SandboxState) -> Response:
    return ok({"ok": True, "now": state.tmf_date(), "clock": state.now(), "active_lifecycles": len(state.lifecycle)})


async def bulk(request: Request, state: SandboxState) -> Response:
    body = await _body(request)
    backend = _text(body, "backend")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1_000_000:
        raise AdminError(400, "'count' must be an integer between 0 and 1000000")
    order_state = _text(body, "state", required=False)
    makers = {"wholesale": _bulk_wholesale, "carrier": _bulk_carrier, "business": _bulk_business}
    if backend not in makers:
        raise AdminError(400, f"'backend' must be one of {', '.join(BACKENDS)}")
    ids = makers[backend](state, count, order_state)
    return ok({"backend": backend, "count": len(ids), "ids": ids}, status=201)


def _bulk_wholesale(state: SandboxState, count: int, order_state: str | None) -> list[Any]:
    ids: list[Any] = []
    date = state.tmf_date()
    current = order_state or "acknowledged"
    for _ in range(count):
        state.bulk_seq += 1
        number = state.bulk_seq
        order_id = str(uuid.uuid4())
        external = f"BULK-{number:06d}"
        order: Record = {
            "id": order_id,
            "href": f"{wholesale.ORDERING_PREFIX}/productOrder/{order_id}",
            "description": f"Bulk order {number}",
            "externalIdentifier": [
                {
                    "id": external,
                    "externalIdentifierType": "customerIdentifier",
                    "owner": "sandbox",
                    "@type": "ExternalIdentifier",
                }
            ],
            "productOrderSpecification": "Acquisition",
            "state": current,
            "orderDate": date,
            "relatedParty": [
                {"@referredType": "organization", "id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f", "role": "buyer"}
            ],
            "productOrderItem": [
                {
                    "id": "GOC40140084001",
                    "action": "add",
                    "state": current,
                    "product": {"productOffering": {"id": "GOC40140084001", "name": "Just Fibre TEST"}},
                    "milestone": [],
                    "errorMessage": [],
                    "@type": "ProductOrderItem",
                }
            ],
            "@type": "ProductOrder",
        }
        state.wholesale_orders.put(order)
        state.wholesale_external_ids.add(external)
        if order_state is None:
            wholesale.start_order_lifecycle(state, order, inventory=False)
        wholesale.order_event(state, "ProductOrderCreateEvent", order)
        ids.append(order_id)
    return ids


def _bulk_carrier(state: SandboxState, count: int, order_state: str | None) -> list[Any]:
    ids: list[Any] = []
    date = state.carrier_date()
    current = order_state or "acknowledged"
    for _ in range(count):
        state.bulk_seq += 1
        order_id = state.next_carrier_order_id
        state.next_carrier_order_id += 1
        order: Record = {
            "id": order_id,
            "externalId": f"BULK-{state.bulk_seq:06d}",
            "orderDate": date,
            "state": current,
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "state": current,
                    "product": {
                        "productSpecification": {"id": "TransitELine"},
                        "productConfiguration": {"bandwidth": 4, "classOfService": "GUARANTEED", "@type": "EVPL"},
                    },
                }
            ],
            "requestCurrency": "EUR",
        }
        state.carrier_orders.put(order)
        if order_state is None:
            carrier.start_order_lifecycle(state, order)
        ids.append(order_id)
    return ids


def _bulk_business(state: SandboxState, count: int, order_state: str | None) -> list[Any]:
    ids: list[Any] = []
    date = state.carrier_date()
    for _ in range(count):
        state.bulk_seq += 1
        request_id = f"BLK{state.bulk_seq:07d}"
        record: Record = {
            "id": request_id,
            "customerReference": f"BULK-{state.bulk_seq:06d}",
            "step": order_state or "REQUEST",
            "priority": "MEDIUM",
            "category": "NEW",
            "isArchived": False,
            "customer": {"id": "33-01257052", "name": "demo.gcompte"},
            "type": "C_GENERIC_S1",
            "createdAt": date,
        }
        state.business_requests.put(record)
        ids.append(request_id)
    return ids


ORDER = r"/_sandbox/orders/(?P<backend>[^/]+)/(?P<ident>[^/]+)"
ROUTES: list[tuple[re.Pattern[str], dict[str, AdminHandler]]] = [
    (re.compile(r"/_sandbox(/health)?"), {"GET": health}),
    (re.compile(ORDER), {"GET": get_order}),
    (re.compile(ORDER + "/state"), {"POST": set_state}),
    (re.compile(ORDER + "/errors"), {"POST": open_error}),
    (re.compile(ORDER + "/errors/close"), {"POST": close_error}),
    (re.compile(ORDER + "/milestones"), {"POST": add_milestone}),
    (re.compile(ORDER + "/jeopardy"), {"POST": add_jeopardy}),
    (re.compile(r"/_sandbox/products/wholesale/(?P<ident>[^/]+)/status"), {"POST": set_product_status}),
    (re.compile(r"/_sandbox/hubs"), {"GET": list_hubs}),
    (re.compile(r"/_sandbox/hubs/lose"), {"POST": lose_hubs}),
    (re.compile(r"/_sandbox/hubs/faults"), {"POST": add_hub_fault, "DELETE": clear_hub_faults}),
    (re.compile(r"/_sandbox/faults"), {"POST": add_fault, "GET": list_faults, "DELETE": clear_faults}),
    (re.compile(r"/_sandbox/faults/(?P<fault_id>[^/]+)"), {"DELETE": delete_fault}),
    (re.compile(r"/_sandbox/tokens/expire"), {"POST": expire_tokens}),
    (re.compile(r"/_sandbox/reset"), {"POST": reset}),
    (re.compile(r"/_sandbox/requests"), {"GET": requests}),
    (re.compile(r"/_sandbox/requests/reset"), {"POST": reset_requests}),
    (re.compile(r"/_sandbox/bulk"), {"POST": bulk}),
    (re.compile(r"/_sandbox/advance"), {"POST": advance}),
    (re.compile(r"/_sandbox/indexing"), {"POST": indexing}),
]


async def handle(request: Request, state: SandboxState) -> Response:
    path = request.url.path.rstrip("/") or "/"
    for pattern, handlers in ROUTES:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        handler = handlers.get(request.method)
        if handler is None:
            return JSONResponse(
                {"error": f"{request.method} is not allowed on {path}"},
                status_code=405,
                headers={"Allow": ", ".join(handlers)},
            )
        try:
            return await handler(request, state, **found.groupdict())
        except AdminError as err:
            return JSONResponse({"error": err.message}, status_code=err.status)
    return JSONResponse({"error": f"no admin endpoint {path}"}, status_code=404)
