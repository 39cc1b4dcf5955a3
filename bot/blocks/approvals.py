"""Approval requests for costly steps (ordering a quote, cancelling an order) and their decided form.

    card = ApprovalCard("a1", "quote_order", "U123", ["Quote carrier:6, 4 Mbps GUARANTEED"], one_off=[], recurring=[p])
    approval_request_blocks(card)        # who asks, what, prices, Approve / Reject
    approval_decided_blocks(card, decided_by="U456", decided_at=now, outcome="approved", result_text="Order carrier:31")

Summary lines, reason and result are plain text (escaped here). Every word comes from the catalogue, in the language
spoken when the card is drawn; amounts are formatted for it (`price_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Literal

from slack_sdk.models.blocks import Block

from bot.i18n import _, number
from integrations.views import PriceView
from storage.enums import ApprovalKind

from .format import (
    TermTotal,
    actions,
    button,
    code,
    context,
    escape,
    mention,
    money,
    posted_date,
    price_totals,
    section,
    term_total_text,
)

__all__ = [
    "ACTION_APPROVE",
    "ACTION_REJECT",
    "ACTION_RETRY",
    "ApprovalCard",
    "Outcome",
    "approval_decided_blocks",
    "approval_request_blocks",
    "approval_what",
    "price_text",
]

ACTION_APPROVE = "approval_approve"
ACTION_REJECT = "approval_reject"
ACTION_RETRY = "approval_retry"

Outcome = Literal["approved", "rejected", "failed", "submitted", "expired"]


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
    approvers: str | None = None
    """Who may decide, as mentions (`<!subteam^S1>`, `<@U1>`; mrkdwn); None: anyone but the requester."""
    needed: int = 1
    """How many different approvers it takes (2 above `APPROVAL_TWO_PEOPLE_ABOVE`)."""
    approved_by: Sequence[str] = ()
    """Who approved so far, when two are needed."""
    first_year: tuple[Decimal, str] | None = None
    """One-off + recurring over the first year (amount, currency), when it can be told."""
    limit: tuple[Decimal, str] | None = None
    """`APPROVAL_TWO_PEOPLE_ABOVE` when the request was made, if set."""
    term_total: TermTotal | None = None
    """One-off plus recurring × term (`bot.blocks.format.term_total`), when it can be said."""


def _reference(card: ApprovalCard) -> str:
    """`*carrier:6*`, `*UW-de76cfa1 · OULLINS C* · `wholesale:…``, or "" when the card names nothing (mrkdwn)."""
    if card.reference and card.label and card.label != card.reference:
        return f"*{escape(card.label)}* · {code(card.reference)}"
    return f"*{escape(card.reference)}*" if card.reference else ""


def approval_what(card: ApprovalCard) -> str:
    """`order quote *carrier:6*`, `cancel order *UW-de76cfa1 · OULLINS C* · `wholesale:…`` (mrkdwn)."""
    ref = _reference(card)
    if card.kind == "quote_order":
        return _("order quote {quote}", quote=ref) if ref else _("order a quote")
    if card.kind == "cancel_order":
        return _("cancel order {order}", order=ref) if ref else _("cancel an order")
    return _kind_words(card) + (f" {ref}" if ref else "")


def _kind_words(card: ApprovalCard) -> str:
    return escape(str(card.kind).replace("_", " "))


def _asks(card: ApprovalCard) -> str:
    """`:raised_hand: <@U1> asks to order quote *carrier:6*`: one sentence per kind, so a translator can order it."""
    who, ref = mention(card.requester_id), _reference(card)
    if card.kind == "quote_order":
        if ref:
            return _(":raised_hand: {requester} asks to order quote {quote}", requester=who, quote=ref)
        return _(":raised_hand: {requester} asks to order a quote", requester=who)
    if card.kind == "cancel_order":
        if ref:
            return _(":raised_hand: {requester} asks to cancel order {order}", requester=who, order=ref)
        return _(":raised_hand: {requester} asks to cancel an order", requester=who)
    return _(":raised_hand: {requester} asks to {what}", requester=who, what=approval_what(card))


def price_text(price: PriceView) -> str:
    """`installation: 3,000 EUR (one-off)`, `28 EUR / day (recurring)`; in French `28,00 € / jour (récurrent)`
    (`money`, named when Orange names the price; plain text: escape it for mrkdwn)."""
    text = money(price)
    return _("{name}: {price}", name=price.name, price=text) if price.name else text


def _price_lines(prices: Sequence[PriceView]) -> str:
    """One line per kind of price: the items' prices of one period and currency summed (`250 EUR / day (recurring)`
    once, however many items charge it); a price alone of its kind keeps its name."""
    if not prices:
        return _("none")
    totals = price_totals(prices)
    shown = prices if len(totals) == len(prices) else totals  # one price each: keep its name (`installation: …`)
    return "\n".join(escape(price_text(p)) for p in shown)


def _card_blocks(card: ApprovalCard) -> list[Block]:
    blocks: list[Block] = [section(_asks(card))]
    lines = [escape(line) for line in card.summary if line.strip()]
    if lines:
        blocks.append(section("\n".join(lines)))
    if card.one_off or card.recurring or card.kind == "quote_order":
        blocks.append(
            section(
                fields=[
                    _("*One-off*\n{prices}", prices=_price_lines(card.one_off)),
                    _("*Recurring*\n{prices}", prices=_price_lines(card.recurring)),
                    _("*Total over the term*\n{total}", total=term_total_text(card.term_total))
                    if card.term_total is not None
                    else "",
                ]
            )
        )
    if card.reason and card.reason.strip():
        blocks.append(context(_("Reason: {reason}", reason=escape(card.reason.strip()))))
    return blocks


def _sum(amount: tuple[Decimal, str]) -> str:
    return escape(money(PriceView(kind="unknown", amount=amount[0], currency=amount[1])))


def _who_decides(card: ApprovalCard) -> str:
    """Who may decide and how many of them it takes, mentioning them (mrkdwn)."""
    who = mention(card.requester_id)
    if card.needed > 1:
        if card.first_year is not None and card.limit is not None:
            why = _(
                "the first year comes to {amount}, above {limit}", amount=_sum(card.first_year), limit=_sum(card.limit)
            )
        elif card.limit is not None:
            why = _("the first-year amount cannot be told against {limit}", limit=_sum(card.limit))
        else:
            why = _("the amount asks for it")
        if card.approvers:
            return _(
                ":busts_in_silhouette: Two different approvers among {approvers} must approve, neither of them "
                "{requester} ({why}).",
                approvers=card.approvers,
                requester=who,
                why=why,
            )
        return _(
            ":busts_in_silhouette: Two different members must approve, neither of them {requester} ({why}).",
            requester=who,
            why=why,
        )
    if card.approvers:
        return _(
            ":bust_in_silhouette: Decided by {approvers} (not {requester}).", approvers=card.approvers, requester=who
        )
    return _(
        ":bust_in_silhouette: No approvers are named: any member of the workspace but {requester} may approve or "
        "reject.",
        requester=who,
    )


def approval_request_blocks(card: ApprovalCard) -> list[Block]:
    """The channel message: who asks (`<@U…>`), what, one-off and recurring prices, who may decide (mentioned),
    Approve and Reject buttons; "1 of 2" once the first of two approvers approved."""
    blocks = [*_card_blocks(card), section(_who_decides(card))]
    if card.needed > 1 and card.approved_by:
        blocks.append(
            section(
                _(
                    ":ballot_box_with_check: {count} of {needed} approvals: {approvers} approved; another approver "
                    "has to approve too.",
                    count=number(len(card.approved_by)),
                    needed=number(card.needed),
                    approvers=", ".join(mention(u) for u in card.approved_by),
                )
            )
        )
    footer = (
        _(
            "Approval {approval} · {count} of {needed} approvals",
            approval=code(card.approval_id),
            count=number(len(card.approved_by)),
            needed=number(card.needed),
        )
        if card.needed > 1
        else _("Approval {approval} · waiting for an approver", approval=code(card.approval_id))
    )
    return [
        *blocks,
        actions(
            button(_("Approve"), action_id=ACTION_APPROVE, value=card.approval_id, style="primary"),
            button(_("Reject"), action_id=ACTION_REJECT, value=card.approval_id, style="danger"),
        ),
        context(footer),
    ]


def _decision(outcome: str, *, who: str, at: str) -> str:
    """`✅ *Approved* by <@U2> · …` but `⚠️ *Failed* · approved by <@U2> · …`: one sentence per outcome."""
    if outcome == "approved":
        return _(":white_check_mark: *Approved* by {approver} · {when}", approver=who, when=at)
    if outcome == "rejected":
        return _(":x: *Rejected* by {approver} · {when}", approver=who, when=at)
    if outcome == "failed":
        return _(":warning: *Failed* · approved by {approver} · {when}", approver=who, when=at)
    if outcome == "submitted":
        return _(":outbox_tray: *Sent to Orange* · approved by {approver} · {when}", approver=who, when=at)
    return _(":grey_question: *{outcome}* by {approver} · {when}", outcome=escape(outcome), approver=who, when=at)


def approval_decided_blocks(
    card: ApprovalCard,
    *,
    decided_by: str,
    decided_at: datetime,
    outcome: Outcome,
    result_text: str | None,
    notes: Sequence[str] = (),
    tz: tzinfo | None = None,
) -> list[Block]:
    """The same message once decided: buttons gone; who decided, when, and the result (Retry when it failed);
    `notes` (mrkdwn) under it: the order's final state, a link to its thread. Expired: nobody decided; `result_text`
    says for how long (`Expired after 7 days without a decision`)."""
    if outcome == "expired":
        expired = escape((result_text or "").strip()) or _("Expired")
        decision = _(":hourglass_flowing_sand: *{expired}* · {when}", expired=expired, when=posted_date(decided_at))
    else:
        approvers = [*card.approved_by] if outcome != "rejected" and len(card.approved_by) > 1 else [decided_by]
        decision = _decision(str(outcome), who=", ".join(mention(a) for a in approvers), at=posted_date(decided_at))
        if result_text and result_text.strip():
            decision += "\n" + escape(result_text.strip())
    for note in notes:
        decision += "\n" + note
    blocks = [*_card_blocks(card), section(decision)]
    if outcome == "failed":
        blocks.append(actions(button(_("Retry"), action_id=ACTION_RETRY, value=card.approval_id)))
    blocks.append(context(_("Approval {approval}", approval=code(card.approval_id))))
    return blocks
