"""Carrier site ids named as people know them on order cards and labels: one sites GET per site per hour, a sites
API failure never breaks the card (its bare id is shown)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot_harness import Harness
from test_bot_commands import ask

from bot.sites import SiteNames, first_site_id
from integrations.sandbox.examples import get_example
from integrations.views import order_view_from_carrier, order_view_from_wholesale


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def site_gets(h: Harness) -> int:
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    return sum(n for key, n in counts.items() if key.startswith("GET ") and "/geographicSite/" in key)


async def test_order_card_names_its_sites_and_asks_each_once(harness: Harness) -> None:
    await harness.admin.post("/_sandbox/requests/reset")
    shown = await ask(harness, "order carrier:11")
    # Order 11 has items on two sites: 1440397 (Marseille MRS1) and 730124 (New York 60 Hudson).
    assert "Marseille MRS1, Marseille (`1440397`)" in shown, shown
    assert "New York 60 Hudson, New York (`730124`)" in shown, shown
    assert await site_gets(harness) == 2
    again = await ask(harness, "order carrier:11")
    assert "Marseille MRS1, Marseille (`1440397`)" in again
    assert await site_gets(harness) == 2  # cached: no GET the second time


async def test_sites_api_failure_shows_the_bare_id_and_is_not_kept_long(harness: Harness) -> None:
    ticks = Ticks()
    harness.ctx.sites = SiteNames(clock=ticks, failure_ttl=60.0)
    fault = {"path": "/geographicSite/.*", "status": 500, "count": -1}
    assert (await harness.admin.post("/_sandbox/faults", json=fault)).status_code == 201
    shown = await ask(harness, "order carrier:11")
    assert "carrier:11" in shown and "Pending" in shown and "28 EUR" in shown
    assert "Site: `1440397`" in shown and "Site: `730124`" in shown, shown
    assert "Marseille" not in shown
    await harness.admin.delete("/_sandbox/faults")
    await harness.admin.post("/_sandbox/requests/reset")
    await ask(harness, "order carrier:11")
    assert await site_gets(harness) == 0  # the failure is remembered for a minute…
    ticks.now += 61
    shown = await ask(harness, "order carrier:11")
    assert "Marseille MRS1, Marseille (`1440397`)" in shown  # …then asked again
    assert await site_gets(harness) == 2


class CountingSites:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = asyncio.Event()

    async def get(self, site_id: str | int) -> Any:
        self.calls.append(str(site_id))
        await self.release.wait()
        return {"id": site_id, "siteName": f"Site {site_id}", "formattedAddress": {"city": "Lyon"}}


async def test_cache_asks_each_distinct_site_once_per_lifetime() -> None:
    ticks = Ticks()
    names = SiteNames(clock=ticks, ttl=3600.0)
    sites = CountingSites()
    # Three items on two sites, and a second card asked at the same time: two GETs in all.
    first = asyncio.ensure_future(names.names(sites, ["1", "2", "1"]))
    second = asyncio.ensure_future(names.names(sites, ["2", "1"]))
    await asyncio.sleep(0)
    sites.release.set()
    assert await first == {"1": "Site 1, Lyon", "2": "Site 2, Lyon"}
    assert await second == {"2": "Site 2, Lyon", "1": "Site 1, Lyon"}
    assert sorted(sites.calls) == ["1", "2"]
    ticks.now += 3599
    await names.names(sites, ["1", "2"])
    assert len(sites.calls) == 2
    ticks.now += 2
    await names.names(sites, ["1"])
    assert sites.calls[-1] == "1" and len(sites.calls) == 3  # an hour later, asked again


def test_first_site_id_is_the_site_a_carrier_label_names() -> None:
    assert first_site_id(order_view_from_carrier(get_example("carrier/product-order-get-11").body)) == "1440397"
    wholesale = order_view_from_wholesale(get_example("wholesale/product-order-create-request").body)
    assert first_site_id(wholesale) is None
