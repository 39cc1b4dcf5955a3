"""Carrier quotes and POQ answers, as Block Kit.

blocks = quote_blocks(view, tz=None, now=datetime.now(UTC))   # "Order this quote" when orderable at `now`
blocks = poq_blocks(poq)                                        # per item: 🟢 green, lead time, guarantee
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_, number
from integrations.states import ORDERABLE_QUOTE_STATES
from integrations.views import PoqItemView, PoqView, PriceView, QuoteItemView, QuoteView, TermView

from .common import PageInfo, list_blocks
from .format import (
    MESSAGE_BUDGET,
    TermTotal,
    actions,
    button,
    code,
    context,
    divider,
    escape,
    header,
    price_totals,
    prices_text,
    section,
    state_text,
    term_total,
    term_total_text,
    when,
    words,
)

__all__ = [
    "ACTION_QUOTE_ORDER",
    "poq_blocks",
    "quote_blocks",
    "quote_item_text",
    "quote_line",
    "quote_term_total",
    "quotes_list_blocks",
    "validity_text",
]

ACTION_QUOTE_ORDER = "quote_order_request"


def _confidences() -> dict[str, str]:
    return {
        "green": _("🟢 Green"),
        "yellow": _("🟡 Yellow"),
        "amber": _("🟠 Amber"),
        "orange": _("🟠 Orange"),
        "red": _("🔴 Red"),
    }


def _aware_after(moment: datetime, now: datetime) -> bool:
    return moment > (now if now.tzinfo is not None else now.replace(tzinfo=UTC))


def validity_text(view: QuoteView, *, now: datetime, tz: tzinfo | None = None) -> str | None:
    """`valid until 2021-04-01 23:59 UTC`, or `expired 2021-04-01 23:59 UTC` once past; None without an end."""
    if view.valid_until is None:
        return None
    if _aware_after(view.valid_until, now):
        return _("valid until {date}", date=when(view.valid_until, tz))
    return _("expired {date}", date=when(view.valid_until, tz))


def _term(term: TermView | None) -> str | None:
    if term is None:
        return None
    duration = ""
    if term.amount is not None:
        amount = number(term.amount)
        duration = words(amount, term.units, sep=" ")
    text = words(term.name, duration, sep=", ")
    return escape(text) if text else None


def _kind_prices(prices: Sequence[PriceView]) -> tuple[list[PriceView], list[PriceView]]:
    one_off = [p for p in prices if p.kind == "one_off"]
    return one_off, [p for p in prices if p.kind != "one_off"]


def _sites_line(site_ids: Sequence[str], product_ids: Sequence[str]) -> str:
    sites = ", ".join(code(s) for s in site_ids)
    return words(
        n_("Site: {sites}", "Sites: {sites}", len(site_ids), sites=sites) if site_ids else None,
        _("Relies on: {products}", products=", ".join(code(p) for p in product_ids)) if product_ids else None,
    )


def quote_item_text(item: QuoteItemView, *, prices: bool = True) -> str:
    """One quote item: id, action, state; offering and specification; bandwidth, class of service and term; sites and
    the products it relies on; one-off and recurring prices (`prices=False`: not them, when the card shows them)."""
    one_off, recurring = _kind_prices(item.prices)
    term = _term(item.term)
    lines = [
        words(
            _("*Item {item}*", item=escape(item.id)) if item.id else _("*Item*"),
            escape(item.action) if item.action else None,
            escape(state_text(item.state, item.state_raw)),
        ),
        words(
            _("Offering: {offering}", offering=escape(item.offering_id)) if item.offering_id else None,
            _("Specification: {specification}", specification=escape(item.specification_id))
            if item.specification_id
            else None,
            _("Product: {product}", product=code(item.product_id)) if item.product_id else None,
        ),
        words(
            _("Bandwidth: {bandwidth}", bandwidth=escape(item.bandwidth)) if item.bandwidth else None,
            _("Class of service: {cos}", cos=escape(item.class_of_service)) if item.class_of_service else None,
            _("Term: {term}", term=term) if term else None,
        ),
        _sites_line(item.site_ids, item.related_product_ids),
    ]
    if prices and item.prices:
        lines.append(
            _(
                "One-off: {one_off} · Recurring: {recurring}",
                one_off=prices_text(one_off),
                recurring=prices_text(recurring),
            )
        )
    return "\n".join(line for line in lines if line)


def quote_term_total(view: QuoteView) -> TermTotal | None:
    """What the quote costs over its items' terms (`bot.blocks.format.term_total`), None when it cannot be said."""
    return term_total((item.prices, item.term) for item in view.items)


