"""End to end: a carrier error answered to a slash command names the reference that failed."""

from __future__ import annotations

import pytest
from bot_harness import Harness


async def answer(h: Harness, text: str) -> str:
    before = len(h.fake.response_posts())
    ack = await h.user.command(text, channel="C_GENERAL", user="U_ALICE")
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return str(h.user.render(h.fake.response_posts()[-1].body))


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("order carrier:999999", "carrier:999999"),
        ("order wholesale:does-not-exist", "wholesale:does-not-exist"),
        ("order business:W00NOPE0000", "business:W00NOPE0000"),
        ("quote 999999", "carrier:999999"),
    ],
)
async def test_a_failed_lookup_names_its_reference(harness: Harness, text: str, reference: str) -> None:
    shown = await answer(harness, text)
    assert reference in shown, shown
    assert "code 60" in shown
    assert "Share in channel" not in shown


async def test_a_carrier_outage_names_the_order(harness: Harness) -> None:
    await harness.admin.post("/_sandbox/faults", json={"path": "/productOrder/11$", "status": 503, "count": -1})
    shown = await answer(harness, "order carrier:11")
    assert "carrier:11" in shown and "try again" in shown.lower()
