"""Wholesale catalog offerings, as Block Kit.

blocks = offer_blocks(offering_view(offering, prices=prices, specifications=specifications))
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from integrations.views import CharacteristicSpecView, OfferingView

from .format import MESSAGE_BUDGET, bullet_sections, code, context, escape, header, money, section, truncate

__all__ = ["offer_blocks"]

MAX_VALUES = 12
"""Allowed values listed per characteristic; more are counted."""

_PROPERTY_LABELS = {
    "apiorderable": "Orderable by API",
    "apiquotable": "Quotable by API",
    "ihmorderable": "Orderable on the portal",
    "pricefrom": "Price from",
}


def _characteristic(c: CharacteristicSpecView) -> str:
    name = escape(c.name or c.id or "characteristic")
    if not c.values:
        return f"• {name}"
    values = ", ".join(escape(truncate(v, 100)) for v in c.values[:MAX_VALUES])
    more = len(c.values) - MAX_VALUES
    return f"• {name}: {values}" + (f" and {more} more" if more > 0 else "")


def _property(name: str, value: str) -> str:
    label = _PROPERTY_LABELS.get(name.casefold(), name)
    shown = {"true": "yes", "false": "no"}.get(value.strip().casefold(), value)
    return f"{escape(label)}: {escape(shown)}"


def offer_blocks(view: OfferingView) -> list[Block]:
    """One offering: name, type and categories, prices, configurable characteristics with their values, bundled
    offerings and properties (orderable or quotable by API)."""
    title = f"Offer {view.id}" + (f" — {view.name}" if view.name else "")
    fields = [
        f"*{name}*\n{value}"
        for name, value in (
            ("Name", escape(view.name) if view.name else None),
            ("Type", escape(view.type) if view.type else None),
            ("Categories", ", ".join(escape(c) for c in view.categories) if view.categories else None),
        )
        if value
    ]
    blocks: list[Block] = [header(title), section(f"*Offer* {code(view.id)}", fields=fields)]
    if view.prices:
        lines = [f"• {escape(p.name)}: {escape(money(p))}" if p.name else f"• {escape(money(p))}" for p in view.prices]
        blocks.append(section("*Prices*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Prices*\nNo price in the catalog for this offer."))
    tail: list[Block] = []
    if view.bundled_offerings:
        bundled = [
            f"{code(b.id)} {escape(b.name)}" if b.name and b.name != b.id else code(b.id)
            for b in view.bundled_offerings
        ]
        tail.append(context("Bundles: " + ", ".join(bundled)))
    if view.properties:
        tail.append(context(" · ".join(_property(name, value) for name, value in view.properties)))
    if view.characteristics:
        room = MESSAGE_BUDGET - len(blocks) - len(tail) - 1
        blocks.append(section("*Characteristics*"))
        lines = [_characteristic(c) for c in view.characteristics]
        blocks.extend(bullet_sections(lines, max_blocks=room, more="and {n} more characteristics"))
    return [*blocks, *tail]