def _why_not_orderable(view: QuoteView, now: datetime) -> str:
    if view.state not in ORDERABLE_QUOTE_STATES:
        return _("Not orderable while {state}.", state=escape(state_text(view.state, view.state_raw)))
    if view.valid_until is None:
        return _("Not orderable: Orange gave no end of validity.")
    return _("Not orderable any more: the quote has expired.")


def quote_blocks(view: QuoteView, *, tz: tzinfo | None = None, now: datetime) -> list[Block]:
    """One quote: state, level, dates and validity, items with their prices, and "Order this quote" when orderable."""
    validity = validity_text(view, now=now, tz=tz)
    expired = view.valid_until is not None and not _aware_after(view.valid_until, now)
    fields: list[str] = []
    if view.quote_date is not None:
        fields.append(_("*Quoted*") + f"\n{when(view.quote_date, tz)}")
    if view.valid_from is not None:
        fields.append(_("*Valid from*") + f"\n{when(view.valid_from, tz)}")
    if view.valid_until is not None:
        if expired:
            fields.append(_("*Expired*") + "\n" + _("{date} (expired)", date=when(view.valid_until, tz)))
        else:
            fields.append(_("*Valid until*") + f"\n{when(view.valid_until, tz)}")
    if view.level:
        fields.append(_("*Level*") + f"\n{escape(view.level)}")
    if view.external_id:
        fields.append(n_("*External id*", "*External ids*", 1) + f"\n{code(view.external_id)}")
    if view.prices:
        one_off, recurring = _kind_prices(price_totals(view.prices))
        fields.append(_("*One-off total*") + f"\n{prices_text(one_off)}")
        fields.append(_("*Recurring total*") + f"\n{prices_text(recurring)}")
        total = quote_term_total(view)
        if total is not None:
            fields.append(_("*Total over the term*") + f"\n{term_total_text(total)}")
    state = words(
        _("*State:* {state}", state=escape(state_text(view.state, view.state_raw))),
        validity,
    )
    blocks: list[Block] = [header(_("Quote {quote}", quote=view.reference)), section(state, fields=fields)]
    if view.description:
        blocks.append(section(_("*Description*") + f"\n{escape(view.description)}"))

    orderable = view.is_orderable(now)
    tail: list[Block] = []
    if orderable:
        tail.append(
            actions(button(_("Order this quote"), action_id=ACTION_QUOTE_ORDER, value=view.reference, style="primary"))
        )
        tail.append(context(_("Ordering asks for an approval first: nothing is sent to Orange before it.")))
    elif view.items or view.valid_until is not None:
        tail.append(context(_why_not_orderable(view, now)))

    if view.items:
        room = MESSAGE_BUDGET - len(blocks) - len(tail) - 1
        items = list(view.items)
        blocks.append(divider())
        if len(items) > room:
            shown = items[: max(room - 1, 0)]
            blocks.extend(section(quote_item_text(i, prices=len(items) > 1)) for i in shown)
            rest = len(items) - len(shown)
            blocks.append(context(n_("and {n} more item not shown", "and {n} more items not shown", rest)))
        else:
            # A single item's prices are the totals above: one line per kind.
            blocks.extend(section(quote_item_text(i, prices=len(items) > 1)) for i in items)
    return [*blocks, *tail]


