"""The read-only verbs of `/orange`: a parsed command in, a `Reply` (text + Block Kit) out.

Listeners, the "Share in channel" button and the Next / Previous buttons all come through `answer`, so what a
person sees is the same wherever they asked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.catalog import offer_blocks
from bot.blocks.common import PageInfo, carrier_error_blocks, error_blocks, help_blocks
from bot.blocks.format import fallback_text
from bot.blocks.orders import order_blocks, orders_list_blocks
from bot.blocks.products import product_blocks, products_list_blocks
from bot.blocks.quotes import quote_blocks, quotes_list_blocks
from bot.blocks.sites import address_blocks, site_blocks, sites_list_blocks
from bot.commands import (
    Address,
    Command,
    CommandError,
    Help,
    Offer,
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
from integrations._exceptions import APIError, InvalidReferenceError
from integrations.client import BackendNotEnabledError
from integrations.types.wholesale import ProductOfferingPrice
from integrations.views import (
    OrderView,
    ProductView,
    SiteView,
    address_validation_view,
    offering_view,
    order_view_from_business,
    order_view_from_carrier,
    order_view_from_wholesale,
    product_view_from_carrier,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)

__all__ = ["PAGE_SIZE", "Reply", "answer", "fetch_order_view", "render_error"]

log = logging.getLogger("bot.queries")

PAGE_SIZE = 20
SITE_SEARCH_LIMIT = 500
# What an order list line shows; everything else stays on Orange's side (their advice: ask only what you need).
WHOLESALE_LIST_FIELDS = ["state", "orderDate", "description", "externalIdentifier", "productOrderSpecification"]


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    shareable: bool = True


def reply(blocks: Sequence[Block], *, shareable: bool = True, text: str | None = None) -> Reply:
    return Reply(text=text or fallback_text(blocks), blocks=[b.to_dict() for b in blocks], shareable=shareable)


def render_error(err: Exception, *, verb: str | None, command: str, enabled: Sequence[str]) -> Reply:
    """Bad input or a carrier failure, in one line (plus the verb's usage for bad input)."""
    if isinstance(err, APIError):
        return reply(carrier_error_blocks(err), shareable=False)
    message = getattr(err, "message", None) or str(err)
    return reply(error_blocks(message, usage(verb, command=command, enabled=enabled)), shareable=False)


async def fetch_order_view(ctx: BotContext, backend: str, order_id: str) -> OrderView:
    orange = ctx.orange
    if backend == "carrier":
        return order_view_from_carrier(await orange.carrier.orders.get(order_id))
    if backend == "wholesale":
        return order_view_from_wholesale(await orange.wholesale.orders.get(order_id))
    if backend == "business":
        return order_view_from_business(await orange.business.requests.get(order_id))
    raise BackendNotEnabledError(backend, ctx.enabled)


def _params(params: dict[str, object]) -> Any:
    """User-typed filters go to Orange as given (its filter names); the typed params cover the documented ones."""
    return params or None


def _page(page: PageInfo, total: int | None, count: int) -> PageInfo:
    """The page as the carrier answered it: its total, or (without one) whether it filled the page."""
    return replace(page, total=total, more=total is None and count >= page.limit)


def _backend(ctx: BotContext, backend: str | None, verb: str) -> str:
    chosen = backend or ctx.default_backend
    if chosen is None:
        raise CommandError("No backend is configured.", verb)
    if chosen not in ctx.enabled:
        raise BackendNotEnabledError(chosen, ctx.enabled)
    return chosen


def _matches(site: SiteView, text: str) -> bool:
    needle = text.casefold()
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
            view async for view in _site_views(ctx, params, max_items=SITE_SEARCH_LIMIT) if _matches(view, cmd.text)
        ]
        total = len(found)
        views = found[page.offset : page.offset + page.limit]
    else:
        first = await ctx.orange.carrier.sites.list(_params(params), limit=page.limit, offset=page.offset)
        views = [site_view_from_carrier(site) for site in first]
        total = first.total
    return sites_list_blocks(views, _page(page, total, len(views)), query_text=cmd.text or _describe(params))


async def _site_views(ctx: BotContext, params: dict[str, object], *, max_items: int) -> AsyncIterator[SiteView]:
    async for site in ctx.orange.carrier.sites.list(_params(params), max_items=max_items):
        yield site_view_from_carrier(site)


def _describe(params: dict[str, object]) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in params.items())


