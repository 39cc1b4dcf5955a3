"""Carrier sites and address validation, as Block Kit.

blocks = sites_list_blocks(views, PageInfo(0, 20, 3, "sites city=Paris"), "city=Paris")
blocks = address_blocks(validation)   # result in words, best match, alternatives
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_
from integrations.views import AddressMatchView, AddressValidationView, SiteView

from .common import PageInfo, list_blocks
from .format import MESSAGE_BUDGET, bullet_sections, code, context, escape, header, section, words

__all__ = ["address_blocks", "site_blocks", "site_line", "sites_list_blocks"]


def _results() -> dict[str, str]:
    return {
        "success": _("✅ Success: Orange knows this address"),
        "partial": _("🟡 Partial: Orange knows a close address, check the best match"),
        "fail": _("❌ Fail: Orange does not know this address"),
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
    title = _("Sites matching {query}", query=query) if query else _("Sites")
    if query:
        empty = _("No site matches {query}. Try part of a city or site name.", query=code(query))
    else:
        empty = _("No site found. Try part of a city or site name.")
    return list_blocks(
        title,
        [site_line(v) for v in views],
        page,
        empty=empty,
        note=_("Use a site id in a new quote"),
    )


def site_blocks(view: SiteView) -> list[Block]:
    """One site: name, id, type, status and its address field by field."""
    title = _("Site {site} — {name}", site=view.id, name=view.name) if view.name else _("Site {site}", site=view.id)
    fields = [
        f"{name}\n{escape(value)}"
        for name, value in (
            (_("*Name*"), view.name),
            (_("*Type*"), view.type),
            (_("*Status*"), view.status),
            (_("*Address*"), ", ".join(view.address_lines)),
            (_("*Postcode*"), view.postcode),
            (_("*City*"), view.city),
            (_("*Locality*"), view.locality),
            (_("*State or province*"), view.state_or_province),
            (_("*Country*"), view.country),
        )
        if value
    ]
    text = _("*Site* {site}", site=code(view.id)) + (f" · {escape(view.one_line)}" if view.one_line else "")
    return [header(title), section(text, fields=fields)]


def _match_text(match: AddressMatchView) -> str:
    flags = []
    if match.allows_new_site is not None:
        flags.append(_("a new site can be built") if match.allows_new_site else _("no new site can be built"))
    if match.has_public_site is not None:
        flags.append(_("has a public site") if match.has_public_site else _("no public site"))
    return words(
        escape(match.line) or _("(no address text)"),
        _("id {id}", id=code(match.id)) if match.id else None,
        ", ".join(flags) or None,
    )


def _more_alternatives(n: int) -> str:
    return n_("and {n} more alternative", "and {n} more alternatives", n)


def address_blocks(view: AddressValidationView) -> list[Block]:
    """An address validation: the result in words, what was submitted, the best match and the alternatives."""
    result = (view.result or "").strip().casefold()
    verdict = _results().get(result, f"❔ {escape(view.result)}" if view.result else _("❔ No result"))
    blocks: list[Block] = [header(_("Address validation")), section(_("*Result:* {verdict}", verdict=verdict))]
    if view.submitted:
        blocks.append(context(_("Submitted: {address}", address=escape(view.submitted))))
    if view.best_match is not None:
        blocks.append(section(_("*Best match*") + f"\n{_match_text(view.best_match)}"))
    elif not view.alternatives:
        blocks.append(section(_("No match: check the street, number, postcode and country.")))
    if view.alternatives:
        room = MESSAGE_BUDGET - len(blocks) - 1
        lines = [f"• {_match_text(a)}" for a in view.alternatives]
        blocks.append(section(n_("*{n} alternative*", "*{n} alternatives*", len(lines))))
        blocks.extend(bullet_sections(lines, max_blocks=room, more=_more_alternatives))
    return blocks
