"""The App Home tab: your watches, the approvals waiting for a decision, and a short how-to.

client.views_publish(user_id=user, view=home_view(watches, approvals, enabled_backends=["carrier"]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import Block

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
    section,
    when,
    words,
)
from .watches import WatchRow, watch_line

__all__ = ["ApprovalRow", "home_blocks", "home_view"]

MAX_WATCH_BLOCKS = 30
MAX_APPROVAL_BLOCKS = 30

_KINDS = {"quote_order": "Order a quote", "cancel_order": "Cancel an order"}


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


def _approval_line(row: ApprovalRow, tz: tzinfo | None) -> str:
    parts = [
        f"*{escape(_KINDS.get(row.kind, row.kind.replace('_', ' ')))}*",
        words(escape(row.summary), order_name(row.label, row.reference) if row.reference else "", sep=" "),
        f"asked by {mention(row.requester_id)}",
        when(row.created_at, tz) if row.created_at else None,
        link(row.permalink, "open") if row.permalink else None,
    ]
    return "• " + " · ".join(p for p in parts if p)


def home_blocks(
    watches: Sequence[WatchRow],
    approvals: Sequence[ApprovalRow],
    *,
    enabled_backends: Sequence[str],
    command: str = "/orange",
    tz: tzinfo | None = None,
) -> list[Block]:
    """The Home tab's blocks (at most 100)."""
    blocks: list[Block] = [
        header("Orange network orders"),
        section(
            "Look up orders, quotes, sites and products at Orange, follow orders in channels, "
            "and approve costly steps before they reach Orange."
        ),
        divider(),
        section(f"*Your watches* ({len(watches)})"),
    ]
    if watches:
        lines = [f"• {watch_line(w)}" for w in watches]
        blocks.extend(bullet_sections(lines, max_blocks=MAX_WATCH_BLOCKS, more="and {n} more watches"))
    else:
        blocks.append(
            context(
                "You are not watching any order. In a channel, "
                + escape(f"`{command} watch <ref>` (e.g. `{command} watch carrier:11`)")
                + " posts its changes in a thread there."
            )
        )
    blocks += [divider(), section(f"*Pending approvals* ({len(approvals)})")]
    if approvals:
        lines = [_approval_line(a, tz) for a in approvals]
        blocks.extend(bullet_sections(lines, max_blocks=MAX_APPROVAL_BLOCKS, more="and {n} more approvals"))
    else:
        blocks.append(
            context(
                "Nothing waits for a decision. Ordering a quote or cancelling an order asks for an approval "
                "in the channel, with Approve and Reject buttons."
            )
        )
    how_to = [
        ("help", "every command"),
        ("orders", "your orders and their state"),
        ("order carrier:11", "one order: items, prices, open errors, milestones"),
        ("quotes", "quotes; an approved one can be ordered"),
        ("watch carrier:11", "follow an order in a channel"),
    ]
    blocks += [
        divider(),
        section("*How to*\n" + "\n".join(f"• {code(f'{command} {verb}')} — {does}" for verb, does in how_to)),
    ]
    if enabled_backends:
        blocks.append(context("Enabled backends: " + ", ".join(code(b) for b in enabled_backends)))
    else:
        blocks.append(context("No Orange backend is enabled: ask an operator to configure one."))
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
