"""Push without limits (issue 16, part 4): whoever holds the hub secret (it travels in the URL, so access logs may
hold it) must not be able to make the bot hammer Orange, hide a lost hub, or read the secret back from the logs.

Events are POSTed to the bot's real HTTP front as Orange would; every request the bot then sends to Orange is seen
(and, when a test says so, held) by a hook on the bot's own Orange HTTP client."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from bot_harness import Harness
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from test_notifier import W, admin, ask, texts, watch

import bot.subscriptions as subscriptions
import integrations._redact as redaction
from bot import push
from bot.app import create_web_app
from integrations import redact
from integrations._rate import RateLimiter
from integrations.orders import SOURCES
from storage import crud
from storage.models import HubRegistration, Subscription, SubscriptionOrder

BASE = "http://bot.test"
SECRET = "a-hub-secret-only-orange-and-the-bot-know-0123456789"
URL = f"/orange/hub/{SECRET}/listener/productOrderStateChangeEvent"
OTHER = "2a89ed67-5cf8-429d-9a3d-5153d481ff55"  # a seeded wholesale order, in progress like W


GATES: list[asyncio.Event] = []
"""Every `Orange.gate` of the running test: opened before the test's events are settled, whatever it asserted."""


class Orange:
    """Every request the bot sends to Orange; with `gate` cleared, each waits there before it is sent."""

    def __init__(self, h: Harness) -> None:
        self.sent: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate = asyncio.Event()
        self.gate.set()
        GATES.append(self.gate)
        hooks = h.ctx.orange.http.event_hooks
        hooks["request"].append(self._request)
        hooks["response"].append(self._response)

    async def _request(self, request: httpx.Request) -> None:
        if "/oauth/" in request.url.path:  # tokens: one per hour, not the traffic an event causes
            return
        self.sent.append(f"{request.method} {request.url}")
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await self.gate.wait()

    async def _response(self, response: httpx.Response) -> None:
        if "/oauth/" not in response.request.url.path:
            self.in_flight -= 1

    def about(self, ident: str) -> int:
        return sum(ident in line for line in self.sent)


@pytest.fixture
async def hub(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The bot with a live ordering hub whose secret is `SECRET` (as if registered), and no rule spacing."""
    monkeypatch.setattr(subscriptions, "ROOT_SPACING", timedelta(0))

    def register(s: Session) -> None:
        registration, _ = crud.open_hub(session=s, api="ordering", secret_digest=push.secret_digest(SECRET), query="")
        crud.set_hub_registered(session=s, registration_id=registration.id, hub_id="hub-1")

    await harness.ctx.db(register)
    GATES.clear()
    yield harness
    for gate in GATES:
        gate.set()
    await push.settle()


def event(event_type: str, order_id: str, event_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventTime": "2026-12-03T10:00:00.000Z",
        "eventType": event_type,
        "event": {"productOrder": {"id": order_id, "state": "completed"}},
    }


def changed(order_id: str, event_id: str) -> dict[str, Any]:
    return event("ProductOrderStateChangeEvent", order_id, event_id)


def created(order_id: str, event_id: str) -> dict[str, Any]:
    return event("ProductOrderCreateEvent", order_id, event_id)


class Sender:
    """Orange's side: POSTs events to the bot's HTTP front, without waiting for them to be handled."""

    def __init__(self, web: Starlette) -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=BASE)

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def send(self, body: dict[str, Any] | bytes, url: str = URL) -> int:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = await self.http.post(url, content=content, headers={"Content-Type": "application/json"})
        return response.status_code


async def until(condition: Callable[[], bool]) -> None:
    """Wait for something to happen (a worker reaching the gate), 5 s at most."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("it did not happen")


def small_queue(h: Harness, monkeypatch: pytest.MonkeyPatch, *, workers: int, max_pending: int) -> Starlette:
    """A web front of the same bot whose hub listener has a queue this small."""
    monkeypatch.setattr(push, "WORKERS", workers, raising=False)
    monkeypatch.setattr(push, "MAX_PENDING", max_pending, raising=False)
    return create_web_app(h.bolt, h.ctx)


async def last_event_at(h: Harness) -> Any:
    return await h.ctx.db(lambda s: s.exec(select(HubRegistration)).one().last_event_at)


# --- 1. one rate cap for every Orange request, push included ------------------------------------


async def test_a_burst_of_hub_events_is_held_to_the_backends_rate_cap(hub: Harness) -> None:
    h = hub
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held")
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    # 4 a second, bursts of 4; time handed in (quarters: the bucket's arithmetic stays exact on this clock)
    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    h.ctx.orange.backend("wholesale").api.limiter = limiter
    orange = Orange(h)
    async with Sender(h.web) as orange_hub:
        for n in range(40):  # forged: orders that do not exist, each a new one
            assert await orange_hub.send(created(f"forged-{n}", f"ev-{n}")) == 204
    await push.settle()
    assert len(orange.sent) == 40  # one list request each, none for the (missing) watches
    assert limiter.acquired == 40  # every one passed the cap...
    assert now[0] >= (40 - 4) / 4.0  # ...so 40 requests took at least 9 s of the limiter's clock


# --- 2. coalesced per order, deduplicated by eventId --------------------------------------------


async def test_events_about_one_order_while_its_read_waits_or_runs_cost_one_read(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = hub
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held")
    made = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "held"})
    (new,) = made.json()["ids"]
    web = small_queue(h, monkeypatch, workers=1, max_pending=100)
    orange = Orange(h)
    orange.gate.clear()
    async with Sender(web) as orange_hub:
        await orange_hub.send(created("busy", "busy-1"))
        await until(lambda: orange.in_flight == 1)  # the one worker is reading `busy`, held at the gate
        for n in range(20):  # the new order's read waits: all twenty join it
            assert await orange_hub.send(created(new, f"new-{n}")) == 204
        for n in range(5):  # `busy`'s read runs: these are one more read after it
            assert await orange_hub.send(created("busy", f"busy-{n + 2}")) == 204
        orange.gate.set()
        await push.settle()
    assert orange.about(new) == 1, orange.sent
    assert orange.about("busy") == 2, orange.sent
    roots = [
        m
        for m in h.fake.channel_messages("C_GENERAL")
        if "Watching" in str(m["text"]) and f"wholesale:{new}" in str(m["text"])
    ]
    assert len(roots) == 1


