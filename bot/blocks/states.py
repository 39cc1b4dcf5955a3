"""State words and emoji for people: how an order, item or quote state reads in Slack.

    f"{emoji(OrderState.completed)} {label(OrderState.completed)}"   # "✅ Completed" ("✅ Terminé" in French)

Every state of the one vocabulary (`integrations.states`) has both; `unknown` reads "❔ Unknown". The words are
looked up when asked, in the language spoken then (`bot.i18n`).
"""

from __future__ import annotations

from bot.i18n import _
from integrations.states import OrderState, QuoteState

__all__ = ["emoji", "label", "quote_emoji", "quote_label"]

_ORDER_EMOJI: dict[OrderState, str] = {
    OrderState.acknowledged: "⏳",
    OrderState.accepted: "⏳",
    OrderState.in_progress: "🔧",
    OrderState.jeopardy: "⚠️",
    OrderState.pending: "⚠️",
    OrderState.held: "⚠️",
    OrderState.partial: "🟡",
    OrderState.assessing_cancellation: "⏳",
    OrderState.pending_cancellation: "⏳",
    OrderState.completed: "✅",
    OrderState.cancelled: "🚫",
    OrderState.rejected: "❌",
    OrderState.failed: "❌",
    OrderState.draft: "📝",
    OrderState.unknown: "❔",
}


def _order_labels() -> dict[OrderState, str]:
    return {
        OrderState.acknowledged: _("Acknowledged"),
        OrderState.accepted: _("Accepted"),
        OrderState.in_progress: _("In progress"),
        OrderState.jeopardy: _("In jeopardy"),
        OrderState.pending: _("Pending (action needed)"),
        OrderState.held: _("Held"),
        OrderState.partial: _("Partially completed"),
        OrderState.assessing_cancellation: _("Assessing cancellation"),
        OrderState.pending_cancellation: _("Cancellation in progress"),
        OrderState.completed: _("Completed"),
        OrderState.cancelled: _("Cancelled"),
        OrderState.rejected: _("Rejected"),
        OrderState.failed: _("Failed"),
        OrderState.draft: _("Draft"),
        OrderState.unknown: _("Unknown"),
    }


def label(state: OrderState) -> str:
    """Words for people, e.g. `In progress`."""
    return _order_labels()[state]


def emoji(state: OrderState) -> str:
    """One emoji, e.g. ✅ completed, ❌ failed or rejected, 🚫 cancelled, ⏳ waiting, 🔧 in progress."""
    return _ORDER_EMOJI[state]


_QUOTE_EMOJI: dict[QuoteState, str] = {
    QuoteState.in_progress: "⏳",
    QuoteState.approved: "✅",
    QuoteState.ready: "✅",
    QuoteState.rejected: "❌",
    QuoteState.expired: "⌛",
    QuoteState.accepted: "🤝",
    QuoteState.cancelled: "🚫",
    QuoteState.unknown: "❔",
}


def _quote_labels() -> dict[QuoteState, str]:
    return {
        QuoteState.in_progress: _("In progress"),
        QuoteState.approved: _("Approved"),
        QuoteState.ready: _("Ready"),
        QuoteState.rejected: _("Rejected"),
        QuoteState.expired: _("Expired"),
        QuoteState.accepted: _("Accepted"),
        QuoteState.cancelled: _("Cancelled"),
        QuoteState.unknown: _("Unknown"),
    }


def quote_label(state: QuoteState) -> str:
    """Words for people, e.g. `Approved`."""
    return _quote_labels()[state]


def quote_emoji(state: QuoteState) -> str:
    """One emoji for a quote state."""
    return _QUOTE_EMOJI[state]
