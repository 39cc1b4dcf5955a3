"""Carrier sites and address validation, as Block Kit.

blocks = sites_list_blocks(views, PageInfo(0, 20, 3, "sites city=Paris"), "city=Paris")
blocks = address_blocks(validation)   # result in words, best match, alternatives
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from integrations.views import AddressMatchView, AddressValidationView, SiteView

from .common import PageInfo, list_blocks
from .format import MESSAGE_BUDGET, bullet_sections, code, context, escape, header, section, words

__all__ = ["address_blocks", "site_blocks", "site_line", "sites_list_blocks"]

_RESULTS = {
    "success": "✅ Success: Orange knows this address",
    "partial": "🟡 Partial: Orange knows a close address, check the best match",
    "fail": "❌ Fail: Orange does not know this address",
}


def site_line(view: SiteView) -> str:
    """`` `105740` *Bagnolet* · public · 7, avenue Gambetta, 93177 Bagnolet, France ``."""
    return words(
        words(code(view.id), f"*{escape(view.name)}*" if view.name else None, sep=" "),
        escape(view.type) if view.type else None,
        escape(view.one_line) if view.one_line else None,
    )


def sites_list_blocks(views: Sequence[SiteView], page: PageInfo, query_text: str = "") -> list[Block]:
    """One line per site (id, name, type, address), at most 20, with Previous/Next."""
    query = query_text.strip()
    title = f"Sites matching {query}" if query else "Sites"
    empty = f"No site matches {code(query)}." if query else "No site found."
    return list_blocks(
        title,
        [site_line(v) for v in views],
        page,
        empty=empty + " Try part of a city or site name.",
        note="Use a site id in a new quote",
    )


def site_blocks(view: SiteView) -> list[Block]:
    """One site: name, id, type, status and its address field by field."""
    title = f"Site {view.id}" + (f" — {view.name}" if view.name else "")
    fields = [
        f"*{name}*\n{escape(value)}"
        for name, value in (
            ("Name", view.name),
            ("Type", view.type),
            ("Status", view.status),
            ("Address", ", ".join(view.address_lines)),
            ("Postcode", view.postcode),
            ("City", view.city),
            ("Locality", view.locality),
            ("State or province", view.state_or_province),
            ("Country", view.country),
        )
        if value
    ]
    return [
        header(title),
        section(f"*Site* {code(view.id)}" + (f" · {escape(view.one_line)}" if view.one_line else ""), fields=fields),
    ]


def _match_text(match: AddressMatchView) -> str:
    flags = []
    if match.allows_new_site is not None:
        flags.append("a new site can be built" if match.allows_new_site else "no new site can be built")
    if match.has_public_site is not None:
        flags.append("has a public site" if match.has_public_site else "no public site")
    return words(
        escape(match.line) or "(no address text)",
        f"id {code(match.id)}" if match.id else None,
        ", ".join(flags) or None,
    )


def address_blocks(view: AddressValidationView) -> list[Block]:
    """An address validation: the result in words, what was submitted, the best match and the alternatives."""
    result = (view.result or "").strip().casefold()
    verdict = _RESULTS.get(result, f"❔ {escape(view.result)}" if view.result else "❔ No result")
    blocks: list[Block] = [header("Address validation"), section(f"*Result:* {verdict}")]
    if view.submitted:
        blocks.append(context(f"Submitted: {escape(view.submitted)}"))
    if view.best_match is not None:
        blocks.append(section(f"*Best match*\n{_match_text(view.best_match)}"))
    elif not view.alternatives:
        blocks.append(section("No match: check the street, number, postcode and country."))
    if view.alternatives:
        room = MESSAGE_BUDGET - len(blocks) - 1
        lines = [f"• {_match_text(a)}" for a in view.alternatives]
        blocks.append(section(f"*{len(lines)} alternative{'s' if len(lines) != 1 else ''}*"))
        blocks.extend(bullet_sections(lines, max_blocks=room, more="and {n} more alternatives"))
    return blocks
