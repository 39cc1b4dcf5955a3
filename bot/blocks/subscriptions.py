"""Subscriptions: the rule's card in the channel (with the choice about orders that match already), the list of a
channel's rules, the one line said when a rule reaches its cap, and the one message listing the orders a scan
started watching.

    subscription_card(SubscriptionRow(1, "wholesale", (("state", "inProgress"),), False, 37, …), choice=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from slack_sdk.models.blocks import Block

from .format import (
    MESSAGE_BUDGET,
    actions,
    bullet_sections,
    button,
    code,
    context,
    escape,
    header,
    link,
    mention,
    plural,
    section,
)

__all__ = [
    "ACTION_SUBSCRIPTION_EXISTING",
    "ACTION_SUBSCRIPTION_NEW_ONLY",
    "ACTION_UNSUBSCRIBE",
    "Choice",
    "SubscriptionRow",
    "cap_reached_text",
    "rule_too_wide_text",
    "rules_full_text",
    "rule_text",
    "roots_summary_blocks",
    "subscription_card",
    "subscriptions_list_blocks",
]

ACTION_SUBSCRIPTION_EXISTING = "subscription_existing"
ACTION_SUBSCRIPTION_NEW_ONLY = "subscription_new_only"
ACTION_UNSUBSCRIBE = "unsubscribe"

Choice = Literal["existing", "new_only"]


@dataclass(frozen=True)
class SubscriptionRow:
    number: int
    backend: str
    filters: Sequence[tuple[str, str]]
    errors_only: bool
    matching: int | None
    """Orders matching the filters now (None: the backend did not say)."""
    watched: int
    """Orders this rule has watched in all."""
    live: int
    """Of those, watched now."""
    cap: int
    created_by: str
    subscription_id: str
    include_existing: bool


def rule_text(row: SubscriptionRow) -> str:
    """`wholesale orders with state=inProgress (errors only)` in mrkdwn."""
    filters = " ".join(code(f"{k}={v}") for k, v in row.filters)
    what = f"{escape(row.backend)} orders" + (f" with {filters}" if filters else "")
    return what + (" (error messages and final states only)" if row.errors_only else "")


def subscription_card(row: SubscriptionRow, *, choice: Choice | None, chosen_by: str | None = None) -> list[Block]:
    """The rule announced in the channel; until someone chooses, the question about orders that match already."""
    blocks: list[Block] = [
        section(
            f":satellite_antenna: {mention(row.created_by)} made rule *#{row.number}* here: "
            f"{rule_text(row)} are watched in this channel as they appear, each in a thread of its own."
        )
    ]
    if choice is None and (row.matching is None or row.matching > 0):
        blocks.append(section(f"{_match_already(row.matching)} (at most {row.cap} at a time)?"))
        blocks.append(
            actions(
                button(
                    "Watch these too",
                    action_id=ACTION_SUBSCRIPTION_EXISTING,
                    value=row.subscription_id,
                    style="primary",
                ),
                button("Only new ones", action_id=ACTION_SUBSCRIPTION_NEW_ONLY, value=row.subscription_id),
            )
        )
    elif choice == "existing":
        who = f" ({mention(chosen_by)} chose)" if chosen_by else ""
        blocks.append(context(f"{_watched_too(row.matching)}{who}."))
    elif choice == "new_only":
        who = f" ({mention(chosen_by)} chose)" if chosen_by else ""
        blocks.append(context(f"Only orders that match from now on are watched{who}."))
    blocks.append(context(f"At most {row.cap} watches of this rule at a time · `unsubscribe {row.number}` ends it."))
    return blocks


def _match_already(matching: int | None) -> str:
    """The question's first words, without its end: `3 orders match already. Watch them too`."""
    if matching is None:
        return "Some orders match already (the backend did not say how many). Watch them too"
    if matching == 1:
        return "1 order matches already. Watch it too"
    return f"{matching} orders match already. Watch them too"


def _watched_too(matching: int | None) -> str:
    """What "Watch these too" did, without the full stop: `The 3 orders that matched already are watched too`."""
    if matching is None:
        return "The orders that matched already are watched too"
    if matching == 0:
        return "No order matched already"
    if matching == 1:
        return "The order that matched already is watched too"
    return f"The {matching} orders that matched already are watched too"


def subscriptions_list_blocks(rows: Sequence[SubscriptionRow], *, command: str) -> list[Block]:
    if not rows:
        return [
            section(
                "This channel has no subscription. "
                f"Make one with `{command} subscribe wholesale state=inProgress` (or any backend and filters)."
            )
        ]
    blocks: list[Block] = [header(f"{plural(len(rows), 'subscription')} in this channel")]
    for row in rows[: (MESSAGE_BUDGET - 1) // 2]:
        matching = "?" if row.matching is None else str(row.matching)
        existing = " · existing ones too" if row.include_existing else ""
        blocks.append(
            section(
                f"*#{row.number}* {rule_text(row)}\n"
                f"{matching} matching now · {row.watched} watched in all · {row.live} of {row.cap} live{existing}",
                accessory=button("Unsubscribe", action_id=ACTION_UNSUBSCRIBE, value=row.subscription_id),
            )
        )
        blocks.append(context(f"by {mention(row.created_by)}"))
    return blocks


def cap_reached_text(number: int, cap: int, waiting: int) -> str:
    return (
        f":warning: Rule *#{number}* has {cap} orders watched, its cap: {plural(waiting, 'more matching order')} "
        f"wait until some of these end. Narrow the rule, or `unsubscribe {number}`."
    )


def rules_full_text(limit: int, *, command: str) -> str:
    """Why a channel's next rule is refused: it holds `limit` live rules, the most it may."""
    return (
        f"This channel has {plural(limit, 'live rule')}, the most it may have (SUBSCRIPTION_RULES_PER_CHANNEL): "
        f"end one first, `{command} subscriptions` lists them and `{command} unsubscribe <n>` ends rule n."
    )


def rule_too_wide_text(backend: str, *, matching: int | None, limit: int) -> str:
    """Why a rule is refused: it matches more orders at once than a rule may (`matching`: how many, if said)."""
    count = f"{matching:,}" if matching is not None else f"More than {limit:,}"
    return (
        f"{count} {escape(backend)} orders match that rule, over the {limit:,} a rule may match at once: "
        "narrow it with more filters."
    )


SUMMARY_SECTIONS = 10
"""Sections of order lines in a rule's summary (about 20 orders each); the rest is counted in one line."""


def roots_summary_blocks(number: int, orders: Sequence[tuple[str, str | None]]) -> list[Block]:
    """The orders a rule started watching at once, each `(label, permalink of its thread or None)`: one message
    instead of a top-level post per order to read."""
    lines = [f"• {link(url, label)}" for label, url in orders]
    return [
        section(
            f":eyes: Rule *#{number}* now watches {plural(len(orders), 'more order')}, "
            "each in a thread of its own (it says more there when the order changes):"
        ),
        *bullet_sections(lines, max_blocks=SUMMARY_SECTIONS),
    ]
