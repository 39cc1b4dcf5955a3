"""Inventory products (any backend), as Block Kit.

blocks = product_blocks(view, tz)
blocks = products_list_blocks(views, title="Products — wholesale", page=page)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import tzinfo

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_, number
from integrations.views import ProductView, TermView

from .common import PageInfo, list_blocks
from .format import (
    MESSAGE_BUDGET,
    bullet_sections,
    code,
    context,
    escape,
    header,
    prices_text,
    section,
    state_text,
    truncate,
    when,
    words,
)

__all__ = ["product_blocks", "product_line", "products_list_blocks"]

MAX_RELATED = 20
"""Relationships listed in the context line; more are counted."""


def _offering(view: ProductView) -> str | None:
    if view.offering_name and view.offering_id and view.offering_name != view.offering_id:
        return f"{escape(view.offering_name)} ({code(view.offering_id)})"
    if view.offering_name or view.offering_id:
        return escape(view.offering_name or view.offering_id or "")
    return None


def _term(term: TermView) -> str:
    amount = ""
    if term.amount is not None:
        amount = number(term.amount)
    return escape(words(term.name, words(amount, term.units, sep=" "), sep=", ")) or _("term")


def _status(view: ProductView) -> str:
    text = escape(state_text(view.status, view.status_raw))
    operational = view.operational_status
    if operational and operational.replace("_", "") != view.status.value.replace("_", ""):
        text += " " + _("(operational: {status})", status=escape(operational.replace("_", " ")))
    return text


def product_line(view: ProductView, tz: tzinfo | None = None) -> str:
    """`` `carrier:LDD30114` · ⏳ Pending · Intense · 4 · GUARANTEED `` (and since when, if known)."""
    return words(
        code(view.reference),
        _status(view),
        escape(view.name) if view.name and view.name != view.offering_name else None,
        _offering(view),
        escape(view.bandwidth) if view.bandwidth else None,
        escape(view.class_of_service) if view.class_of_service else None,
        _("since {date}", date=when(view.start_date, tz)) if view.start_date else None,
    )


def _tree(children: Sequence[ProductView], tz: tzinfo | None, depth: int = 1) -> Iterator[str]:
    for child in children:
        indent = "\u2003" * (depth - 1)
        yield f"{indent}↳ " + product_line(child, tz)
        yield from _tree(child.children, tz, depth + 1)


def _more_characteristics(n: int) -> str:
    return n_("and {n} more characteristic", "and {n} more characteristics", n)


def _more_products(n: int) -> str:
    return n_("and {n} more product", "and {n} more products", n)


def product_blocks(view: ProductView, tz: tzinfo | None = None) -> list[Block]:
    """One product: status, offering, bandwidth and class of service, order, dates, prices and terms,
    characteristics, relationships and the related products expanded with it."""
    fields = [
        f"{name}\n{value}"
        for name, value in (
            (_("*Name*"), escape(view.name) if view.name else None),
            (_("*Offering*"), _offering(view)),
            (_("*Specification*"), escape(view.specification_id) if view.specification_id else None),
            (_("*Bandwidth*"), escape(view.bandwidth) if view.bandwidth else None),
            (_("*Class of service*"), escape(view.class_of_service) if view.class_of_service else None),
            (_("*Order*"), code(view.order_id) if view.order_id else None),
            (_("*Started*"), when(view.start_date, tz) if view.start_date else None),
            (_("*Terminated*"), when(view.termination_date, tz) if view.termination_date else None),
            (_("*Last update*"), when(view.last_update, tz) if view.last_update else None),
        )
        if value
    ]
    lines = [_("*Status:* {status}", status=_status(view))]
    if view.prices:
        lines.append(_("*Prices:* {prices}", prices=prices_text(view.prices, names=True)))
    if view.terms:
        lines.append(_("*Term:* {terms}", terms="; ".join(_term(t) for t in view.terms)))
    blocks: list[Block] = [
        header(_("Product {product}", product=view.reference)),
        section("\n".join(lines), fields=fields),
    ]

    tail: list[Block] = []
    if view.relationships:
        related = [f"{escape(kind or _('related'))} {code(pid)}" for kind, pid in view.relationships[:MAX_RELATED]]
        more = len(view.relationships) - MAX_RELATED
        if more > 0:
            related.append(n_("and {n} more", "and {n} more", more))
        tail.append(context(_("Related: {products}", products=", ".join(related))))

    room = MESSAGE_BUDGET - len(blocks) - len(tail)
    if view.characteristics:
        chars = [f"• {escape(name)}: {escape(truncate(value, 500))}" for name, value in view.characteristics]
        share = (room - 2) // 2 if view.children else room - 1
        blocks.append(section(_("*Characteristics*")))
        blocks.extend(bullet_sections(chars, max_blocks=max(share, 1), more=_more_characteristics))
    if view.children:
        room = MESSAGE_BUDGET - len(blocks) - len(tail) - 1
        blocks.append(section(_("*Related products*")))
        blocks.extend(bullet_sections(list(_tree(view.children, tz)), max_blocks=room, more=_more_products))
    return [*blocks, *tail]


def products_list_blocks(
    views: Sequence[ProductView],
    *,
    title: str,
    page: PageInfo,
    tz: tzinfo | None = None,
) -> list[Block]:
    """One line per product (reference · status · offering · bandwidth · class of service · start), at most 20."""
    return list_blocks(title, [product_line(v, tz) for v in views], page, empty=_("No product found."))
