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
    plural,
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

_SPEC_LABEL = {"carrier": "Activity", "wholesale": "Specification", "business": "Type"}
_PARTY_LABEL = {"business": "Customer"}


def _latest_first(dt: datetime | None) -> tuple[int, float]:
    return (0, -dt.timestamp()) if dt is not None else (1, 0.0)


def _item_tag(item_id: str | None) -> str:
    return f" · item {code(item_id)}" if item_id else ""


def _when(dt: datetime | None, tz: tzinfo | None) -> str | None:
    return when(dt, tz) if dt is not None else None


# --- parts -------------------------------------------------------------------------------------


def _summary(view: OrderView, tz: tzinfo | None) -> Block:
    fields: list[str] = []
    for title, dt in (
        ("Ordered", view.order_date),
        ("Requested completion", view.requested_completion_date),
        ("Expected completion", view.expected_completion_date),
        ("Completed", view.completion_date),
    ):
        if dt is not None:
            fields.append(f"*{title}*\n{when(dt, tz)}")
    if view.external_ids:
        title = "External id" if len(view.external_ids) == 1 else "External ids"
        fields.append(f"*{title}*\n" + ", ".join(code(e) for e in view.external_ids))
    if view.specification:
        fields.append(f"*{_SPEC_LABEL.get(view.backend, 'Specification')}*\n{escape(view.specification)}")
    parties = [escape(p.name or p.id or "") for p in view.related_parties_summary if p.name or p.id]
    if parties:
        fields.append(f"*{_PARTY_LABEL.get(view.backend, 'Buyer')}*\n" + ", ".join(parties))
    if view.prices:
        fields.append("*Total*\n" + prices_text(price_totals(view.prices)))
    if view.quote_ids:
        fields.append("*Quote*\n" + ", ".join(code(q) for q in view.quote_ids))
    counts = [plural(len(view.items), "item")] if view.items else []
    if view.open_errors:
        counts.append(f":rotating_light: {plural(len(view.open_errors), 'open error')}")
    text = words(f"*State:* {escape(state_text(view.state, view.state_raw))}", *counts)
    return section(text, fields=fields)


def _reopened(error: ErrorMessageView, closed: Sequence[ErrorMessageView]) -> bool:
    # Orange reopens an issue as a new entry with the same text: the closed twin stays in the list.
    return any(
        (c.item_id, c.reason, c.message) == (error.item_id, error.reason, error.message)
        and (c.timestamp is None or error.timestamp is None or c.timestamp <= error.timestamp)
        for c in closed
    )


def _open_error(error: ErrorMessageView, tz: tzinfo | None, *, reopened: bool = False) -> Block:
    title = "Open error (reopened)" if reopened else "Open error"
    lines = [f":rotating_light: *{title}*{_item_tag(error.item_id)}"]
    message = (error.message or "").strip()
    if message:
        lines.extend(f">{escape(line)}" for line in message.splitlines() if line.strip())
    details = words(
        f"*Reason:* {escape(error.reason)}" if error.reason else None,
        f"*Code:* {code(error.code)}" if error.code else None,
        f"since {when(error.timestamp, tz)}" if error.timestamp else None,
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
        parts.append(f"{what or 'no text'}{stamp}")
    more = f"; and {len(ordered) - 3} more" if len(ordered) > 3 else ""
    title = plural(len(ordered), "closed error message")
    return context(f":white_check_mark: {title}: " + "; ".join(parts) + more)


def _jeopardies(alerts: Sequence[JeopardyAlertView], tz: tzinfo | None) -> Block:
    ordered = sorted(alerts, key=lambda a: _latest_first(a.date))
    lines = [":warning: *Jeopardy*"]
    for a in ordered[:MAX_JEOPARDY]:
        what = words(escape(a.name) if a.name else None, escape(a.message) if a.message else None, sep=": ")
        extra = words(escape(a.type) if a.type else None, _when(a.date, tz), sep=", ")
        lines.append(f"• {what or 'no text'}{f' ({extra})' if extra else ''}{_item_tag(a.item_id)}")
    if len(ordered) > MAX_JEOPARDY:
        lines.append(f"and {len(ordered) - MAX_JEOPARDY} more")
    return section("\n".join(lines))


def _is_error_note(note: NoteView) -> bool:
    return "error" in (note.type or "").casefold()


def _notes(notes: Sequence[NoteView], tz: tzinfo | None) -> list[Block]:
    blocks: list[Block] = []
    errors = sorted((n for n in notes if _is_error_note(n)), key=lambda n: _latest_first(n.date))
    for note in errors[:MAX_ERROR_NOTES]:
        by = words(escape(note.author) if note.author else None, _when(note.date, tz))
        blocks.append(section(f":rotating_light: *Error note*{f' · {by}' if by else ''}\n{escape(note.text or '')}"))
    if len(errors) > MAX_ERROR_NOTES:
        blocks.append(context(f"and {plural(len(errors) - MAX_ERROR_NOTES, 'more error note')}"))
    others = sorted((n for n in notes if not _is_error_note(n)), key=lambda n: _latest_first(n.date))
    if others:
        lines = []
        for note in others[:MAX_NOTES]:
            by = words(escape(note.author) if note.author else None, _when(note.date, tz))
            lines.append(f":memo: {escape(truncate(note.text or '', 300))}{f' — {by}' if by else ''}")
        if len(others) > MAX_NOTES:
            lines.append(f"and {plural(len(others) - MAX_NOTES, 'more note')}")
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
        f"*Item {escape(item.id)}*" if item.id else "*Item*",
        escape(item.action) if item.action else None,
        escape(state_text(item.state, item.state_raw)),
        f":rotating_light: {plural(open_errors, 'open error')}" if open_errors else None,
    )
    offering = None
    if item.offering_name and item.offering_id and item.offering_name != item.offering_id:
        offering = f"Offering: {escape(item.offering_name)} ({code(item.offering_id)})"
    elif item.offering_name or item.offering_id:
        offering = f"Offering: {escape(item.offering_name or item.offering_id or '')}"
    lines = [
        title,
        words(
            offering,
            f"Specification: {escape(item.specification_id)}" if item.specification_id else None,
            f"Product: {code(item.product_id)}" if item.product_id else None,
        ),
        words(
            f"Bandwidth: {escape(item.bandwidth)}" if item.bandwidth else None,
            f"Class of service: {escape(item.class_of_service)}" if item.class_of_service else None,
        ),
        words(
            ("Sites: " if len(item.site_ids) > 1 else "Site: ") + ", ".join(_site_text(s, names) for s in item.site_ids)
            if item.site_ids
            else None,
            f"Quote: {code(item.quote_id)}" if item.quote_id else None,
        ),
        f"{'Prices' if len(item.prices) > 1 else 'Price'}: {prices_text(item.prices)}" if item.prices else "",
    ]
    return "\n".join(line for line in lines if line)