async def test_a_replayed_event_id_does_nothing(hub: Harness) -> None:
    h = hub
    w = await watch(h, f"wholesale:{W}")
    orange = Orange(h)
    async with Sender(h.web) as orange_hub:
        await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
        await orange_hub.send(changed(W, "ev-1"))
        await push.settle()
        assert [t for t in texts(h, w) if "Held" in t] and orange.about(W) == 1
        await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "pending"})
        for _ in range(3):  # the same event again: not even a read
            assert await orange_hub.send(changed(W, "ev-1")) == 204
        await push.settle()
        assert orange.about(W) == 1
        assert not any("Pending" in t for t in texts(h, w))
        await orange_hub.send(changed(W, "ev-2"))  # a new one is read
        await push.settle()
    assert orange.about(W) == 2
    assert sum("Pending" in t for t in texts(h, w)) == 1


# --- 3. a bounded queue that sheds, with one clear line ----------------------------------------


async def test_a_full_queue_sheds_with_one_log_line_and_settle_waits_for_what_it_took(
    hub: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = hub
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held")  # each create event: one list
    web = small_queue(h, monkeypatch, workers=2, max_pending=3)
    orange = Orange(h)
    orange.gate.clear()
    caplog.set_level(logging.INFO, logger="bot.push")
    async with Sender(web) as orange_hub:
        for n in (1, 2):
            await orange_hub.send(created(f"new-{n}", f"ev-{n}"))
        await until(lambda: orange.in_flight == 2)  # both workers busy
        for n in (3, 4, 5):
            await orange_hub.send(created(f"new-{n}", f"ev-{n}"))  # three orders wait: the queue is full
        for n in (6, 7, 8):
            assert await orange_hub.send(created(f"new-{n}", f"ev-{n}")) == 204  # shed
        assert await orange_hub.send(created("new-3", "ev-3b")) == 204  # joins the waiting read: not shed
        shedding = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(shedding) == 1 and "dropped until the queue drains" in shedding[0].getMessage()
        orange.gate.set()
        await push.settle()  # everything it took is handled when settle returns
        assert [orange.about(f"new-{n}") for n in range(1, 9)] == [1, 1, 1, 1, 1, 0, 0, 0]
        assert orange.most_in_flight == 2
        drained = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING][1:]
        assert drained == ["the hub queue drained; 3 events were shed while it was full"]
        await orange_hub.send(created("new-6", "ev-6b"))  # room again
        await push.settle()
    assert orange.about("new-6") == 1


