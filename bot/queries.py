"""The read-only verbs of `/orange`: each command type's handler, a `Reply` (text + Block Kit) out.

The slash command, the "Share in channel" button and the Next / Previous buttons all reach these through
`bot.slack.dispatch`, so what a person sees is the same wherever they asked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.catalog import offer_blocks
from bot.blocks.common import PageInfo, carrier_error_text, help_blocks
from bot.blocks.format import LIST_PAGE_SIZE, escape
from bot.blocks.orders import FoundOrder, found_orders_blocks, order_blocks, orders_list_blocks
from bot.blocks.products import product_blocks, products_list_blocks
from bot.blocks.quotes import quote_blocks, quotes_list_blocks
from bot.blocks.sites import address_blocks, site_blocks, sites_list_blocks
from bot.commands import (
    Address,
    CommandError,
    Find,
    Help,
    Offer,
    OrderFind,
    OrderGet,
    Orders,
    ProductGet,
    Products,
    QuoteGet,
    Quotes,
    Site,
    Sites,
    usage,
)
from bot.context import BotContext
from bot.i18n import _
from bot.slack import Invocation, Reply, handles, reply
from integrations import BACKENDS, APIError, Backend, BackendNotEnabledError
from integrations.orders import SOURCES
from integrations.requests import address_validation_request
from integrations.types.wholesale import ProductOfferingPrice
from integrations.views import (
    OrderView,
    ProductView,
    SiteView,
    address_validation_view,
    offering_view,
    product_view_from_carrier,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)

__all__ = ["FIND_LIMIT", "PAGE_SIZE", "SITE_SEARCH_LIMIT", "Found", "fetch_product", "find_orders", "site_matches"]

log = logging.getLogger("bot.queries")

PAGE_SIZE = 20
SITE_SEARCH_LIMIT = 500
# What an order list line shows (where the backend selects fields); everything else stays on Orange's side
# (their advice: ask only what you need).
WHOLESALE_LIST_FIELDS = ["state", "orderDate", "description", "externalIdentifier", "productOrderSpecification"]
# `find` lines show the label, whose place is in the items; a reference matches few orders.
FIND_FIELDS = [*WHOLESALE_LIST_FIELDS, "productOrderItem"]
FIND_LIMIT = LIST_PAGE_SIZE
"""Orders asked of each reference filter: one page; the answer says how many matched in all."""


def _params(params: dict[str, object]) -> Any:
    """Filters for a typed list call: the parser let through only keys the backend documents (no paging keys)."""
    return params or None


def _paged(page: PageInfo, total: int | None, count: int) -> PageInfo:
    """The page as the carrier answered it: its total, or (without one) whether it filled the page."""
    return replace(page, total=total, more=total is None and count >= page.limit)


def _backend(ctx: BotContext, backend: str | None, verb: str) -> str:
    chosen = backend or ctx.default_backend
    if chosen is None:
        raise CommandError(_("No backend is configured."), verb)
    if chosen not in ctx.enabled:
        raise BackendNotEnabledError(chosen, ctx.enabled)
    return chosen


def site_matches(site: SiteView, text: str) -> bool:
    """Whether free text (any case) is in a site's id, name, city, country, postcode or address; empty matches."""
    needle = text.casefold().strip()
    if not needle:
        return True
    haystack = [site.id, site.name, site.city, site.locality, site.country, site.postcode, *site.address_lines]
    return any(needle in value.casefold() for value in haystack if value)


async def _sites(ctx: BotContext, cmd: Sites, page: PageInfo) -> list[Block]:
    params: dict[str, object] = {}
    total: int | None
    if cmd.city:
        params["geographicAddress.city"] = cmd.city
    if cmd.country:
        params["geographicAddress.country"] = cmd.country
    if cmd.name:
        params["siteName"] = cmd.name
    if cmd.text:
        # Orange filters by attribute only; free text is matched here, over the (small) list of sites.
        found = [
            view async for view in _site_views(ctx, params, max_items=SITE_SEARCH_LIMIT) if site_matches(view, cmd.text)
        ]
        total = len(found)
        views = found[page.offset : page.offset + page.limit]
    else:
        first = await ctx.orange.carrier.sites.list(_params(params), limit=page.limit, offset=page.offset)
        views = [site_view_from_carrier(site) for site in first]
        total = first.total
    return sites_list_blocks(views, _paged(page, total, len(views)), query_text=cmd.text or _describe(params))


async def _site_views(ctx: BotContext, params: dict[str, object], *, max_items: int) -> AsyncIterator[SiteView]:
    async for site in ctx.orange.carrier.sites.list(_params(params), max_items=max_items):
        yield site_view_from_carrier(site)


def _describe(params: dict[str, object]) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in params.items())


