"""An order (any backend) and lists of orders, as Block Kit.

    blocks = order_blocks(view, tz=ZoneInfo("Europe/Paris"))
    blocks = orders_list_blocks(views, title="Orders — carrier", page=PageInfo(0, 20, 57, "orders carrier"))
    blocks = found_orders_blocks([FoundOrder(view, ("relatedBuyerPON",))], text="BOA12", searched=[…], failures=[])

Open error messages come first and stand out; closed ones are summed up in one line. However long the order,
the message stays under Slack's 50 blocks (items and milestones beyond what fits are counted, not shown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_, number
from integrations.views import (
    ErrorMessageView,
    JeopardyAlertView,
    MilestoneView,
    NoteView,
    OrderItemView,
    OrderView,
    order_label,
)

from .common import PageInfo, list_blocks
from .format import (
    LIST_PAGE_SIZE,
    MESSAGE_BUDGET,
    code,
    context,
    divider,
    escape,
    header,
    pack_lines,
    price_totals,
    prices_text,
    section,
    state_text,
    truncate,
    when,
    words,
)

__all__ = [
    "MAX_MILESTONES",
    "MAX_OPEN_ERRORS",
    "FoundOrder",
    "found_order_line",
    "found_orders_blocks",
    "nothing_found_text",
    "order_blocks",
    "order_item_text",
    "order_line",
    "orders_list_blocks",
]

MAX_OPEN_ERRORS = 5
"""Open error messages shown as their own section; more are counted."""
MAX_MILESTONES = 5
"""Latest milestones shown; older ones are counted."""
MAX_JEOPARDY = 5
MAX_ERROR_NOTES = 3
MAX_NOTES = 5


def _spec_label(backend: str) -> str:
    return {"carrier": _("*Activity*"), "business": _("*Type*")}.get(backend) or _("*Specification*")


def _party_label(backend: str) -> str:
    return _("*Customer*") if backend == "business" else _("*Buyer*")


def _latest_first(dt: datetime | None) -> tuple[int, float]:
    return (0, -dt.timestamp()) if dt is not None else (1, 0.0)


def _item_tag(item_id: str | None) -> str:
    return " · " + _("item {item}", item=code(item_id)) if item_id else ""


def _when(dt: datetime | None, tz: tzinfo | None) -> str | None:
    return when(dt, tz) if dt is not None else None


# --- parts -------------------------------------------------------------------------------------


def _summary(view: OrderView, tz: tzinfo | None) -> Block:
    fields: list[str] = []
    for title, dt in (
        (_("*Ordered*"), view.order_date),
        (_("*Requested completion*"), view.requested_completion_date),
        (_("*Expected completion*"), view.expected_completion_date),
        (_("*Completed*"), view.completion_date),
    ):
        if dt is not None:
            fields.append(f"{title}\n{when(dt, tz)}")
    if view.external_ids:
        title = n_("*External id*", "*External ids*", len(view.external_ids))
        fields.append(f"{title}\n" + ", ".join(code(e) for e in view.external_ids))
    if view.specification:
        fields.append(f"{_spec_label(view.backend)}\n{escape(view.specification)}")
    parties = [escape(p.name or p.id or "") for p in view.related_parties_summary if p.name or p.id]
    if parties:
        fields.append(f"{_party_label(view.backend)}\n" + ", ".join(parties))
    if view.prices:
        fields.append(_("*Total*") + "\n" + prices_text(price_totals(view.prices)))
    if view.quote_ids:
        fields.append(_("*Quote*") + "\n" + ", ".join(code(q) for q in view.quote_ids))
    counts = [n_("{n} item", "{n} items", len(view.items))] if view.items else []
    if view.open_errors:
        counts.append(n_(":rotating_light: {n} open error", ":rotating_light: {n} open errors", len(view.open_errors)))
    text = words(_("*State:* {state}", state=escape(state_text(view.state, view.state_raw))), *counts)
    return section(text, fields=fields)


def _reopened(error: ErrorMessageView, closed: Sequence[ErrorMessageView]) -> bool:
    # Orange reopens an issue as a new entry with the same text: the closed twin stays in the list.
    return any(
        (c.item_id, c.reason, c.message) == (error.item_id, error.reason, error.message)
        and (c.timestamp is None or error.timestamp is None or c.timestamp <= error.timestamp)
        for c in closed
    )


def _open_error(error: ErrorMessageView, tz: tzinfo | None, *, reopened: bool = False) -> Block:
    title = _(":rotating_light: *Open error (reopened)*") if reopened else _(":rotating_light: *Open error*")
    lines = [f"{title}{_item_tag(error.item_id)}"]
    message = (error.message or "").strip()
    if message:
        lines.extend(f">{escape(line)}" for line in message.splitlines() if line.strip())
    details = words(
        _("*Reason:* {reason}", reason=escape(error.reason)) if error.reason else None,
        _("*Code:* {code}", code=code(error.code)) if error.code else None,
        _("since {date}", date=when(error.timestamp, tz)) if error.timestamp else None,
    )
    if details:
        lines.append(details)
    return section("\n".join(lines))


def _closed_errors(errors: Sequence[ErrorMessageView], tz: tzinfo | None) -> Block:
    ordered = sorted(errors, key=lambda e: _latest_first(e.timestamp))
    parts = []
    for e in ordered[:3]:
        status = "" if e.status == "closed" else f"{escape(e.status)}, "
        stamp = f" ({status}{when(e.timestamp, tz)})" if e.timestamp else (f" ({e.status})" if status else "")
        what = words(escape(e.reason) if e.reason else None, escape(truncate(e.message or "", 80)) or None, sep=": ")
        parts.append(f"{what or _('no text')}{stamp}")
    if len(ordered) > 3:
        parts.append(n_("and {n} more", "and {n} more", len(ordered) - 3))
    title = n_(
        ":white_check_mark: {n} closed error message:", ":white_check_mark: {n} closed error messages:", len(ordered)
    )
    return context(f"{title} " + "; ".join(parts))


def _jeopardies(alerts: Sequence[JeopardyAlertView], tz: tzinfo | None) -> Block:
    ordered = sorted(alerts, key=lambda a: _latest_first(a.date))
    lines = [_(":warning: *Jeopardy*")]
    for a in ordered[:MAX_JEOPARDY]:
        what = words(escape(a.name) if a.name else None, escape(a.message) if a.message else None, sep=": ")
        extra = words(escape(a.type) if a.type else None, _when(a.date, tz), sep=", ")
        lines.append(f"• {what or _('no text')}{f' ({extra})' if extra else ''}{_item_tag(a.item_id)}")
    if len(ordered) > MAX_JEOPARDY:
        lines.append(n_("and {n} more", "and {n} more", len(ordered) - MAX_JEOPARDY))
    return section("\n".join(lines))


def _is_error_note(note: NoteView) -> bool:
    return "error" in (note.type or "").casefold()


def _notes(notes: Sequence[NoteView], tz: tzinfo | None) -> list[Block]:
    blocks: list[Block] = []
    errors = sorted((n for n in notes if _is_error_note(n)), key=lambda n: _latest_first(n.date))
    for note in errors[:MAX_ERROR_NOTES]:
        by = words(escape(note.author) if note.author else None, _when(note.date, tz))
        title = _(":rotating_light: *Error note*")
        blocks.append(section(f"{title}{f' · {by}' if by else ''}\n{escape(note.text or '')}"))
    if len(errors) > MAX_ERROR_NOTES:
        rest = len(errors) - MAX_ERROR_NOTES
        blocks.append(context(n_("and {n} more error note", "and {n} more error notes", rest)))
    others = sorted((n for n in notes if not _is_error_note(n)), key=lambda n: _latest_first(n.date))
    if others:
        lines = []
        for note in others[:MAX_NOTES]:
            by = words(escape(note.author) if note.author else None, _when(note.date, tz))
            lines.append(f":memo: {escape(truncate(note.text or '', 300))}{f' — {by}' if by else ''}")
        if len(others) > MAX_NOTES:
            lines.append(n_("and {n} more note", "and {n} more notes", len(others) - MAX_NOTES))
        blocks.append(context("\n".join(lines)))
    return blocks


def _site_text(site_id: str, site_names: Mapping[str, str]) -> str:
    name = site_names.get(site_id)
    return f"{escape(name)} ({code(site_id)})" if name else code(site_id)


def order_item_text(item: OrderItemView, site_names: Mapping[str, str] | None = None) -> str:
    """One item as mrkdwn lines: id, action and state; offering, product and specification; bandwidth and class of
    service; sites (named when `site_names` knows them, else their ids) and quote; prices."""
    names = site_names or {}
    open_errors = sum(1 for e in item.error_messages if e.is_open)
    title = words(
        _("*Item {item}*", item=escape(item.id)) if item.id else _("*Item*"),
        escape(item.action) if item.action else None,
        escape(state_text(item.state, item.state_raw)),
        n_(":rotating_light: {n} open error", ":rotating_light: {n} open errors", open_errors) if open_errors else None,
    )
    offering = None
    if item.offering_name and item.offering_id and item.offering_name != item.offering_id:
        named = f"{escape(item.offering_name)} ({code(item.offering_id)})"
        offering = _("Offering: {offering}", offering=named)
    elif item.offering_name or item.offering_id:
        offering = _("Offering: {offering}", offering=escape(item.offering_name or item.offering_id or ""))
    sites = ", ".join(_site_text(s, names) for s in item.site_ids)
    lines = [
        title,
        words(
            offering,
            _("Specification: {specification}", specification=escape(item.specification_id))
            if item.specification_id
            else None,
            _("Product: {product}", product=code(item.product_id)) if item.product_id else None,
        ),
        words(
            _("Bandwidth: {bandwidth}", bandwidth=escape(item.bandwidth)) if item.bandwidth else None,
            _("Class of service: {cos}", cos=escape(item.class_of_service)) if item.class_of_service else None,
        ),
        words(
            n_("Site: {sites}", "Sites: {sites}", len(item.site_ids), sites=sites) if item.site_ids else None,
            _("Quote: {quote}", quote=code(item.quote_id)) if item.quote_id else None,
        ),
        n_("Price: {prices}", "Prices: {prices}", len(item.prices), prices=prices_text(item.prices))
        if item.prices
        else "",
    ]
    return "\n".join(line for line in lines if line)


def _milestones(milestones: Sequence[MilestoneView], tz: tzinfo | None) -> Block:
    ordered = sorted(milestones, key=lambda m: _latest_first(m.date))
    lines = [_(":round_pushpin: *Milestones* (latest first)")]
    for m in ordered[:MAX_MILESTONES]:
        what = escape(truncate(m.message or m.description or m.name or _("milestone"), 200))
        extra = words(escape(m.name) if m.name and m.message else None, escape(m.status) if m.status else None)
        stamp = f"{when(m.date, tz)} — " if m.date else ""
        lines.append(f"• {stamp}{what}{f' ({extra})' if extra else ''}{_item_tag(m.item_id)}")
    if len(ordered) > MAX_MILESTONES:
        lines.append(n_("and {n} more milestone", "and {n} more milestones", len(ordered) - MAX_MILESTONES))
    return context("\n".join(lines))


# --- public ------------------------------------------------------------------------------------


def order_blocks(
    view: OrderView, *, tz: tzinfo | None = None, site_names: Mapping[str, str] | None = None
) -> list[Block]:
    """One order: header with its reference, state and dates, open errors, jeopardy, notes, items, milestones.

    At most 48 blocks (room for the caller's share button): items beyond what fits are counted. `site_names`: carrier
    site id → `Marseille MRS1, Marseille` (`bot.sites.SiteNames`); a site without one shows its id.
    """
    head: list[Block] = [header(_("Order {order}", order=view.reference)), _summary(view, tz)]
    if view.description:
        head.append(section(_("*Description*") + f"\n{escape(view.description)}"))
    if view.is_partial:
        head.append(context(_("Summary only: Orange sent no details for this order.")))

    open_errors = sorted(view.open_errors, key=lambda e: _latest_first(e.timestamp))
    closed = [e for e in view.error_messages if not e.is_open]
    head.extend(_open_error(e, tz, reopened=_reopened(e, closed)) for e in open_errors[:MAX_OPEN_ERRORS])
    if len(open_errors) > MAX_OPEN_ERRORS:
        rest = len(open_errors) - MAX_OPEN_ERRORS
        head.append(
            context(n_(":rotating_light: and {n} more open error", ":rotating_light: and {n} more open errors", rest))
        )
    if closed:
        head.append(_closed_errors(closed, tz))
    if view.jeopardy_alerts:
        head.append(_jeopardies(view.jeopardy_alerts, tz))
    head.extend(_notes(view.notes, tz))

    tail: list[Block] = [_milestones(view.milestones, tz)] if view.milestones else []

    body: list[Block] = []
    if view.items:
        room = MESSAGE_BUDGET - len(head) - len(tail) - 1  # the divider
        items = list(view.items)
        if len(items) > room:
            shown = items[: max(room - 1, 0)]
            body = [divider(), *(section(order_item_text(i, site_names)) for i in shown)]
            rest = len(items) - len(shown)
            body.append(context(n_("and {n} more item not shown", "and {n} more items not shown", rest)))
        else:
            body = [divider(), *(section(order_item_text(i, site_names)) for i in items)]
    return [*head, *body, *tail]


def order_line(view: OrderView, tz: tzinfo | None = None) -> str:
    """`` `carrier:11` · ⚠️ Pending (action needed) · 2021-03-30 16:10 UTC `` (and open errors, if any)."""
    return words(
        code(view.reference),
        escape(state_text(view.state, view.state_raw)),
        _when(view.order_date, tz),
        n_(":rotating_light: {n} open error", ":rotating_light: {n} open errors", len(view.open_errors))
        if view.open_errors
        else None,
    )


def orders_list_blocks(
    views: Sequence[OrderView],
    *,
    title: str,
    page: PageInfo,
    tz: tzinfo | None = None,
) -> list[Block]:
    """One line per order (reference · state · order date), at most 20, with Previous/Next buttons."""
    return list_blocks(
        title,
        [order_line(v, tz) for v in views],
        page,
        empty=_("No order found."),
    )


@dataclass(frozen=True, slots=True)
class FoundOrder:
    """An order `find` found, and the filters (`relatedBuyerPON`, …) whose value it is."""

    view: OrderView
    matched: tuple[str, ...]


def found_order_line(found: FoundOrder) -> str:
    """``ACME-0042 · Fibre Lyon · `wholesale:…` · 🔧 In progress · by externalIdentifier.id``."""
    view = found.view
    label = order_label(view)
    return words(
        escape(label) if label != view.reference else None,
        code(view.reference),
        escape(state_text(view.state, view.state_raw)),
        _("by {filters}", filters=", ".join(found.matched)) if found.matched else None,
    )


def nothing_found_text(text: str, searched: Sequence[str]) -> str:
    """One line: no order has this reference, and what was searched."""
    where = "; ".join(searched) or _("no backend")
    return _(
        "No order has the reference {reference} (searched {where}; exact match).",
        reference=code(truncate(text, 80)),
        where=escape(where),
    )


def found_orders_blocks(
    found: Sequence[FoundOrder],
    *,
    text: str,
    searched: Sequence[str],
    failures: Sequence[str],
    total: int | None = None,
) -> list[Block]:
    """The orders whose buyer's reference is `text`, one line each (at most 20), the backends that failed under them.

    `searched`: ``carrier externalId, relatedBuyerPON`` per backend; `failures`: one mrkdwn line per failed backend;
    `total`: how many matched in all, when more than the lines given.
    """
    shown = list(found[:LIST_PAGE_SIZE])
    blocks: list[Block] = [header(truncate(_("Orders with the reference {reference}", reference=text), 150))]
    if shown:
        blocks.extend(section(chunk) for chunk in pack_lines(f"• {found_order_line(f)}" for f in shown))
        count = max(total or 0, len(found))
        where = escape("; ".join(searched))
        if count > len(shown):
            summary = _(
                "showing {shown} of {count} · searched {where} · exact match",
                shown=number(len(shown)),
                count=number(count),
                where=where,
            )
        else:
            summary = n_(
                "{n} order · searched {where} · exact match",
                "{n} orders · searched {where} · exact match",
                len(shown),
                where=where,
            )
        blocks.append(context(summary))
    else:
        blocks.append(section(nothing_found_text(text, searched)))
    if failures:
        blocks.append(context(*failures))
    return blocks
