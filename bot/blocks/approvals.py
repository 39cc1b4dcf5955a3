"""Approval requests for costly steps (ordering a quote, cancelling an order) and their decided form.

    card = ApprovalCard("a1", "quote_order", "U123", ["Quote carrier:6, 4 Mbps GUARANTEED"], one_off=[], recurring=[p])
    approval_request_blocks(card)        # who asks, what, prices, Approve / Reject
    approval_decided_blocks(card, decided_by="U456", decided_at=now, outcome="approved", result_text="Order carrier:31")

Summary lines, reason and result are plain text (escaped here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from slack_sdk.models.blocks import Block

from integrations.views import PriceView
from storage.enums import ApprovalKind

from .format import actions, button, code, context, escape, mention, prices_text, section, when

__all__ = [
    "ACTION_APPROVE",
    "ACTION_REJECT",
    "ACTION_RETRY",
    "ApprovalCard",
    "Outcome",
    "approval_decided_blocks",
    "approval_request_blocks",
    "approval_what",
]

ACTION_APPROVE = "approval_approve"
ACTION_REJECT = "approval_reject"
ACTION_RETRY = "approval_retry"

Outcome = Literal["approved", "rejected", "failed", "submitted"]


@dataclass(frozen=True)
class ApprovalCard:
    """What an approval is about: who asks, what (summary lines, plain text), the prices and why."""

    approval_id: str
    kind: ApprovalKind
    requester_id: str
    summary: Sequence[str] = ()
    one_off: Sequence[PriceView] = ()
    recurring: Sequence[PriceView] = ()
    reason: str | None = None
    reference: str | None = None
    """The quote (`quote_order`) or order (`cancel_order`) reference, when known."""
    label: str | None = None
    """The order as people know it (`order_label`, plain text), when known."""


def approval_what(card: ApprovalCard) -> str:
    """`order quote *carrier:6*`, `cancel order *UW-de76cfa1 · OULLINS C* · `wholesale:…`` (mrkdwn)."""
    if card.reference and card.label and card.label != card.reference:
        ref = f" *{escape(card.label)}* · {code(card.reference)}"
    else:
        ref = f" *{escape(card.reference)}*" if card.reference else ""
    if card.kind == "quote_order":
        return f"order quote{ref}" if ref else "order a quote"
    if card.kind == "cancel_order":
        return f"cancel order{ref}" if ref else "cancel an order"
    return escape(str(card.kind).replace("_", " ")) + ref


def _price_lines(prices: Sequence[PriceView]) -> str:
    return prices_text(prices, names=True, empty="none").replace(" + ", "\n")


def _card_blocks(card: ApprovalCard) -> list[Block]:
    blocks: list[Block] = [section(f":raised_hand: {mention(card.requester_id)} asks to {approval_what(card)}")]
    lines = [escape(line) for line in card.summary if line.strip()]
    if lines:
        blocks.append(section("\n".join(lines)))
    if card.one_off or card.recurring or card.kind == "quote_order":
        blocks.append(
            section(fields=[f"*One-off*\n{_price_lines(card.one_off)}", f"*Recurring*\n{_price_lines(card.recurring)}"])
        )
    if card.reason and card.reason.strip():
        blocks.append(context(f"Reason: {escape(card.reason.strip())}"))
    return blocks


def approval_request_blocks(card: ApprovalCard) -> list[Block]:
    """The channel message: who asks (`<@U…>`), what, one-off and recurring prices, Approve and Reject buttons."""
    return [
        *_card_blocks(card),
        actions(
            button("Approve", action_id=ACTION_APPROVE, value=card.approval_id, style="primary"),
            button("Reject", action_id=ACTION_REJECT, value=card.approval_id, style="danger"),
        ),
        context(f"Approval {code(card.approval_id)} · waiting for an approver"),
    ]


_OUTCOMES: dict[str, tuple[str, str, str]] = {
    "approved": (":white_check_mark:", "Approved", ""),
    "rejected": (":x:", "Rejected", ""),
    "failed": (":warning:", "Failed", "approved "),
    "submitted": (":outbox_tray:", "Sent to Orange", "approved "),
}


def approval_decided_blocks(
    card: ApprovalCard,
    *,
    decided_by: str,
    decided_at: datetime,
    outcome: Outcome,
    result_text: str | None,
    tz: tzinfo | None = None,
) -> list[Block]:
    """The same message once decided: buttons gone; who decided, when, and the result (Retry when it failed)."""
    icon, words, verb = _OUTCOMES.get(outcome, (":grey_question:", escape(str(outcome)), ""))
    # "✅ *Approved* by <@U2> · …" but "⚠️ *Failed* · approved by <@U2> · …"
    joint = " · " if verb else " "
    decision = f"{icon} *{words}*{joint}{verb}by {mention(decided_by)} · {when(decided_at, tz)}"
    if result_text and result_text.strip():
        decision += "\n" + escape(result_text.strip())
    blocks = [*_card_blocks(card), section(decision)]
    if outcome == "failed":
        blocks.append(actions(button("Retry", action_id=ACTION_RETRY, value=card.approval_id)))
    blocks.append(context(f"Approval {code(card.approval_id)}"))
    return blocks