def _page(inv: Invocation) -> PageInfo:
    return PageInfo(offset=max(0, inv.offset), limit=PAGE_SIZE, total=None, command_text=inv.text)


@handles(Help)
async def _help(inv: Invocation, cmd: Help) -> Reply:
    text = usage(cmd.topic, command=inv.ctx.settings.slack_command, enabled=inv.ctx.enabled)
    return reply(help_blocks(text, inv.ctx.enabled), shareable=False)


@handles(Sites)
async def _sites_reply(inv: Invocation, cmd: Sites) -> Reply:
    return reply(await _sites(inv.ctx, cmd, _page(inv)))


@handles(Site)
async def _site(inv: Invocation, cmd: Site) -> Reply:
    return reply(site_blocks(site_view_from_carrier(await inv.ctx.orange.carrier.sites.get(cmd.site_id))))


@handles(Address)
async def _address(inv: Invocation, cmd: Address) -> Reply:
    body = address_validation_request(
        street=cmd.street, number=cmd.number, city=cmd.city, postcode=cmd.postcode, country=cmd.country
    )
    result = await inv.ctx.orange.carrier.addresses.validate(body)
    return reply(address_blocks(address_validation_view(result)))


@handles(Quotes)
async def _quotes(inv: Invocation, cmd: Quotes) -> Reply:
    page = _page(inv)
    first = await inv.ctx.orange.carrier.quotes.list(limit=page.limit, offset=page.offset)
    views = [quote_view_from_carrier(q) for q in first]
    now = datetime.now(UTC)
    return reply(quotes_list_blocks(views, page=_paged(page, first.total, len(views)), tz=await inv.tz(), now=now))


@handles(QuoteGet)
async def _quote(inv: Invocation, cmd: QuoteGet) -> Reply:
    quote = quote_view_from_carrier(await inv.ctx.orange.carrier.quotes.get(cmd.reference.id))
    return reply(quote_blocks(quote, tz=await inv.tz(), now=datetime.now(UTC)))


@handles(Orders)
async def _orders_reply(inv: Invocation, cmd: Orders) -> Reply:
    return reply(await _orders(inv.ctx, cmd, _page(inv), await inv.tz()))


@handles(OrderGet)
async def _order(inv: Invocation, cmd: OrderGet) -> Reply:
    view = await inv.ctx.orange.orders(cmd.reference.backend).get(cmd.reference.id)
    return await _order_card(inv, view)


async def _site_names(ctx: BotContext, views: Sequence[OrderView]) -> dict[str, str]:
    """The names of the sites the carrier orders among `views` are on (cached: `BotContext.sites`)."""
    ids = [site for view in views if view.backend == "carrier" for item in view.items for site in item.site_ids]
    return await ctx.sites.names(ctx.orange.carrier.sites, ids) if ids else {}


async def _order_card(inv: Invocation, view: OrderView) -> Reply:
    return reply(order_blocks(view, tz=await inv.tz(), site_names=await _site_names(inv.ctx, [view])))


@dataclass(frozen=True)
class Found:
    """What `find_orders` found: each order once (with the filters it matched), what was searched, what failed."""

    orders: list[FoundOrder]
    total: int
    """Matches in all (each filter's total, as its list said), at least `len(orders)`."""
    searched: list[str]
    """``carrier externalId, relatedBuyerPON`` per backend asked."""
    failures: list[tuple[str, APIError]]
    """(backend, error) of each backend that failed, once per backend."""


async def find_orders(ctx: BotContext, text: str) -> Found:
    """The orders whose buyer's reference is `text`: one list request per documented reference filter of each enabled
    backend, all at once; a failing backend is reported, the others still answer."""
    jobs = [
        (backend, key) for backend in BACKENDS if backend in ctx.enabled for key in SOURCES[backend].reference_filters
    ]

    async def one(backend: Backend, key: str) -> tuple[list[OrderView], int]:
        first = await ctx.orange.orders(backend).list(filters={key: text}, fields=FIND_FIELDS, limit=FIND_LIMIT)
        items = list(first.items)
        return items, max(first.total or 0, len(items))

    answers = await asyncio.gather(*(one(b, k) for b, k in jobs), return_exceptions=True)
    by_reference: dict[str, tuple[OrderView, list[str]]] = {}
    failures: dict[str, APIError] = {}
    totals: dict[str, int] = {}
    for (backend, key), answer in zip(jobs, answers, strict=True):
        if isinstance(answer, APIError):
            log.info("find: %s %s failed: %s", backend, key, answer)
            failures.setdefault(backend, answer)
            continue
        if isinstance(answer, BaseException):
            raise answer
        views, count = answer
        totals[backend] = max(totals.get(backend, 0), count)  # an order matched by two filters is one order
        for view in views:
            by_reference.setdefault(view.reference, (view, []))[1].append(key)
    orders = [FoundOrder(view, tuple(keys)) for view, keys in by_reference.values()]
    searched = [
        f"{backend} {', '.join(SOURCES[backend].reference_filters)}" for backend in BACKENDS if backend in ctx.enabled
    ]
    return Found(orders, max(sum(totals.values()), len(orders)), searched, list(failures.items()))


