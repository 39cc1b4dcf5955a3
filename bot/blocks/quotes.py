"""Carrier quotes and POQ answers, as Block Kit.

blocks = quote_blocks(view, tz=None, now=datetime.now(UTC))   # "Order this quote" when orderable at `now`
blocks = poq_blocks(poq)                                        # per item: 🟢 green, lead time, guarantee
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from slack_sdk.models.blocks import Block

from integrations.states import ORDERABLE_QUOTE_STATES
from integrations.views import PoqItemView, PoqView, PriceView, QuoteItemView, QuoteView, TermView

from .common import PageInfo, list_blocks
from .format import (
    MESSAGE_BUDGET,
    actions,
    button,
    code,
    context,
    divider,
    escape,
    header,
    plural,
    price_totals,
    prices_text,
    section,
    state_text,
    when,
    words,
)

__all__ = [
    "ACTION_QUOTE_ORDER",
    "poq_blocks",
    "quote_blocks",
    "quote_item_text",
    "quote_line",
    "quotes_list_blocks",
    "validity_text",
]

ACTION_QUOTE_ORDER = "quote_order_request"

_CONFIDENCE = {"green": "🟢 Green", "yellow": "🟡 Yellow", "amber": "🟠 Amber", "orange": "🟠 Orange", "red": "🔴 Red"}


def _aware_after(moment: datetime, now: datetime) -> bool:
    return moment > (now if now.tzinfo is not None else now.replace(tzinfo=UTC))


def validity_text(view: QuoteView, *, now: datetime, tz: tzinfo | None = None) -> str | None:
    """`valid until 2021-04-01 23:59 UTC`, or `expired 2021-04-01 23:59 UTC` once past; None without an end."""
    if view.valid_until is None:
        return None
    if _aware_after(view.valid_until, now):
        return f"valid until {when(view.valid_until, tz)}"
    return f"expired {when(view.valid_until, tz)}"


def _term(term: TermView | None) -> str | None:
    if term is None:
        return None
    duration = ""
    if term.amount is not None:
        amount = f"{term.amount:,}" if term.amount == term.amount.to_integral_value() else str(term.amount)
        duration = words(amount, term.units, sep=" ")
    text = words(term.name, duration, sep=", ")
    return escape(text) if text else None


def _kind_prices(prices: Sequence[PriceView]) -> tuple[list[PriceView], list[PriceView]]:
    one_off = [p for p in prices if p.kind == "one_off"]
    return one_off, [p for p in prices if p.kind != "one_off"]


def quote_item_text(item: QuoteItemView) -> str:
    """One quote item: id, action, state; offering and specification; bandwidth, class of service and term; sites and
    the products it relies on; one-off and recurring prices."""
    one_off, recurring = _kind_prices(item.prices)
    lines = [
        words(
            f"*Item {escape(item.id)}*" if item.id else "*Item*",
            escape(item.action) if item.action else None,
            escape(state_text(item.state, item.state_raw)),
        ),
        words(
            f"Offering: {escape(item.offering_id)}" if item.offering_id else None,
            f"Specification: {escape(item.specification_id)}" if item.specification_id else None,
            f"Product: {code(item.product_id)}" if item.product_id else None,
        ),
        words(
            f"Bandwidth: {escape(item.bandwidth)}" if item.bandwidth else None,
            f"Class of service: {escape(item.class_of_service)}" if item.class_of_service else None,
            f"Term: {_term(item.term)}" if _term(item.term) else None,
        ),
        words(
            ("Sites: " if len(item.site_ids) > 1 else "Site: ") + ", ".join(code(s) for s in item.site_ids)
            if item.site_ids
            else None,
            "Relies on: " + ", ".join(code(p) for p in item.related_product_ids) if item.related_product_ids else None,
        ),
    ]
    if item.prices:
        lines.append(f"One-off: {prices_text(one_off)} · Recurring: {prices_text(recurring)}")
    return "\n".join(line for line in lines if line)


def _why_not_orderable(view: QuoteView, now: datetime) -> str:
    if view.state not in ORDERABLE_QUOTE_STATES:
        return f"Not orderable while {escape(state_text(view.state, view.state_raw))}."
    if view.valid_until is None:
        return "Not orderable: Orange gave no end of validity."
    return "Not orderable any more: the quote has expired."


def quote_blocks(view: QuoteView, *, tz: tzinfo | None = None, now: datetime) -> list[Block]:
    """One quote: state, level, dates and validity, items with their prices, and "Order this quote" when orderable."""
    validity = validity_text(view, now=now, tz=tz)
    expired = validity is not None and validity.startswith("expired")
    fields: list[str] = []
    if view.quote_date is not None:
        fields.append(f"*Quoted*\n{when(view.quote_date, tz)}")
    if view.valid_from is not None:
        fields.append(f"*Valid from*\n{when(view.valid_from, tz)}")
    if view.valid_until is not None:
        label = "*Expired*" if expired else "*Valid until*"
        fields.append(f"{label}\n{when(view.valid_until, tz)}" + (" (expired)" if expired else ""))
    if view.level:
        fields.append(f"*Level*\n{escape(view.level)}")
    if view.external_id:
        fields.append(f"*External id*\n{code(view.external_id)}")
    if view.prices:
        one_off, recurring = _kind_prices(price_totals(view.prices))
        fields.append(f"*One-off total*\n{prices_text(one_off)}")
        fields.append(f"*Recurring total*\n{prices_text(recurring)}")
    state = words(
        f"*State:* {escape(state_text(view.state, view.state_raw))}",
        validity,
    )
    blocks: list[Block] = [header(f"Quote {view.reference}"), section(state, fields=fields)]
    if view.description:
        blocks.append(section(f"*Description*\n{escape(view.description)}"))

    orderable = view.is_orderable(now)
    tail: list[Block] = []
    if orderable:
        tail.append(
            actions(button("Order this quote", action_id=ACTION_QUOTE_ORDER, value=view.reference, style="primary"))
        )
        tail.append(context("Ordering asks for an approval first: nothing is sent to Orange before it."))
    elif view.items or view.valid_until is not None:
        tail.append(context(_why_not_orderable(view, now)))

    if view.items:
        room = MESSAGE_BUDGET - len(blocks) - len(tail) - 1
        items = list(view.items)
        blocks.append(divider())
        if len(items) > room:
            shown = items[: max(room - 1, 0)]
            blocks.extend(section(quote_item_text(i)) for i in shown)
            blocks.append(context(f"and {plural(len(items) - len(shown), 'more item')} not shown"))
        else:
            blocks.extend(section(quote_item_text(i)) for i in items)
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
    title: str = "Quotes",
) -> list[Block]:
    """One line per quote (reference · state · level · validity · totals), at most 20, with Previous/Next."""
    return list_blocks(
        title,
        [quote_line(v, now=now, tz=tz) for v in views],
        page,
        empty="No quote found.",
    )


# --- POQ ---------------------------------------------------------------------------------------


def _confidence(raw: str | None) -> str:
    if not raw:
        return "❔ No answer"
    return _CONFIDENCE.get(raw.casefold(), f"❔ {escape(raw)}")


def _poq_item_text(item: PoqItemView, tz: tzinfo | None) -> str:
    interval = item.installation_interval
    lead = None
    if interval is not None:
        amount = f"{interval.amount:,}" if interval.amount == interval.amount.to_integral_value() else interval.amount
        lead = f"Lead time: {words(str(amount), escape(interval.unit) if interval.unit else None, sep=' ')}"
    lines = [
        words(
            f"*Item {escape(item.id)}*" if item.id else "*Item*",
            escape(item.action) if item.action else None,
            _confidence(item.serviceability_confidence),
            escape(item.state) if item.state else None,
        ),
        words(
            f"Offering: {escape(item.offering_id)}" if item.offering_id else None,
            f"Specification: {escape(item.specification_id)}" if item.specification_id else None,
            f"Bandwidth: {escape(item.bandwidth)}" if item.bandwidth else None,
        ),
        words(
            ("Sites: " if len(item.site_ids) > 1 else "Site: ") + ", ".join(code(s) for s in item.site_ids)
            if item.site_ids
            else None,
            "Relies on: " + ", ".join(code(p) for p in item.related_product_ids) if item.related_product_ids else None,
        ),
        words(lead, f"Guaranteed until {when(item.guaranteed_until, tz)}" if item.guaranteed_until else None),
        f"Reason: {escape(item.reason)}" if item.reason else "",
    ]
    return "\n".join(line for line in lines if line)


def poq_blocks(view: PoqView, *, tz: tzinfo | None = None) -> list[Block]:
    """A product offering qualification: overall answer, then per item confidence, lead time and guarantee."""
    if not view.items:
        verdict = "❔ No item came back"
    elif view.all_green:
        verdict = "🟢 Every item can be delivered"
    else:
        verdict = "🟠 Not every item is green: see below"
    summary = words(
        verdict,
        f"state {escape(view.state)}" if view.state else None,
        f"guaranteed until {when(view.guaranteed_until, tz)}" if view.guaranteed_until else None,
    )
    title = f"Qualification {view.id}" if view.id else "Qualification"
    blocks: list[Block] = [header(title), section(summary)]
    items = list(view.items)
    if items:
        blocks.append(divider())
        room = MESSAGE_BUDGET - len(blocks) - 1  # the completion date
        if len(items) > room:
            shown = items[: room - 1]
            blocks.extend(section(_poq_item_text(i, tz)) for i in shown)
            blocks.append(context(f"and {plural(len(items) - len(shown), 'more item')} not shown"))
        else:
            blocks.extend(section(_poq_item_text(i, tz)) for i in items)
    if view.completion_date is not None:
        blocks.append(context(f"Answered {when(view.completion_date, tz)}"))
    return blocks