def quote_line(view: QuoteView, *, now: datetime, tz: tzinfo | None = None) -> str:
    """`` `carrier:6` · ✅ Approved · firm · valid until 2021-04-01 23:59 UTC ``."""
    return words(
        code(view.reference),
        escape(state_text(view.state, view.state_raw)),
        escape(view.level) if view.level else None,
        validity_text(view, now=now, tz=tz),
        prices_text(price_totals(view.prices)) if view.prices else None,
    )


def quotes_list_blocks(
    views: Sequence[QuoteView],
    *,
    page: PageInfo,
    now: datetime,
    tz: tzinfo | None = None,
    title: str | None = None,
) -> list[Block]:
    """One line per quote (reference · state · level · validity · totals), at most 20, with Previous/Next; `title`
    "Quotes" by default."""
    return list_blocks(
        _("Quotes") if title is None else title,
        [quote_line(v, now=now, tz=tz) for v in views],
        page,
        empty=_("No quote found."),
    )


# --- POQ ---------------------------------------------------------------------------------------


def _confidence(raw: str | None) -> str:
    if not raw:
        return _("❔ No answer")
    return _confidences().get(raw.casefold(), f"❔ {escape(raw)}")


def _poq_item_text(item: PoqItemView, tz: tzinfo | None) -> str:
    interval = item.installation_interval
    lead = None
    if interval is not None:
        duration = words(number(interval.amount), escape(interval.unit) if interval.unit else None, sep=" ")
        lead = _("Lead time: {duration}", duration=duration)
    lines = [
        words(
            _("*Item {item}*", item=escape(item.id)) if item.id else _("*Item*"),
            escape(item.action) if item.action else None,
            _confidence(item.serviceability_confidence),
            escape(item.state) if item.state else None,
        ),
        words(
            _("Offering: {offering}", offering=escape(item.offering_id)) if item.offering_id else None,
            _("Specification: {specification}", specification=escape(item.specification_id))
            if item.specification_id
            else None,
            _("Bandwidth: {bandwidth}", bandwidth=escape(item.bandwidth)) if item.bandwidth else None,
        ),
        _sites_line(item.site_ids, item.related_product_ids),
        words(
            lead,
            _("Guaranteed until {date}", date=when(item.guaranteed_until, tz)) if item.guaranteed_until else None,
        ),
        _("Reason: {reason}", reason=escape(item.reason)) if item.reason else "",
    ]
    return "\n".join(line for line in lines if line)


def poq_blocks(view: PoqView, *, tz: tzinfo | None = None) -> list[Block]:
    """A product offering qualification: overall answer, then per item confidence, lead time and guarantee."""
    if not view.items:
        verdict = _("❔ No item came back")
    elif view.all_green:
        verdict = _("🟢 Every item can be delivered")
    else:
        verdict = _("🟠 Not every item is green: see below")
    summary = words(
        verdict,
        _("state {state}", state=escape(view.state)) if view.state else None,
        _("guaranteed until {date}", date=when(view.guaranteed_until, tz)) if view.guaranteed_until else None,
    )
    title = _("Qualification {qualification}", qualification=view.id) if view.id else _("Qualification")
    blocks: list[Block] = [header(title), section(summary)]
    items = list(view.items)
    if items:
        blocks.append(divider())
        room = MESSAGE_BUDGET - len(blocks) - 1  # the completion date
        if len(items) > room:
            shown = items[: room - 1]
            blocks.extend(section(_poq_item_text(i, tz)) for i in shown)
            rest = len(items) - len(shown)
            blocks.append(context(n_("and {n} more item not shown", "and {n} more items not shown", rest)))
        else:
            blocks.extend(section(_poq_item_text(i, tz)) for i in items)
    if view.completion_date is not None:
        blocks.append(context(_("Answered {date}", date=when(view.completion_date, tz))))
    return blocks
