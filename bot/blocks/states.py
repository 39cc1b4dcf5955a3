"""State words and emoji for people: how an order, item or quote state reads in Slack.

    f"{emoji(OrderState.completed)} {label(OrderState.completed)}"   # "✅ Completed"

Every state of the one vocabulary (`integrations.states`) has both; `unknown` reads "❔ Unknown".
"""

from __future__ import annotations

from integrations.states import OrderState, QuoteState

__all__ = ["emoji", "label", "quote_emoji", "quote_label"]

_ORDER_LABELS: dict[OrderState, tuple[str, str]] = {
    OrderState.acknowledged: ("Acknowledged", "⏳"),
    OrderState.accepted: ("Accepted", "⏳"),
    OrderState.in_progress: ("In progress", "🔧"),
    OrderState.jeopardy: ("In jeopardy", "⚠️"),
    OrderState.pending: ("Pending (action needed)", "⚠️"),
    OrderState.held: ("Held", "⚠️"),
    OrderState.partial: ("Partially completed", "🟡"),
    OrderState.assessing_cancellation: ("Assessing cancellation", "⏳"),
    OrderState.pending_cancellation: ("Cancellation in progress", "⏳"),
    OrderState.completed: ("Completed", "✅"),
    OrderState.cancelled: ("Cancelled", "🚫"),
    OrderState.rejected: ("Rejected", "❌"),
    OrderState.failed: ("Failed", "❌"),
    OrderState.draft: ("Draft", "📝"),
    OrderState.unknown: ("Unknown", "❔"),
}


def label(state: OrderState) -> str:
    """Words for people, e.g. `In progress`."""
    return _ORDER_LABELS[state][0]


def emoji(state: OrderState) -> str:
    """One emoji, e.g. ✅ completed, ❌ failed or rejected, 🚫 cancelled, ⏳ waiting, 🔧 in progress."""
    return _ORDER_LABELS[state][1]


_QUOTE_LABELS: dict[QuoteState, tuple[str, str]] = {
    QuoteState.in_progress: ("In progress", "⏳"),
    QuoteState.approved: ("Approved", "✅"),
    QuoteState.ready: ("Ready", "✅"),
    QuoteState.rejected: ("Rejected", "❌"),
    QuoteState.expired: ("Expired", "⌛"),
    QuoteState.accepted: ("Accepted", "🤝"),
    QuoteState.cancelled: ("Cancelled", "🚫"),
    QuoteState.unknown: ("Unknown", "❔"),
}


def quote_label(state: QuoteState) -> str:
    """Words for people, e.g. `Approved`."""
    return _QUOTE_LABELS[state][0]


def quote_emoji(state: QuoteState) -> str:
    """One emoji for a quote state."""
    return _QUOTE_LABELS[state][1]