def _milestones(milestones: Sequence[MilestoneView], tz: tzinfo | None) -> Block:
    ordered = sorted(milestones, key=lambda m: _latest_first(m.date))
    lines = [":round_pushpin: *Milestones* (latest first)"]
    for m in ordered[:MAX_MILESTONES]:
        what = escape(truncate(m.message or m.description or m.name or "milestone", 200))
        extra = words(escape(m.name) if m.name and m.message else None, escape(m.status) if m.status else None)
        stamp = f"{when(m.date, tz)} — " if m.date else ""
        lines.append(f"• {stamp}{what}{f' ({extra})' if extra else ''}{_item_tag(m.item_id)}")
    if len(ordered) > MAX_MILESTONES:
        lines.append(f"and {plural(len(ordered) - MAX_MILESTONES, 'more milestone')}")
    return context("\n".join(lines))


# --- public ------------------------------------------------------------------------------------


def order_blocks(
    view: OrderView, *, tz: tzinfo | None = None, site_names: Mapping[str, str] | None = None
) -> list[Block]:
    """One order: header with its reference, state and dates, open errors, jeopardy, notes, items, milestones.

    At most 48 blocks (room for the caller's share button): items beyond what fits are counted. `site_names`: carrier
    site id → `Marseille MRS1, Marseille` (`bot.sites.SiteNames`); a site without one shows its id.
    """
    head: list[Block] = [header(f"Order {view.reference}"), _summary(view, tz)]
    if view.description:
        head.append(section(f"*Description*\n{escape(view.description)}"))
    if view.is_partial:
        head.append(context("Summary only: Orange sent no details for this order."))

    open_errors = sorted(view.open_errors, key=lambda e: _latest_first(e.timestamp))
    closed = [e for e in view.error_messages if not e.is_open]
    head.extend(_open_error(e, tz, reopened=_reopened(e, closed)) for e in open_errors[:MAX_OPEN_ERRORS])
    if len(open_errors) > MAX_OPEN_ERRORS:
        rest = len(open_errors) - MAX_OPEN_ERRORS
        head.append(context(f":rotating_light: and {plural(rest, 'more open error')}"))
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
            body.append(context(f"and {plural(len(items) - len(shown), 'more item')} not shown"))
        else:
            body = [divider(), *(section(order_item_text(i, site_names)) for i in items)]
    return [*head, *body, *tail]


def order_line(view: OrderView, tz: tzinfo | None = None) -> str:
    """`` `carrier:11` · ⚠️ Pending (action needed) · 2021-03-30 16:10 UTC `` (and open errors, if any)."""
    return words(
        code(view.reference),
        escape(state_text(view.state, view.state_raw)),
        _when(view.order_date, tz),
        f":rotating_light: {plural(len(view.open_errors), 'open error')}" if view.open_errors else None,
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
        empty="No order found.",
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
        "by " + ", ".join(found.matched) if found.matched else None,
    )


def nothing_found_text(text: str, searched: Sequence[str]) -> str:
    """One line: no order has this reference, and what was searched."""
    where = "; ".join(searched) or "no backend"
    return f"No order has the reference {code(truncate(text, 80))} (searched {escape(where)}; exact match)."


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
    blocks: list[Block] = [header(truncate(f"Orders with the reference {text}", 150))]
    if shown:
        blocks.extend(section(chunk) for chunk in pack_lines(f"• {found_order_line(f)}" for f in shown))
        count = max(total or 0, len(found))
        more = f"showing {len(shown)} of {count}" if count > len(shown) else plural(len(shown), "order")
        blocks.append(context(f"{more} · searched {escape('; '.join(searched))} · exact match"))
    else:
        blocks.append(section(nothing_found_text(text, searched)))
    if failures:
        blocks.append(context(*failures))
    return blocks
