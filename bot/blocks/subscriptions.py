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

from bot import i18n
from bot.i18n import _, n_

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
    backend = escape(row.backend)
    if filters and row.errors_only:
        return _(
            "{backend} orders with {filters} (error messages and final states only)", backend=backend, filters=filters
        )
    if filters:
        return _("{backend} orders with {filters}", backend=backend, filters=filters)
    if row.errors_only:
        return _("{backend} orders (error messages and final states only)", backend=backend)
    return _("{backend} orders", backend=backend)


def subscription_card(row: SubscriptionRow, *, choice: Choice | None, chosen_by: str | None = None) -> list[Block]:
    """The rule announced in the channel; until someone chooses, the question about orders that match already."""
    blocks: list[Block] = [
        section(
            _(
                ":satellite_antenna: {user} made rule *#{number}* here: {rule} are watched in this channel as they "
                "appear, each in a thread of its own.",
                user=mention(row.created_by),
                number=row.number,
                rule=rule_text(row),
            )
        )
    ]
    if choice is None and (row.matching is None or row.matching > 0):
        blocks.append(section(_match_already(row.matching, row.cap)))
        blocks.append(
            actions(
                button(
                    _("Watch these too"),
                    action_id=ACTION_SUBSCRIPTION_EXISTING,
                    value=row.subscription_id,
                    style="primary",
                ),
                button(_("Only new ones"), action_id=ACTION_SUBSCRIPTION_NEW_ONLY, value=row.subscription_id),
            )
        )
    elif choice == "existing":
        done = _watched_too(row.matching)
        blocks.append(
            context(_("{done} ({user} chose).", done=done, user=mention(chosen_by)) if chosen_by else f"{done}.")
        )
    elif choice == "new_only":
        if chosen_by:
            blocks.append(
                context(_("Only orders that match from now on are watched ({user} chose).", user=mention(chosen_by)))
            )
        else:
            blocks.append(context(_("Only orders that match from now on are watched.")))
    blocks.append(
        context(
            _(
                "At most {cap} watches of this rule at a time · `unsubscribe {number}` ends it.",
                cap=i18n.number(row.cap),
                number=row.number,
            )
        )
    )
    return blocks


def _match_already(matching: int | None, cap: int) -> str:
    """The question: `3 orders match already. Watch them too (at most 200 at a time)?`."""
    if matching is None:
        return _(
            "Some orders match already (the backend did not say how many). Watch them too (at most {cap} at a time)?",
            cap=i18n.number(cap),
        )
    return n_(
        "{n} order matches already. Watch it too (at most {cap} at a time)?",
        "{n} orders match already. Watch them too (at most {cap} at a time)?",
        matching,
        cap=i18n.number(cap),
    )


def _watched_too(matching: int | None) -> str:
    """What "Watch these too" did, without the full stop: `The 3 orders that matched already are watched too`."""
    if matching is None:
        return _("The orders that matched already are watched too")
    if matching == 0:
        return _("No order matched already")
    return n_(
        "The order that matched already is watched too",
        "The {n} orders that matched already are watched too",
        matching,
    )


def subscriptions_list_blocks(rows: Sequence[SubscriptionRow], *, command: str) -> list[Block]:
    if not rows:
        return [
            section(
                _(
                    "This channel has no subscription. "
                    "Make one with `{command} subscribe wholesale state=inProgress` (or any backend and filters).",
                    command=command,
                )
            )
        ]
    count = len(rows)
    blocks: list[Block] = [header(n_("{n} subscription in this channel", "{n} subscriptions in this channel", count))]
    for row in rows[: (MESSAGE_BUDGET - 1) // 2]:
        matching = "?" if row.matching is None else i18n.number(row.matching)
        counts = dict(
            matching=matching, watched=i18n.number(row.watched), live=i18n.number(row.live), cap=i18n.number(row.cap)
        )
        if row.include_existing:
            status = _(
                "{matching} matching now · {watched} watched in all · {live} of {cap} live · existing ones too",
                **counts,
            )
        else:
            status = _("{matching} matching now · {watched} watched in all · {live} of {cap} live", **counts)
        blocks.append(
            section(
                f"*#{row.number}* {rule_text(row)}\n{status}",
                accessory=button(_("Unsubscribe"), action_id=ACTION_UNSUBSCRIBE, value=row.subscription_id),
            )
        )
        blocks.append(context(_("by {user}", user=mention(row.created_by))))
    return blocks


def cap_reached_text(number: int, cap: int, waiting: int) -> str:
    return n_(
        ":warning: Rule *#{number}* has {cap} orders watched, its cap: {n} more matching order waits until some of "
        "these end. Narrow the rule, or `unsubscribe {number}`.",
        ":warning: Rule *#{number}* has {cap} orders watched, its cap: {n} more matching orders wait until some of "
        "these end. Narrow the rule, or `unsubscribe {number}`.",
        waiting,
        number=number,
        cap=i18n.number(cap),
    )


def rules_full_text(limit: int, *, command: str) -> str:
    """Why a channel's next rule is refused: it holds `limit` live rules, the most it may."""
    return n_(
        "This channel has {n} live rule, the most it may have (SUBSCRIPTION_RULES_PER_CHANNEL): "
        "end one first, `{command} subscriptions` lists them and `{command} unsubscribe <n>` ends rule n.",
        "This channel has {n} live rules, the most it may have (SUBSCRIPTION_RULES_PER_CHANNEL): "
        "end one first, `{command} subscriptions` lists them and `{command} unsubscribe <n>` ends rule n.",
        limit,
        command=command,
    )


def rule_too_wide_text(backend: str, *, matching: int | None, limit: int) -> str:
    """Why a rule is refused: it matches more orders at once than a rule may (`matching`: how many, if said)."""
    if matching is None:
        return _(
            "More than {limit} {backend} orders match that rule, over the {limit} a rule may match at once: "
            "narrow it with more filters.",
            limit=i18n.number(limit),
            backend=escape(backend),
        )
    return _(
        "{count} {backend} orders match that rule, over the {limit} a rule may match at once: "
        "narrow it with more filters.",
        count=i18n.number(matching),
        limit=i18n.number(limit),
        backend=escape(backend),
    )


SUMMARY_SECTIONS = 10
"""Sections of order lines in a rule's summary (about 20 orders each); the rest is counted in one line."""


def roots_summary_blocks(number: int, orders: Sequence[tuple[str, str | None]]) -> list[Block]:
    """The orders a rule started watching at once, each `(label, permalink of its thread or None)`: one message
    instead of a top-level post per order to read."""
    lines = [f"• {link(url, label)}" for label, url in orders]
    return [
        section(
            n_(
                ":eyes: Rule *#{number}* now watches {n} more order, "
                "each in a thread of its own (it says more there when the order changes):",
                ":eyes: Rule *#{number}* now watches {n} more orders, "
                "each in a thread of its own (it says more there when the order changes):",
                len(orders),
                number=number,
            )
        ),
        *bullet_sections(lines, max_blocks=SUMMARY_SECTIONS, more=_("and {n} more")),
    ]
