"""What the thread root and the digest read from a snapshot survives the poll: a wholesale order read through its
`fields=` list keeps its expected completion date, so its root says "expected …" after every change and
`/orange digest` lists it once that date has passed; the first poll after the selection grew posts nothing."""

from __future__ import annotations

import json
import re

import pytest
from bot_harness import Harness
from sqlmodel import Session
from test_notifier import W, admin, ask, cycle, texts, watch
from test_poll_fast_path import run

from bot.blocks.watches import watch_root_blocks
from bot.jobs import fetch
from bot.notify.diff import FIELDS_COMPARED
from integrations.views import OrderView
from storage.models import OrderSnapshot, Watch

EXPECTED = "2021-09-07"
"""The seeded order's expected completion date (sandbox seed: order date + 14 days), long past."""
SAYS_EXPECTED = re.compile(r"expected <!date\^\d+\^\{date_short_pretty\} \{time\}\|Sep 7, 2021 \d\d:\d\d UTC>")
"""How the root and the digest show it: a Slack date token (each reader's zone), its fallback naming UTC."""

BEFORE = ("id", "state", "productOrderItem", "errorMessage", "milestone", "jeopardyAlert")
"""The poll's `fields=` before it read the dates the root and the digest show."""


def shown(view: OrderView) -> tuple[object, ...]:
    """What the thread root and the digest read of a stored view."""
    root = [b.to_dict() for b in watch_root_blocks(view, errors_only=False)]
    return (root, view.reference, view.state, view.is_final, view.open_errors, view.expected_completion_date)


def root_text(h: Harness, w: Watch) -> str:
    assert w.thread_ts is not None
    root = h.fake.message(w.channel_id, w.thread_ts)
    assert root is not None
    return json.dumps(root["blocks"], ensure_ascii=False)


def stored_expected(h: Harness, w: Watch) -> object:
    with Session(h.ctx.engine) as s:
        found = s.get(OrderSnapshot, w.id)
        assert found is not None
        return found.view["view"].get("expected_completion_date")


async def test_a_polled_wholesale_order_keeps_its_expected_date_in_the_root_and_the_digest(harness: Harness) -> None:
    h = harness
    order = (await h.admin.get(f"/_sandbox/orders/wholesale/{W}")).json()
    assert str(order["expectedCompletionDate"]).startswith(EXPECTED)
    w = await watch(h, f"wholesale:{W}")
    assert SAYS_EXPECTED.search(root_text(h, w))

    await cycle(h)  # read through the list, `fields=` and all
    assert str(stored_expected(h, w)).startswith(EXPECTED)
    for state, shown in [("held", "Held"), ("inProgress", "In progress"), ("held", "Held")]:
        await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": state})
        await cycle(h)
        assert shown in texts(h, w)[-1]
        root = root_text(h, w)
        assert shown in root and SAYS_EXPECTED.search(root), root

    digest = await ask(h, "digest")
    assert "Past their expected completion date" in digest, digest
    assert W in digest and "expected Sep 7, 2021" in digest, digest  # the token as a client shows it
    assert SAYS_EXPECTED.search(json.dumps(h.fake.response_posts()[-1].body, ensure_ascii=False))


async def test_the_first_poll_after_the_selection_grew_reads_each_order_once_and_posts_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    with monkeypatch.context() as before:
        before.setattr(fetch, "FIELDS_COMPARED", BEFORE)
        w = await watch(h, f"wholesale:{W}")
        await cycle(h)
        await cycle(h)
    assert stored_expected(h, w) is None  # what an older poll stored
    assert "Past their expected completion date" not in await ask(h, "digest")
    posted = len(h.fake.calls_to("chat.postMessage"))
    updated = len(h.fake.calls_to("chat.update"))

    upgraded = await run(h)  # every entry's digest differs once: the full path, which finds nothing to say
    assert upgraded.polled == 1 and upgraded.unchanged == 0 and upgraded.events == 0
    assert texts(h, w) == []
    assert len(h.fake.calls_to("chat.postMessage")) == posted
    assert len(h.fake.calls_to("chat.update")) == updated
    assert str(stored_expected(h, w)).startswith(EXPECTED)
    assert (await run(h)).unchanged == 1  # once
    digest = await ask(h, "digest")
    assert "Past their expected completion date" in digest and W in digest, digest

    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": "held"})
    await cycle(h)
    assert len(texts(h, w)) == 1 and "Held" in texts(h, w)[0]
    assert SAYS_EXPECTED.search(root_text(h, w))


@pytest.mark.parametrize(
    ("state", "completion"), [("inProgress", None), ("held", None), ("completed", "2021-09-30T10:00:00.000Z")]
)
async def test_the_poll_selection_holds_everything_the_root_and_the_digest_show(
    harness: Harness, state: str, completion: str | None
) -> None:
    h = harness
    await admin(h, f"/_sandbox/orders/wholesale/{W}/state", {"state": state})
    if completion is not None:  # the sandbox never sets it; Orange does on a completed order
        order = h.sandbox.state.sandbox.wholesale_orders.get(W)
        assert order is not None
        order["completionDate"] = completion
    source = h.ctx.orange.orders("wholesale")
    full = await source.get(W)
    (listed,) = [v async for v in source.list(ids=[W], fields=FIELDS_COMPARED)]
    selected = await source.get(W, fields=FIELDS_COMPARED)  # a list the poll could not read: one GET each
    assert full.expected_completion_date is not None and len(listed.raw_keys) < len(full.raw_keys)
    assert shown(listed) == shown(full) == shown(selected)
