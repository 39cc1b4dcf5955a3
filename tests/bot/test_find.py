"""`find <text>` and `order <text>`'s fallback to it, end to end: signed requests, the sandbox's seeded orders (the
documents' references: wholesale `externalIdentifier` UW-…, carrier `relatedBuyerPON` BOA12, business
`customerReference` REF-…), the answer read from the fake Slack."""

from __future__ import annotations

from bot_harness import Harness
from test_bot_commands import ask

DE76 = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"


async def _list_requests(h: Harness) -> dict[str, int]:
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    return {k: v for k, v in counts.items() if k.startswith("GET")}


async def test_find_a_wholesale_external_identifier(harness: Harness) -> None:
    shown = await ask(harness, "find UW-de76cfa1")
    assert f"wholesale:{DE76}" in shown
    assert "UW-de76cfa1 · OULLINS C" in shown  # the label: the buyer's reference and the building
    assert "In progress" in shown and "by externalIdentifier.id" in shown
    assert "1 order" in shown and "exact match" in shown
    assert "carrier:" not in shown and "business:" not in shown


async def test_find_a_carrier_buyer_pon(harness: Harness) -> None:
    shown = await ask(harness, "find BOA12")
    for order in ("carrier:9", "carrier:11", "carrier:13", "carrier:14"):
        assert f"`{order}`" in shown or order in shown
    assert "by relatedBuyerPON" in shown
    assert "4 orders" in shown


async def test_find_a_business_customer_reference(harness: Harness) -> None:
    shown = await ask(harness, "find REF-0001")
    assert "business:" in shown and "REF-0001 · DEMO SITE 01, LILLE" in shown
    assert "by customerReference" in shown


async def test_find_asks_every_backend_once_per_documented_filter(harness: Harness) -> None:
    h = harness
    state = h.sandbox.state.sandbox
    carrier = state.carrier_orders.get("9")
    carrier["relatedBuyerPON"] = "ACME-42"
    wholesale = state.wholesale_orders.get("e7dee14c-cd85-495a-9931-ef3c06f2559b")
    wholesale["externalIdentifier"] = [{"id": "ACME-42", "externalIdentifierType": "customerIdentifier"}]
    business = state.business_requests.get("W05VL130721")
    business["customerReference"] = "ACME-42"
    await h.admin.post("/_sandbox/requests/reset")
    shown = await ask(h, "find acme-42")  # Orange's `=` ignores case (TMF630 as the sandbox decides it)
    assert "carrier:9" in shown and "wholesale:e7dee14c" in shown and "business:W05VL130721" in shown
    assert "3 orders" in shown
    lists = await _list_requests(h)
    assert sum(lists.values()) == 4, lists  # wholesale 1, carrier 2, business 1: lists only, no order read one by one
    assert all(k.endswith(("/productOrder", "/requests")) for k in lists), lists


async def test_find_nothing_is_one_line_naming_what_was_searched(harness: Harness) -> None:
    shown = await ask(harness, "find NO-SUCH-REF")
    assert "No order has the reference `NO-SUCH-REF`" in shown
    assert "wholesale externalIdentifier.id" in shown
    assert "carrier externalId, relatedBuyerPON" in shown
    assert "business customerReference" in shown


async def test_a_failing_backend_is_one_line_under_the_others(harness: Harness) -> None:
    h = harness
    await h.admin.post("/_sandbox/faults", json={"path": "/requests$", "status": 503, "count": -1})
    shown = await ask(h, "find UW-de76cfa1")
    assert f"wholesale:{DE76}" in shown
    assert ":warning: business:" in shown and "try again" in shown.lower()
    assert shown.count(":warning:") == 1


async def test_order_with_a_buyer_reference_opens_the_one_order(harness: Harness) -> None:
    shown = await ask(harness, "order UW-de76cfa1")
    assert f"wholesale:{DE76}" in shown
    assert "Rendez-vous à reprendre" in shown  # the full card, as `order wholesale:…` shows it


async def test_order_with_a_reference_of_several_orders_lists_them(harness: Harness) -> None:
    shown = await ask(harness, "order BOA12")
    assert "Orders with the reference BOA12" in shown
    assert "carrier:9" in shown and "carrier:14" in shown


async def test_order_with_an_unknown_reference_says_nothing_was_found(harness: Harness) -> None:
    shown = await ask(harness, "order NO-SUCH-REF")
    assert "No order has the reference `NO-SUCH-REF`" in shown


async def test_order_with_an_id_still_reads_the_order(harness: Harness) -> None:
    shown = await ask(harness, "order 11")
    assert "carrier:11" in shown and "28 EUR" in shown
