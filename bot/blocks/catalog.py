"""Wholesale catalog offerings, as Block Kit.

blocks = offer_blocks(offering_view(offering, prices=prices, specifications=specifications))
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_
from integrations.views import CharacteristicSpecView, OfferingView

from .format import MESSAGE_BUDGET, bullet_sections, code, context, escape, header, money, section, truncate

__all__ = ["offer_blocks"]

MAX_VALUES = 12
"""Allowed values listed per characteristic; more are counted."""


def _property_labels() -> dict[str, str]:
    return {
        "apiorderable": _("Orderable by API"),
        "apiquotable": _("Quotable by API"),
        "ihmorderable": _("Orderable on the portal"),
        "pricefrom": _("Price from"),
    }


def _characteristic(c: CharacteristicSpecView) -> str:
    name = escape(c.name or c.id or _("characteristic"))
    if not c.values:
        return f"• {name}"
    values = ", ".join(escape(truncate(v, 100)) for v in c.values[:MAX_VALUES])
    more = len(c.values) - MAX_VALUES
    return f"• {name}: {values}" + (" " + n_("and {n} more", "and {n} more", more) if more > 0 else "")


def _property(name: str, value: str) -> str:
    label = _property_labels().get(name.casefold(), name)
    shown = {"true": _("yes"), "false": _("no")}.get(value.strip().casefold(), value)
    return f"{escape(label)}: {escape(shown)}"


def _more_characteristics(n: int) -> str:
    return n_("and {n} more characteristic", "and {n} more characteristics", n)


def offer_blocks(view: OfferingView) -> list[Block]:
    """One offering: name, type and categories, prices, configurable characteristics with their values, bundled
    offerings and properties (orderable or quotable by API)."""
    title = (
        _("Offer {offer} — {name}", offer=view.id, name=view.name) if view.name else _("Offer {offer}", offer=view.id)
    )
    fields = [
        f"{name}\n{value}"
        for name, value in (
            (_("*Name*"), escape(view.name) if view.name else None),
            (_("*Type*"), escape(view.type) if view.type else None),
            (_("*Categories*"), ", ".join(escape(c) for c in view.categories) if view.categories else None),
        )
        if value
    ]
    blocks: list[Block] = [header(title), section(_("*Offer* {offer}", offer=code(view.id)), fields=fields)]
    if view.prices:
        lines = [f"• {escape(p.name)}: {escape(money(p))}" if p.name else f"• {escape(money(p))}" for p in view.prices]
        blocks.append(section(_("*Prices*") + "\n" + "\n".join(lines)))
    else:
        blocks.append(section(_("*Prices*") + "\n" + _("No price in the catalog for this offer.")))
    tail: list[Block] = []
    if view.bundled_offerings:
        bundled = [
            f"{code(b.id)} {escape(b.name)}" if b.name and b.name != b.id else code(b.id)
            for b in view.bundled_offerings
        ]
        tail.append(context(_("Bundles: {offers}", offers=", ".join(bundled))))
    if view.properties:
        tail.append(context(" · ".join(_property(name, value) for name, value in view.properties)))
    if view.characteristics:
        room = MESSAGE_BUDGET - len(blocks) - len(tail) - 1
        blocks.append(section(_("*Characteristics*")))
        lines = [_characteristic(c) for c in view.characteristics]
        blocks.extend(bullet_sections(lines, max_blocks=room, more=_more_characteristics))
    return [*blocks, *tail]
