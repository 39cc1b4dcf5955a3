"""What the notifier says in a watch's thread: one line per order event, and its notices.

    render_event_text(event)         # "*Item O40140084005:* ⏳ Accepted → 🔧 In progress"
    polling_failing_text("carrier:11", "InternalServerError")

Everything a carrier sent is escaped for mrkdwn.
"""

from __future__ import annotations

from bot.diff import Event, EventKind
from integrations.states import OrderState, ProductStatus

from .format import escape, mention, product_status_text
from .states import emoji, label

__all__ = [
    "must_act_text",
    "paused_dm_text",
    "polling_failing_text",
    "polling_recovered_text",
    "render_event_text",
    "unwatched_text",
]


def _state(state: OrderState) -> str:
    return f"{emoji(state)} {label(state)}"


def _where(event: Event) -> str:
    return f"on item {escape(event.item_id)}" if event.item_id is not None else "on the order"


def render_event_text(event: Event) -> str:
    """One line of Slack mrkdwn for the thread, e.g. `*Item O40140084005:* ⏳ Accepted → 🔧 In progress`."""
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
        return f"{icon} *{verb}* {_where(event)}{reason}: {escape(text)}"
    if kind is EventKind.milestone_added:
        parts = [p for p in (event.message, event.description) if p]
        if len(parts) == 2 and parts[0] == parts[1]:
            parts = parts[:1]
        text = " — ".join(escape(p) for p in parts) or escape(event.name or "reached")
        item = f" _(item {escape(event.item_id)})_" if event.item_id is not None else ""
        return f":round_pushpin: *Milestone* {text}{item}"
    if kind is EventKind.jeopardy_alert:
        detail = f" ({escape(event.alert_type)})" if event.alert_type else ""
        text = event.message or event.name or "(no message)"
        return f":warning: *Jeopardy alert* {_where(event)}{detail}: {escape(text)}"
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


def paused_dm_text(reference: str, channel: str, error: str, *, needed: str | None, channel_problem: bool) -> str:
    """The DM to a watch's creator when Slack refuses its posts (the watch is paused, nothing is lost)."""
    if channel_problem:
        fix = "Invite me back (or unarchive the channel): I will carry on where I stopped."
    else:
        fix = "An admin has to fix the Slack app's token or scopes: I will carry on where I stopped."
    scope = f", needs `{needed}`" if needed else ""
    return (
        f"I can't post updates for your watch of `{reference}` in <#{channel}> any more "
        f"(`{error}`{scope}): the watch is paused. {fix}"
    )


def _product_text(event: Event) -> str:
    new = product_status_text(event.status_new or ProductStatus.unknown)
    if event.kind is EventKind.final:
        return f"*Product {escape(event.order_ref)} is {escape(new)}* — the watch ends here."
    old = product_status_text(event.status_old or ProductStatus.unknown)
    return f"*Status:* {escape(old)} → {escape(new)}"
