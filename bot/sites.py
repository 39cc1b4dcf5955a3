"""Carrier site ids as people know them (`Marseille MRS1, Marseille`), asked of the sites API once an hour at most.

    names = await ctx.sites.names(ctx.orange.carrier.sites, ["1440397", "730124"])   # {"1440397": "Marseille …"}

A site the API cannot give (down, unknown, slow) is left out: the card shows its bare id, and the site is asked
again after `failure_ttl`, not an hour later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from integrations.views import OrderView, order_label, site_view_from_carrier

__all__ = ["SiteNames", "SitesAPI", "first_site_id"]

log = logging.getLogger("bot.sites")


class SitesAPI(Protocol):
    """What `SiteNames` needs of `orange.carrier.sites`."""

    def get(self, site_id: str | int) -> Awaitable[Any]: ...


def first_site_id(view: OrderView) -> str | None:
    """The site an order's label names: the first site of its items (carrier orders only)."""
    if view.backend != "carrier":
        return None
    return next((site for item in view.items for site in item.site_ids), None)


class SiteNames:
    """A per-process cache of site names: one GET per distinct site id per `ttl`, concurrent askers share it."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        failure_ttl: float = 60.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}
        """site id → (when it expires, its name or None when the lookup failed)."""
        self._pending: dict[str, asyncio.Task[str | None]] = {}

    async def names(self, sites: SitesAPI, site_ids: Iterable[str]) -> dict[str, str]:
        """The names known for `site_ids` (each distinct id asked at most once); ids without one are left out."""
        wanted = list(dict.fromkeys(s for s in site_ids if s))
        found = await asyncio.gather(*(self.name(sites, s) for s in wanted))
        return {site: name for site, name in zip(wanted, found, strict=True) if name}

    async def name(self, sites: SitesAPI, site_id: str) -> str | None:
        """`Marseille MRS1, Marseille`, or None when the sites API could not say (never raises for it)."""
        hit = self._cache.get(site_id)
        if hit is not None and self._clock() < hit[0]:
            return hit[1]
        task = self._pending.get(site_id)
        if task is None:
            task = asyncio.ensure_future(self._fetch(sites, site_id))
            self._pending[site_id] = task
            task.add_done_callback(lambda _: self._pending.pop(site_id, None))
        # One asker giving up (its request cancelled) leaves the lookup to the others.
        return await asyncio.shield(task)

    async def site_of(self, sites: SitesAPI, view: OrderView) -> str | None:
        """The name of the site a carrier order's label names (`first_site_id`), when the sites API can say."""
        site = first_site_id(view)
        return await self.name(sites, site) if site is not None else None

    async def label(self, sites: SitesAPI, view: OrderView) -> str:
        """The order as people know it (`order_label`), its carrier site named when the sites API can say."""
        return order_label(view, site_name=await self.site_of(sites, view))

    async def labels(self, sites: SitesAPI, views: Sequence[OrderView]) -> list[str]:
        """`label` of each view, in order, each distinct carrier site asked about once."""
        names = await self.names(sites, [s for s in map(first_site_id, views) if s is not None])
        return [order_label(v, site_name=names.get(first_site_id(v) or "")) for v in views]

    async def _fetch(self, sites: SitesAPI, site_id: str) -> str | None:
        try:
            site = site_view_from_carrier(await asyncio.wait_for(sites.get(site_id), self._timeout))
        except Exception as err:  # a name is a nicety: any failure shows the bare id
            log.info("site %s: no name (%s)", site_id, type(err).__name__)
            self._cache[site_id] = (self._clock() + self._failure_ttl, None)
            return None
        name = ", ".join(p for p in dict.fromkeys((site.name, site.city)) if p) or None
        self._cache[site_id] = (self._clock() + self._ttl, name)
        return name