def _found_blocks(found: Found, text: str) -> list[Block]:
    failures = [f":warning: {escape(backend)}: {escape(carrier_error_text(err))}" for backend, err in found.failures]
    return found_orders_blocks(found.orders, text=text, searched=found.searched, failures=failures, total=found.total)


@handles(Find)
async def _find(inv: Invocation, cmd: Find) -> Reply:
    return reply(_found_blocks(await find_orders(inv.ctx, cmd.text), cmd.text))


@handles(OrderFind)
async def _order_find(inv: Invocation, cmd: OrderFind) -> Reply:
    """``order <text>`` that is no id: one match is that order's card, else the `find` answer."""
    found = await find_orders(inv.ctx, cmd.text)
    if len(found.orders) == 1 and found.total == 1 and not found.failures:
        only = found.orders[0].view
        view = await inv.ctx.orange.orders(only.backend).get(only.id)
        return await _order_card(inv, view)
    return reply(_found_blocks(found, cmd.text))


@handles(Products)
async def _products_reply(inv: Invocation, cmd: Products) -> Reply:
    return reply(await _products(inv.ctx, cmd, _page(inv), await inv.tz()))


@handles(ProductGet)
async def _product_reply(inv: Invocation, cmd: ProductGet) -> Reply:
    view = await fetch_product(inv.ctx, cmd.reference.backend, cmd.reference.id)
    return reply(product_blocks(view, tz=await inv.tz()))


@handles(Offer)
async def _offer(inv: Invocation, cmd: Offer) -> Reply:
    catalog = inv.ctx.orange.wholesale.catalog
    offering = await catalog.offering(cmd.offering_id)
    prices: list[ProductOfferingPrice] = []
    for ref in offering.product_offering_price or []:
        if ref.id:
            try:
                prices.append(await catalog.price(ref.id))
            except APIError as err:
                log.info("offer %s: price %s unavailable: %s", cmd.offering_id, ref.id, err)
    return reply(offer_blocks(offering_view(offering, prices=prices)))


async def _orders(ctx: BotContext, cmd: Orders, page: PageInfo, tz: tzinfo | None) -> list[Block]:
    backend = _backend(ctx, cmd.backend, "orders")
    states = [s for s in (cmd.state or "").split(",") if s]
    first = await ctx.orange.orders(backend).list(
        states=states, fields=WHOLESALE_LIST_FIELDS, limit=page.limit, offset=page.offset
    )
    views = list(first.items)
    title = (
        _("{backend} orders in state {state}", backend=backend, state=cmd.state)
        if cmd.state
        else _("{backend} orders", backend=backend)
    )
    return orders_list_blocks(views, title=title, page=_paged(page, first.total, len(views)), tz=tz)


async def fetch_product(ctx: BotContext, backend: str, product_id: str) -> ProductView:
    if backend == "carrier":
        return product_view_from_carrier(await ctx.orange.carrier.products.get(product_id))
    if backend == "wholesale":
        return product_view_from_wholesale(await ctx.orange.wholesale.products.get(product_id, depth=1))
    raise CommandError(_("Orange Business has no product inventory; use carrier or wholesale."), "product")


async def _products(ctx: BotContext, cmd: Products, page: PageInfo, tz: tzinfo | None) -> list[Block]:
    backend = _backend(ctx, cmd.backend, "products")
    params: dict[str, object] = dict(cmd.filters)
    views: list[ProductView]
    if backend == "carrier":
        carrier = await ctx.orange.carrier.products.list(_params(params), limit=page.limit, offset=page.offset)
        views, total = [product_view_from_carrier(p) for p in carrier], carrier.total
    elif backend == "wholesale":
        wholesale = await ctx.orange.wholesale.products.list(_params(params), limit=page.limit, offset=page.offset)
        views, total = [product_view_from_wholesale(p) for p in wholesale], wholesale.total
    else:
        raise CommandError(_("Orange Business has no product inventory; use carrier or wholesale."), "products")
    title = (
        _("{backend} products ({filters})", backend=backend, filters=", ".join(f"{k}={v}" for k, v in cmd.filters))
        if cmd.filters
        else _("{backend} products", backend=backend)
    )
    return products_list_blocks(views, title=title, page=_paged(page, total, len(views)), tz=tz)