# --- 4. one list request per create event, whatever the number of rules -----------------------


async def test_a_create_event_reads_the_order_once_for_every_rule(hub: Harness) -> None:
    h = hub
    rules = [
        "state=held",
        "state=pending",
        "description=BULK ORDER 1",
        "orderDate.gt=2020-01-01",
        "externalIdentifier.id=BULK-999999",
    ]
    for n, rule in enumerate(rules, start=1):
        assert f"Rule #{n} is on" in await ask(h, f"subscribe wholesale {rule}")
    made = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "held"})
    (order_id,) = made.json()["ids"]
    orange = Orange(h)
    async with Sender(h.web) as orange_hub:
        await orange_hub.send(created(order_id, "ev-new"))
    await push.settle()
    assert len(orange.sent) == 1 and "GET " in orange.sent[0], orange.sent  # one list request by id

    def took(s: Session) -> list[int]:
        stmt = select(Subscription.number).join(
            SubscriptionOrder, col(SubscriptionOrder.subscription_id) == col(Subscription.id)
        )
        return sorted(s.exec(stmt.where(col(SubscriptionOrder.order_id) == order_id)).all())

    assert await h.ctx.db(took) == [1, 3, 4]
    # exactly the rules Orange's list says the order matches
    source = h.ctx.orange.orders("wholesale")
    listed = []
    for n, rule in enumerate(rules, start=1):
        key, _, value = rule.partition("=")
        if (await source.list(ids=[order_id], filters={key: value}, limit=1)).items:
            listed.append(n)
    assert listed == [1, 3, 4]
    roots = [
        m
        for m in h.fake.channel_messages("C_GENERAL")
        if "Watching" in str(m["text"]) and f"wholesale:{order_id}" in str(m["text"])
    ]
    assert len(roots) == 1  # three rules of one channel: one thread


TABLE: list[tuple[str, str]] = [
    ("state", "inProgress"),
    ("state", "INPROGRESS"),
    ("state", "held, inprogress"),
    ("state", "completed"),
    ("description", "Bulk order 1"),
    ("description", "bulk"),
    ("description", "null"),
    ("productOrderSpecification", "acquisition"),
    ("productOrderSpecification", "Termination"),
    ("orderDate", "2021-08-24"),
    ("orderDate", "2021-08-24T14:02:11Z"),
    ("orderDate", "2021-08-25"),
    ("orderDate.gt", "2021-01-01"),
    ("orderDate.gt", "2022-01-01"),
    ("orderDate.gt", "2021-08-24T14:02:11Z"),
    ("orderDate.gte", "2021-08-24T14:02:11Z"),
    ("orderDate.lt", "2022-01-01T00:00:00+0100"),
    ("orderDate.lte", "2021-08-24"),
    ("orderDate.ne", "2021-08-24"),
    ("orderDate.ne", "2020-01-01,2026-01-05"),
    ("agreement.id", "null"),
    ("agreement.id", "AG-1"),
    ("productOrderItem.id", "o40140084001"),
    ("productOrderItem.id", "nope"),
    ("productOrderItem.product.productOffering.id", "x,GOC40140084001"),
    ("productOrderItem.product.productOffering.id", "GO40140084099"),
    ("externalIdentifier.id", "uw-DE76CFA1"),
    ("externalIdentifier.id", "BULK-000001"),
]


async def test_rules_are_decided_from_the_one_read_as_orange_lists_them(harness: Harness) -> None:
    h = harness
    assert subscriptions.LOCAL_KEYS == SOURCES["wholesale"].filter_keys  # every key a rule accepts is decided here
    made = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "held"})
    source = h.ctx.orange.orders("wholesale")
    for order_id in (W, made.json()["ids"][0]):
        (entry,) = (await source.entries(ids=[order_id], limit=1)).items
        for key, value in TABLE:
            orange_says = bool((await source.list(ids=[order_id], filters={key: value}, limit=1)).items)
            assert subscriptions.rule_matches(entry.raw, {key: value}) is orange_says, (order_id, key, value)
    assert subscriptions.rule_matches({"id": "x"}, {"someFutureKey": "y"}) is None  # left to the rule's scan


