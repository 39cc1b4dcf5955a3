"""The App Home tab: your watches, the approvals waiting for a decision, and a short how-to.

client.views_publish(user_id=user, view=home_view(watches, approvals, enabled_backends=["carrier"]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import Block

from bot.i18n import _, number

from .format import (
    VIEW_BLOCKS_MAX,
    bullet_sections,
    code,
    context,
    divider,
    escape,
    header,
    link,
    mention,
    order_name,
    posted_date,
    section,
    words,
)
from .watches import WatchRow, watch_line

__all__ = ["ApprovalRow", "home_blocks", "home_view"]

MAX_WATCH_BLOCKS = 30
MAX_APPROVAL_BLOCKS = 30


def _kind(kind: str) -> str:
    """What an approval asks for, in words (translated when read: never frozen at import)."""
    if kind == "quote_order":
        return _("Order a quote")
    if kind == "cancel_order":
        return _("Cancel an order")
    return kind.replace("_", " ")


@dataclass(frozen=True)
class ApprovalRow:
    """A pending approval as the Home tab lists it; `summary` is plain text."""

    approval_id: str
    kind: str
    requester_id: str
    summary: str
    permalink: str | None = None
    created_at: datetime | None = None
    reference: str | None = None
    """What it is about (`backend:id`), shown as code after the summary."""
    label: str | None = None
    """The order as people know it (`order_label`, plain text), when known."""


def _approval_line(row: ApprovalRow) -> str:
    parts = [
        f"*{escape(_kind(row.kind))}*",
        words(escape(row.summary), order_name(row.label, row.reference) if row.reference else "", sep=" "),
        _("asked by {user}", user=mention(row.requester_id)),
        posted_date(row.created_at) if row.created_at else None,
        link(row.permalink, _("open")) if row.permalink else None,
    ]
    return "• " + " · ".join(p for p in parts if p)


def _how_to() -> list[tuple[str, str]]:
    return [
        ("help", _("every command")),
        ("orders", _("your orders and their state")),
        ("order carrier:11", _("one order: items, prices, open errors, milestones")),
        ("quotes", _("quotes; an approved one can be ordered")),
        ("watch carrier:11", _("follow an order in a channel")),
    ]


def home_blocks(
    watches: Sequence[WatchRow],
    approvals: Sequence[ApprovalRow],
    *,
    enabled_backends: Sequence[str],
    command: str = "/orange",
    tz: tzinfo | None = None,
) -> list[Block]:
    """The Home tab's blocks (at most 100). Its dates are Slack date tokens, shown in the reader's own zone (`tz` is
    no longer read)."""
    blocks: list[Block] = [
        header(_("Orange network orders")),
        section(
            _(
                "Look up orders, quotes, sites and products at Orange, follow orders in channels, "
                "and approve costly steps before they reach Orange."
            )
        ),
        divider(),
        section(_("*Your watches* ({n})", n=number(len(watches)))),
    ]
    if watches:
        lines = [f"• {watch_line(w)}" for w in watches]
        blocks.extend(bullet_sections(lines, max_blocks=MAX_WATCH_BLOCKS, more=_("and {n} more watches")))
    else:
        example = escape(f"`{command} watch <ref>` (e.g. `{command} watch carrier:11`)")
        blocks.append(
            context(
                _(
                    "You are not watching any order. In a channel, {example} posts its changes in a thread there.",
                    example=example,
                )
            )
        )
    blocks += [divider(), section(_("*Pending approvals* ({n})", n=number(len(approvals))))]
    if approvals:
        lines = [_approval_line(a) for a in approvals]
        blocks.extend(bullet_sections(lines, max_blocks=MAX_APPROVAL_BLOCKS, more=_("and {n} more approvals")))
    else:
        blocks.append(
            context(
                _(
                    "Nothing waits for a decision. Ordering a quote or cancelling an order asks for an approval "
                    "in the channel, with Approve and Reject buttons."
                )
            )
        )
    how_to = "\n".join(f"• {code(f'{command} {verb}')} — {does}" for verb, does in _how_to())
    blocks += [divider(), section(_("*How to*\n{lines}", lines=how_to))]
    if enabled_backends:
        backends = ", ".join(code(b) for b in enabled_backends)
        blocks.append(context(_("Enabled backends: {backends}", backends=backends)))
    else:
        blocks.append(context(_("No Orange backend is enabled: ask an operator to configure one.")))
    return blocks[:VIEW_BLOCKS_MAX]


def home_view(
    watches: Sequence[WatchRow],
    approvals: Sequence[ApprovalRow],
    *,
    enabled_backends: Sequence[str],
    command: str = "/orange",
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """`{"type": "home", "blocks": [...]}` for `views.publish`."""
    blocks = home_blocks(watches, approvals, enabled_backends=enabled_backends, command=command, tz=tz)
    return {"type": "home", "blocks": [b.to_dict() for b in blocks]}