async def answer(
    ctx: BotContext,
    cmd: Command,
    *,
    command_text: str,
    tz: tzinfo | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> Reply:
    """Answer one read-only command; carrier errors and bad input become a one-line error reply."""
    now = now or datetime.now(UTC)
    command = ctx.settings.slack_command
    page = PageInfo(offset=max(0, offset), limit=PAGE_SIZE, total=None, command_text=command_text)
    try:
        return await _answer(ctx, cmd, page=page, tz=tz, now=now)
    except (APIError, CommandError, InvalidReferenceError, BackendNotEnabledError) as err:
        if isinstance(err, APIError):
            log.info("%s failed: %s", cmd.verb, err)
        return render_error(err, verb=cmd.verb, command=command, enabled=ctx.enabled)


async def _answer(ctx: BotContext, cmd: Command, *, page: PageInfo, tz: tzinfo | None, now: datetime) -> Reply:
    orange = ctx.orange
    if isinstance(cmd, Help):
        text = usage(cmd.topic, command=ctx.settings.slack_command, enabled=ctx.enabled)
        return reply(help_blocks(text, ctx.enabled), shareable=False)
    if isinstance(cmd, Sites):
        return reply(await _sites(ctx, cmd, page))
    if isinstance(cmd, Site):
        return reply(site_blocks(site_view_from_carrier(await orange.carrier.sites.get(cmd.site_id))))
    if isinstance(cmd, Address):
        submitted = {
            k: v
            for k, v in {
                "streetName": cmd.street,
                "streetNr": cmd.number,
                "city": cmd.city,
                "postcode": cmd.postcode,
                "country": cmd.country,
            }.items()
            if v
        }
        result = await orange.carrier.addresses.validate(
            {
                "provideAlternative": True,
                "submittedGeographicAddress": {"@type": "FieldedAddress", "associatedGeographicAddress": submitted},
                "@type": "GeographicAddressValidation",
            }
        )
        return reply(address_blocks(address_validation_view(result)))
    if isinstance(cmd, Quotes):
        first = await orange.carrier.quotes.list(limit=page.limit, offset=page.offset)
        views = [quote_view_from_carrier(q) for q in first]
        return reply(quotes_list_blocks(views, page=_page(page, first.total, len(views)), tz=tz, now=now))
    if isinstance(cmd, QuoteGet):
        quote = quote_view_from_carrier(await orange.carrier.quotes.get(cmd.reference.id))
        return reply(quote_blocks(quote, tz=tz, now=now))
    if isinstance(cmd, Orders):
        return reply(await _orders(ctx, cmd, page, tz))
    if isinstance(cmd, OrderGet):
        view = await fetch_order_view(ctx, cmd.reference.backend, cmd.reference.id)
        return reply(order_blocks(view, tz=tz))
    if isinstance(cmd, Products):
        return reply(await _products(ctx, cmd, page, tz))
    if isinstance(cmd, ProductGet):
        return reply(product_blocks(await _product(ctx, cmd.reference.backend, cmd.reference.id), tz=tz))
    if isinstance(cmd, Offer):
        offering = await orange.wholesale.catalog.offering(cmd.offering_id)
        prices: list[ProductOfferingPrice] = []
        for ref in offering.product_offering_price or []:
            if ref.id:
                try:
                    prices.append(await orange.wholesale.catalog.price(ref.id))
                except APIError as err:
                    log.info("offer %s: price %s unavailable: %s", cmd.offering_id, ref.id, err)
        return reply(offer_blocks(offering_view(offering, prices=prices)))
    raise CommandError(f"`{cmd.verb}` is not a lookup.", cmd.verb)


async def _orders(ctx: BotContext, cmd: Orders, page: PageInfo, tz: tzinfo | None) -> list[Block]:
    backend = _backend(ctx, cmd.backend, "orders")
    states = [s for s in (cmd.state or "").split(",") if s]
    orange = ctx.orange
    views: list[OrderView]
    total: int | None
    if backend == "carrier":
        carrier = await orange.carrier.orders.list(
            {"state": states} if states else None, limit=page.limit, offset=page.offset
        )
        views, total = [order_view_from_carrier(o) for o in carrier], carrier.total
    elif backend == "wholesale":
        params: dict[str, object] = {"fields": WHOLESALE_LIST_FIELDS}
        if states:
            params["state"] = states
        wholesale = await orange.wholesale.orders.list(_params(params), limit=page.limit, offset=page.offset)
        views, total = [order_view_from_wholesale(o) for o in wholesale], wholesale.total
    else:
        business = await orange.business.requests.list(
            {"step": states} if states else None, limit=page.limit, offset=page.offset
        )
        views, total = [order_view_from_business(o) for o in business], business.total
    title = f"{backend} orders" + (f" in state {cmd.state}" if cmd.state else "")
    return orders_list_blocks(views, title=title, page=_page(page, total, len(views)), tz=tz)


async def _product(ctx: BotContext, backend: str, product_id: str) -> ProductView:
    if backend == "carrier":
        return product_view_from_carrier(await ctx.orange.carrier.products.get(product_id))
    if backend == "wholesale":
        return product_view_from_wholesale(await ctx.orange.wholesale.products.get(product_id, depth=1))
    raise CommandError("Orange Business has no product inventory; use carrier or wholesale.", "product")


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
        raise CommandError("Orange Business has no product inventory; use carrier or wholesale.", "products")
    title = f"{backend} products" + (" (" + ", ".join(f"{k}={v}" for k, v in cmd.filters) + ")" if cmd.filters else "")
    return products_list_blocks(views, title=title, page=_page(page, total, len(views)), tz=tz)