# --- 5. only events that found something move last_event_at ------------------------------------


async def test_forged_events_do_not_move_last_event_at_nor_hide_a_lost_hub(
    hub: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = hub
    assert "Rule #1 is on" in await ask(h, "subscribe wholesale state=held")
    async with Sender(h.web) as forger:
        for n in range(5):
            await forger.send(changed(f"nobody-watches-{n}", f"f-{n}"))
            await forger.send(created(f"no-such-order-{n}", f"c-{n}"))
            await forger.send(changed(W, f"x-{n}"))  # a real order nobody here watches
        await push.settle()
        assert await last_event_at(h) is None
        # the hub is in fact lost: two cycles that found changes push should have brought renew it
        monkeypatch.setattr(h.ctx.settings, "hub_callback_url", BASE + "/")
        renewing: list[bool] = []

        async def renew(ctx: Any) -> dict[str, str]:
            renewing.append(True)
            return {}

        monkeypatch.setattr(push, "_renew", renew)
        health = push.HubWatch()
        assert not await health.after_cycle(h.ctx, wholesale_events=1)
        assert await health.after_cycle(h.ctx, wholesale_events=1) and renewing == [True]
        # a new order a rule matches: a sign the hub is alive
        made = await h.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 1, "state": "held"})
        await forger.send(created(made.json()["ids"][0], "real-1"))
        await push.settle()
        first = await last_event_at(h)
        assert first is not None
        # so is an event about an order the bot watches, read again
        await watch(h, f"wholesale:{OTHER}")
        await forger.send(changed(OTHER, "real-2"))
        await push.settle()
    assert await last_event_at(h) > first


# --- 6. the secret: masked wherever the bot knows it, never in the listener's logs --------------


async def test_the_hub_secret_is_registered_with_the_redactor_and_never_logged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(redaction, "_secrets", set())  # a process that knows no hub secret yet
    monkeypatch.setattr(h.ctx.settings, "hub_callback_url", BASE + "/")
    deliveries = h.sandbox.state.sandbox.deliveries
    deliveries.transport = httpx.MockTransport(lambda request: httpx.Response(204))  # Orange's own events: elsewhere
    try:
        await push.ensure_hubs(h.ctx)
    finally:
        await deliveries.aclose()
    store = h.sandbox.state.sandbox.ordering_hubs
    (callback,) = [str(x["callback"]) for x in store.values()]
    secret = callback.rsplit("/", 1)[1]
    # the secret itself, wherever it shows: bare, percent-encoded, in JSON that escapes its slashes
    shown = [secret, quote(callback, safe=""), json.dumps({"callback": callback}).replace("/", "\\/")]
    assert all(secret not in redact(text) for text in shown)  # the replica that registered it
    monkeypatch.setattr(redaction, "_secrets", set())  # another replica: it learns the secret from a real event
    path = callback.removeprefix(BASE)
    await watch(h, f"wholesale:{W}")
    async with Sender(h.web) as orange_hub:
        assert await orange_hub.send(changed(W, "ev-1"), f"/orange/hub/not-{secret}") == 404
        assert f"not-{secret}" in redact(f"not-{secret}")  # a wrong one is not remembered
        assert await orange_hub.send(b"{not json", path) == 400
        assert await orange_hub.send(changed(W, "ev-1"), path + "/listener/productOrderStateChangeEvent") == 204
        assert await orange_hub.send(changed(W, "ev-1"), path) == 204
        await admin(h, "/_sandbox/faults", {"path": "productOrder", "status": 500, "count": 10})
        await orange_hub.send(changed(W, "ev-2"), path)  # its read fails, and says so
        await push.settle()
    assert all(secret not in redact(text) for text in shown)
    sender = [r for r in caplog.records if r.name == "httpx" and BASE in r.getMessage()]  # Orange's side, not ours
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if r not in sender)  # messages and tracebacks
    assert "hub event ev-1" in logged  # the listener did log
    assert secret not in logged and "/orange/hub/" not in logged
