"""What the notifier says in a watch's thread, rendered when it is sent: a change set's reply, and the notices.

    text, blocks = render_changes(changes, "ACME-LYON-0042 · Fibre 1G", mention="U123")
    # text (a phone's notification): "<@U123> ACME-LYON-0042 · Fibre 1G: 🔧 In progress → ⏳ Assessing cancellation"
    # blocks: "*State:* 🔧 In progress → ⏳ Assessing cancellation" / "*Items:* 10 of 10 too"
    render_event_text(event)         # one event's line: "*Item O40140084005:* ⏳ Accepted → 🔧 In progress"
    polling_failing_text("carrier:11", "InternalServerError")

Everything a carrier sent is escaped for mrkdwn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot.backend_health import BACKEND_DOWN, BACKEND_UP
from bot.blocks.format import SECTION_TEXT_MAX, escape, mention, product_status_text, section, truncate
from bot.blocks.outages import backend_down_text, backend_up_text
from bot.blocks.states import emoji, label
from bot.i18n import _, number
from bot.notify.changes import ChangeSet, Group, Moves
from bot.notify.diff import Event, EventKind, NoticeKind
from integrations.states import OrderState, ProductStatus

__all__ = [
    "change_lines",
    "headline",
    "must_act_text",
    "paused_dm_text",
    "polling_failing_text",
    "polling_recovered_text",
    "render_changes",
    "render_event_text",
    "unwatched_text",
]


def _state(state: OrderState) -> str:
    return f"{emoji(state)} {label(state)}"


def _state_line(old: OrderState | None, new: OrderState) -> str:
    if old is None:
        return _("*State:* {state}", state=_state(new))
    return _("*State:* {old} → {new}", old=_state(old), new=_state(new))


def _item_line(item: str, old: OrderState | None, new: OrderState) -> str:
    if old is None:
        return _("*New item {item}:* {state}", item=escape(item), state=_state(new))
    return _("*Item {item}:* {old} → {new}", item=escape(item), old=_state(old), new=_state(new))


@dataclass(frozen=True)
class _Where:
    """What an error, milestone or alert is on, said two ways: `on item X` in a sentence, `item X` in brackets."""

    on: str
    bare: str


def _where(event: Event) -> _Where:
    if event.item_id is None:
        return _Where(_("on the order"), _("the order"))
    item = escape(event.item_id)
    return _Where(_("on item {item}", item=item), _("item {item}", item=item))


def _error_line(kind: EventKind, where: str, reason: str | None, text: str) -> str:
    if kind is EventKind.error_opened:
        if reason:
            return _(
                ":rotating_light: *Error opened* {where} ({reason}): {text}", where=where, reason=reason, text=text
            )
        return _(":rotating_light: *Error opened* {where}: {text}", where=where, text=text)
    if reason:
        return _(":white_check_mark: *Error closed* {where} ({reason}): {text}", where=where, reason=reason, text=text)
    return _(":white_check_mark: *Error closed* {where}: {text}", where=where, text=text)


def render_event_text(event: Event, *, where: _Where | None = None) -> str:
    """One line of Slack mrkdwn for the thread, e.g. `*Item O40140084005:* ⏳ Accepted → 🔧 In progress`.

    `where`: what an error, milestone or alert is on, when it is more than the event's own item (`on 10 of 10
    items`)."""
    if event.status_new is not None:
        return _product_text(event)
    kind = event.kind
    new = event.new or OrderState.unknown
    if kind is EventKind.order_state:
        return _state_line(event.old, new)
    if kind is EventKind.item_state:
        return _item_line(event.item_id or "", event.old, new)
    if kind in (EventKind.error_opened, EventKind.error_closed):
        reason = escape(event.reason) if event.reason else None
        text = escape(event.message or event.code or _("(no message)"))
        return _error_line(kind, (where or _where(event)).on, reason, text)
    if kind is EventKind.milestone_added:
        parts = [p for p in (event.message, event.description) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        text = " — ".join(escape(p) for p in parts) or escape(event.name or _("reached"))
        if where is not None:
            return _(":round_pushpin: *Milestone* {text} _({where})_", text=text, where=where.bare)
        if event.item_id is not None:
            return _(":round_pushpin: *Milestone* {text} _(item {item})_", text=text, item=escape(event.item_id))
        return _(":round_pushpin: *Milestone* {text}", text=text)
    if kind is EventKind.jeopardy_alert:
        on = (where or _where(event)).on
        text = escape(event.message or event.name or _("(no message)"))
        if event.alert_type:
            return _(
                ":warning: *Jeopardy alert* {where} ({type}): {text}",
                where=on,
                type=escape(event.alert_type),
                text=text,
            )
        return _(":warning: *Jeopardy alert* {where}: {text}", where=on, text=text)
    return _(
        "{icon} *Order {order} is {state}* — the watch ends here.",
        icon=emoji(new),
        order=escape(event.order_ref),
        state=label(new).lower(),
    )


NOTICE = "notice"
"""An outbox row's payload key: a notice's facts, worded when it is sent (`notice_text`), in the reader's language."""


def notice_text(kind: str, payload: Mapping[str, Any]) -> str:
    """The words of a notice row (a watch's "cannot read" and "can read again", a channel's outage and recovery),
    from the facts it keeps (`payload[NOTICE]`), in the language spoken now; a row owed by an older version keeps
    the text it was owed with."""
    facts = payload.get(NOTICE)
    if not isinstance(facts, Mapping):
        return str(payload.get("text") or "")
    if kind == NoticeKind.polling_failing:
        return polling_failing_text(str(facts["reference"]), str(facts["error"]))
    if kind == NoticeKind.polling_recovered:
        return polling_recovered_text(str(facts["reference"]))
    if kind == BACKEND_DOWN:
        since = datetime.fromisoformat(str(facts["since"]))
        return backend_down_text(
            str(facts["backend"]), reason=str(facts["reason"]), since=since, orders=int(facts["orders"])
        )
    if kind == BACKEND_UP:
        return backend_up_text(str(facts["backend"]))
    raise ValueError(f"no notice of kind {kind}")


def must_act_text(text: str, user_id: str) -> str:
    """A reply that needs someone, naming them first (what a phone's notification shows): `<@U123> *Item …*`."""
    return f"{mention(user_id)} {text}"


def polling_failing_text(reference: str, error: str) -> str:
    return _(
        ":warning: I can't read `{reference}` from Orange right now ({error}); "
        "I keep trying and will say when it works again.",
        reference=reference,
        error=escape(error),
    )


def polling_recovered_text(reference: str) -> str:
    return _(":white_check_mark: `{reference}` can be read again; the changes since follow.", reference=reference)


def unwatched_text(reference: str, *, by: str | None) -> str:
    if by:
        return _("No longer watching `{reference}` (unwatched by {user}).", reference=reference, user=mention(by))
    return _("No longer watching `{reference}` (unwatched).", reference=reference)


def paused_dm_text(
    reference: str, channel: str, error: str, *, needed: str | None, channel_problem: bool, label: str | None = None
) -> str:
    """The DM to a watch's creator when Slack refuses its posts (the watch is paused, nothing is lost); `label`: the
    order as people know it, before the reference to type."""
    named = f"{escape(label)} · `{reference}`" if label and label != reference else f"`{reference}`"
    if channel_problem:
        fix = _("Invite me back (or unarchive the channel): I will carry on where I stopped.")
    else:
        fix = _("An admin has to fix the Slack app's token or scopes: I will carry on where I stopped.")
    where = f"<#{channel}>"
    if needed:
        return _(
            "I can't post updates for your watch of {order} in {channel} any more (`{error}`, needs `{needed}`): "
            "the watch is paused. {fix}",
            order=named,
            channel=where,
            error=error,
            needed=needed,
            fix=fix,
        )
    return _(
        "I can't post updates for your watch of {order} in {channel} any more (`{error}`): the watch is paused. {fix}",
        order=named,
        channel=where,
        error=error,
        fix=fix,
    )


def _product_text(event: Event) -> str:
    new = product_status_text(event.status_new or ProductStatus.unknown)
    if event.kind is EventKind.final:
        return _(
            "*Product {product} is {status}* — the watch ends here.",
            product=escape(event.order_ref),
            status=escape(new),
        )
    old = product_status_text(event.status_old or ProductStatus.unknown)
    return _("*Status:* {old} → {new}", old=escape(old), new=escape(new))


# --- a change set: one reply ------------------------------------------------------------------

NAMED_ITEMS = 3
"""Items named on a line before "and N more"."""
HEADLINE_MAX = 300


def _names(items: tuple[str | None, ...] | tuple[str, ...]) -> str:
    shown = ", ".join(escape(i) for i in items[:NAMED_ITEMS] if i is not None)
    more = len(items) - NAMED_ITEMS
    return _("{names} and {n} more", names=shown, n=number(more)) if more > 0 else shown


def _counted(items: tuple[str, ...] | tuple[str | None, ...], total: int) -> bool:
    """Many of the items: a count says more than ids."""
    return len(items) > 1 and bool(total) and len(items) > NAMED_ITEMS


def _items(items: tuple[str, ...] | tuple[str | None, ...], total: int) -> str:
    """`item X`, `items X, Y`, `10 of 10 items` (all of them, or many of them: a count says more than ids)."""
    if len(items) == 1:
        return _("item {item}", item=escape(items[0] or ""))
    if _counted(items, total):
        return _("{count} of {total} items", count=number(len(items)), total=number(total))
    return _("items {items}", items=_names(items))


def _move_line(move: Moves, total: int, *, like_order: bool) -> str:
    if like_order:
        if total:
            return _("*Items:* {count} of {total} too", count=number(len(move.items)), total=number(total))
        return _("*Items:* {items} too", items=_names(move.items))
    if len(move.items) == 1:
        return _item_line(move.items[0], move.old, move.new)
    counted = _counted(move.items, total)
    count, all_items = number(len(move.items)), number(total)
    if move.old is None:
        if counted:
            return _("*New {count} of {total} items:* {state}", count=count, total=all_items, state=_state(move.new))
        return _("*New items {items}:* {state}", items=_names(move.items), state=_state(move.new))
    old, new = _state(move.old), _state(move.new)
    if counted:
        return _("*{count} of {total} items:* {old} → {new}", count=count, total=all_items, old=old, new=new)
    return _("*Items {items}:* {old} → {new}", items=_names(move.items), old=old, new=new)


def _group_line(group: Group, total: int) -> str:
    """One error, milestone or alert, naming every item it was reported on."""
    if group.items == (group.event.item_id,):
        return render_event_text(group.event)
    on = tuple(i for i in group.items if i is not None)
    target = _items(on, total)
    if None in group.items:
        target = _("the order and {items}", items=target)
    return render_event_text(group.event, where=_Where(_("on {target}", target=target), target))


def change_lines(changes: ChangeSet) -> list[str]:
    """The reply's lines: the order's move, the items' (those that moved like the order as one count), errors,
    milestones and alerts (each text once, naming its items), the end of the watch."""
    if changes.product is not None:
        return [render_event_text(e) for e in changes.events]
    lines: list[str] = []
    order = changes.order_move
    if order is not None:
        lines.append(_state_line(order.old, order.new))
    for move in changes.moves:
        alike = order is not None and (move.old, move.new) == (order.old, order.new) and len(move.items) > 1
        lines.append(_move_line(move, changes.items_total, like_order=alike))
    lines += [_group_line(g, changes.items_total) for g in changes.groups]
    final = changes.final
    if final is not None and final.new is not None:  # the thread is the order's: named by its root
        lines.append(
            _(
                "{icon} *The order is {state}* — the watch ends here.",
                icon=emoji(final.new),
                state=label(final.new).lower(),
            )
        )
    return lines


def _plain(line: str) -> str:
    return line.replace("*", "")


def headline(changes: ChangeSet, order_label: str) -> str:
    """What a phone's notification shows: the order as people know it, and the main change."""
    main: str
    product, final, order = changes.product, changes.final, changes.order_move
    opened = next((g for g in changes.groups if g.kind in (EventKind.error_opened, EventKind.jeopardy_alert)), None)
    if product is not None:
        main = _plain(render_event_text(product))
    elif final is not None and final.new is not None:
        main = _("{state} — the watch ends", state=_state(final.new))
    elif opened is not None:
        main = _plain(_group_line(opened, changes.items_total))
    elif order is not None:
        main = f"{_state(order.old) + ' → ' if order.old else ''}{_state(order.new)}"
    else:
        lines = change_lines(changes)
        main = _plain(lines[0]) if lines else _("changed")
    more = len(change_lines(changes)) - 1
    if more > 0:
        text = _("{order}: {change} (+{n} more)", order=escape(order_label), change=main, n=number(more))
    else:
        text = _("{order}: {change}", order=escape(order_label), change=main)
    return truncate(text, HEADLINE_MAX)


def render_changes(changes: ChangeSet, order_label: str, *, mention_user: str | None = None) -> tuple[str, list[Block]]:
    """The reply for a change set: its `text` (named order, main change; the mention first) and its blocks."""
    text = headline(changes, order_label)
    body = "\n".join(change_lines(changes))
    if mention_user:
        text = must_act_text(text, mention_user)
        body = must_act_text(body, mention_user)
    return text, [section(truncate(body, SECTION_TEXT_MAX))]
