"""What the notifier says in a watch's thread, rendered when it is sent: a change set's reply, and the notices.

    text, blocks = render_changes(changes, "ACME-LYON-0042 · Fibre 1G", mention="U123")
    # text (a phone's notification): "<@U123> ACME-LYON-0042 · Fibre 1G: 🔧 In progress → ⏳ Assessing cancellation"
    # blocks: "*State:* 🔧 In progress → ⏳ Assessing cancellation" / "*Items:* 10 of 10 too"
    render_event_text(event)         # one event's line: "*Item O40140084005:* ⏳ Accepted → 🔧 In progress"
    polling_failing_text("carrier:11", "InternalServerError")

Everything a carrier sent is escaped for mrkdwn.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.format import SECTION_TEXT_MAX, escape, mention, product_status_text, section, truncate
from bot.blocks.states import emoji, label
from bot.notify.changes import ChangeSet, Group, Moves
from bot.notify.diff import Event, EventKind
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


def _where(event: Event) -> str:
    return f"on item {escape(event.item_id)}" if event.item_id is not None else "on the order"


def render_event_text(event: Event, *, where: str | None = None) -> str:
    """One line of Slack mrkdwn for the thread, e.g. `*Item O40140084005:* ⏳ Accepted → 🔧 In progress`.

    `where`: what an error, milestone or alert is on, when it is more than the event's own item (`on 10 of 10
    items`)."""
    if event.status_new is not None:
        return _product_text(event)
    kind = event.kind
    new = event.new or OrderState.unknown
    if kind is EventKind.order_state:
        if event.old is None:
            return f"*State:* {_state(new)}"
        return f"*State:* {_state(event.old)} → {_state(new)}"
    if kind is EventKind.item_state:
        item = escape(event.item_id or "")
        if event.old is None:
            return f"*New item {item}:* {_state(new)}"
        return f"*Item {item}:* {_state(event.old)} → {_state(new)}"
    if kind in (EventKind.error_opened, EventKind.error_closed):
        icon, verb = (
            (":rotating_light:", "Error opened")
            if kind is EventKind.error_opened
            else (":white_check_mark:", "Error closed")
        )
        reason = f" ({escape(event.reason)})" if event.reason else ""
        text = event.message or event.code or "(no message)"
        return f"{icon} *{verb}* {where or _where(event)}{reason}: {escape(text)}"
    if kind is EventKind.milestone_added:
        parts = [p for p in (event.message, event.description) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        text = " — ".join(escape(p) for p in parts) or escape(event.name or "reached")
        if where is not None:
            return f":round_pushpin: *Milestone* {text} _({where.removeprefix('on ')})_"
        item = f" _(item {escape(event.item_id)})_" if event.item_id is not None else ""
        return f":round_pushpin: *Milestone* {text}{item}"
    if kind is EventKind.jeopardy_alert:
        detail = f" ({escape(event.alert_type)})" if event.alert_type else ""
        text = event.message or event.name or "(no message)"
        return f":warning: *Jeopardy alert* {where or _where(event)}{detail}: {escape(text)}"
    return f"{emoji(new)} *Order {escape(event.order_ref)} is {label(new).lower()}* — the watch ends here."


def must_act_text(text: str, user_id: str) -> str:
    """A reply that needs someone, naming them first (what a phone's notification shows): `<@U123> *Item …*`."""
    return f"{mention(user_id)} {text}"


def polling_failing_text(reference: str, error: str) -> str:
    return (
        f":warning: I can't read `{reference}` from Orange right now ({escape(error)}); "
        "I keep trying and will say when it works again."
    )


def polling_recovered_text(reference: str) -> str:
    return f":white_check_mark: `{reference}` can be read again; the changes since follow."


def unwatched_text(reference: str, *, by: str | None) -> str:
    who = f" by <@{by}>" if by else ""
    return f"No longer watching `{reference}` (unwatched{who})."


def paused_dm_text(
    reference: str, channel: str, error: str, *, needed: str | None, channel_problem: bool, label: str | None = None
) -> str:
    """The DM to a watch's creator when Slack refuses its posts (the watch is paused, nothing is lost); `label`: the
    order as people know it, before the reference to type."""
    named = f"{escape(label)} · `{reference}`" if label and label != reference else f"`{reference}`"
    if channel_problem:
        fix = "Invite me back (or unarchive the channel): I will carry on where I stopped."
    else:
        fix = "An admin has to fix the Slack app's token or scopes: I will carry on where I stopped."
    scope = f", needs `{needed}`" if needed else ""
    return (
        f"I can't post updates for your watch of {named} in <#{channel}> any more "
        f"(`{error}`{scope}): the watch is paused. {fix}"
    )


def _product_text(event: Event) -> str:
    new = product_status_text(event.status_new or ProductStatus.unknown)
    if event.kind is EventKind.final:
        return f"*Product {escape(event.order_ref)} is {escape(new)}* — the watch ends here."
    old = product_status_text(event.status_old or ProductStatus.unknown)
    return f"*Status:* {escape(old)} → {escape(new)}"


# --- a change set: one reply ------------------------------------------------------------------

NAMED_ITEMS = 3
"""Items named on a line before "and N more"."""
HEADLINE_MAX = 300


def _names(items: tuple[str | None, ...] | tuple[str, ...]) -> str:
    shown = [escape(i) for i in items[:NAMED_ITEMS] if i is not None]
    more = len(items) - NAMED_ITEMS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _items(items: tuple[str, ...] | tuple[str | None, ...], total: int) -> str:
    """`item X`, `items X, Y`, `10 of 10 items` (all of them, or many of them: a count says more than ids)."""
    if len(items) == 1:
        return f"item {escape(items[0] or '')}"
    if total and len(items) > NAMED_ITEMS:
        return f"{len(items)} of {total} items"
    return f"items {_names(items)}"


def _move_line(move: Moves, total: int, *, like_order: bool) -> str:
    if like_order:
        return f"*Items:* {len(move.items)} of {total} too" if total else f"*Items:* {_names(move.items)} too"
    if move.old is None:
        if len(move.items) == 1:
            return f"*New item {escape(move.items[0])}:* {_state(move.new)}"
        return f"*New {_items(move.items, total)}:* {_state(move.new)}"
    many = _items(move.items, total)
    what = f"Item {escape(move.items[0])}" if len(move.items) == 1 else many[:1].upper() + many[1:]
    return f"*{what}:* {_state(move.old)} → {_state(move.new)}"


def _group_line(group: Group, total: int) -> str:
    """One error, milestone or alert, naming every item it was reported on."""
    if group.items == (group.event.item_id,):
        return render_event_text(group.event)
    on = tuple(i for i in group.items if i is not None)
    where = "on " + ("the order and " if None in group.items else "") + _items(on, total)
    return render_event_text(group.event, where=where)


def change_lines(changes: ChangeSet) -> list[str]:
    """The reply's lines: the order's move, the items' (those that moved like the order as one count), errors,
    milestones and alerts (each text once, naming its items), the end of the watch."""
    if changes.product is not None:
        return [render_event_text(e) for e in changes.events]
    lines: list[str] = []
    order = changes.order_move
    if order is not None:
        lines.append(
            f"*State:* {_state(order.old)} → {_state(order.new)}" if order.old else f"*State:* {_state(order.new)}"
        )
    for move in changes.moves:
        alike = order is not None and (move.old, move.new) == (order.old, order.new) and len(move.items) > 1
        lines.append(_move_line(move, changes.items_total, like_order=alike))
    lines += [_group_line(g, changes.items_total) for g in changes.groups]
    final = changes.final
    if final is not None and final.new is not None:  # the thread is the order's: named by its root
        lines.append(f"{emoji(final.new)} *The order is {label(final.new).lower()}* — the watch ends here.")
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
        main = f"{_state(final.new)} — the watch ends"
    elif opened is not None:
        main = _plain(_group_line(opened, changes.items_total))
    elif order is not None:
        main = f"{_state(order.old) + ' → ' if order.old else ''}{_state(order.new)}"
    else:
        lines = change_lines(changes)
        main = _plain(lines[0]) if lines else "changed"
    more = len(change_lines(changes)) - 1
    tail = f" (+{more} more)" if more > 0 else ""
    return truncate(f"{escape(order_label)}: {main}{tail}", HEADLINE_MAX)


def render_changes(changes: ChangeSet, order_label: str, *, mention_user: str | None = None) -> tuple[str, list[Block]]:
    """The reply for a change set: its `text` (named order, main change; the mention first) and its blocks."""
    text = headline(changes, order_label)
    body = "\n".join(change_lines(changes))
    if mention_user:
        text = must_act_text(text, mention_user)
        body = must_act_text(body, mention_user)
    return text, [section(truncate(body, SECTION_TEXT_MAX))]
