"""Watches: the thread root naming the order and its state (edited in place), and lists of watches.

    root = watch_root_blocks(view, errors_only=False, tz=None)   # "Watching carrier:11" + state + Unwatch
    watches_list_blocks([WatchRow("carrier:11", "🔧 In progress", permalink, False, "U123")])

Event replies in the thread are rendered elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_
from integrations.views import OrderView, ProductView, order_label

from .format import (
    MESSAGE_BUDGET,
    bullet_sections,
    button,
    code,
    context,
    escape,
    header,
    link,
    mention,
    order_name,
    posted_date,
    product_status_text,
    section,
    state_text,
)

__all__ = [
    "ACTION_RESUME_WATCH",
    "ACTION_UNWATCH",
    "ACTION_UNWATCH_PRODUCT",
    "product_root_blocks",
    "WatchRow",
    "watch_exists_blocks",
    "watch_line",
    "watch_root_blocks",
    "watches_list_blocks",
]

ACTION_UNWATCH = "unwatch"
ACTION_UNWATCH_PRODUCT = "unwatch_product"
ACTION_RESUME_WATCH = "resume_watch"
PAUSED_SHOWN = 10
"""Paused watches listed one by one (each with its Resume button)."""


@dataclass(frozen=True)
class WatchRow:
    """A watch as lists show it; `state_text` is the last known state in words (`state_text()`)."""

    reference: str
    state_text: str
    permalink: str | None
    errors_only: bool
    created_by: str | None
    """Slack user id of who started the watch."""
    product: bool = False
    paused_reason: str | None = None
    """Why Slack refuses its posts, when the watch is paused."""
    watch_id: str | None = None
    label: str | None = None
    """The order as people know it (`order_label`, plain text), when known."""


def watch_root_blocks(
    view: OrderView, *, errors_only: bool, tz: tzinfo | None = None, site_name: str | None = None
) -> list[Block]:
    """The thread root: "Watching <the order as people know it>" (`order_label`; `site_name`: its carrier site
    named), its reference, the current state, and an Unwatch button (gone once final). Its dates are Slack date
    tokens (`posted_date`): a channel's readers each see their own zone (`tz` is no longer read)."""
    state = escape(state_text(view.state, view.state_raw))
    name = order_label(view, site_name=site_name)
    title = escape(name) if name != view.reference else escape(view.reference)
    reference = f" · {code(view.reference)}" if name != view.reference else ""
    details = [_("*State:* {state}", state=state)]
    if view.open_errors:
        n = len(view.open_errors)
        details.append(n_(":rotating_light: {n} open error", ":rotating_light: {n} open errors", n))
    if view.expected_completion_date is not None and not view.is_final:
        details.append(_("expected {date}", date=posted_date(view.expected_completion_date)))
    if view.completion_date is not None:
        details.append(_("completed {date}", date=posted_date(view.completion_date)))
    state_line = " · ".join(details)
    scope = (
        _("Only error messages and the final state are posted in this thread.")
        if errors_only
        else _("Every change is posted in this thread.")
    )
    if view.is_final:
        ended = _(":checkered_flag: *Watch ended: {order}*", order=title)
        return [
            section(f"{ended}{reference}\n{state_line}"),
            context(_("The order reached a final state: nothing more will be posted.")),
        ]
    unwatch = button(_("Unwatch"), action_id=ACTION_UNWATCH, value=view.reference)
    watching = _(":eyes: *Watching {order}*", order=title)
    return [
        section(f"{watching}{reference}\n{state_line}", accessory=unwatch),
        context(scope),
    ]


def watch_exists_blocks(reference: str, permalink: str | None, *, label: str | None = None) -> list[Block]:
    """The order (`label`: as people know it) is already watched in this channel: where its thread is."""
    where = link(permalink, _("See its thread")) if permalink else _("Its thread is in this channel.")
    what = order_name(label, reference)
    return [
        section(_(":information_source: {order} is already watched in this channel. {where}", order=what, where=where))
    ]


def watch_line(row: WatchRow) -> str:
    """`` BOA12 · Marseille MRS1, Marseille · `carrier:11` · 🔧 In progress · errors only · by <@U1> · thread ``."""
    what = (
        _("product {reference}", reference=code(row.reference)) if row.product else order_name(row.label, row.reference)
    )
    parts = [what, escape(row.state_text) if row.state_text else _("❔ Unknown")]
    if row.errors_only:
        parts.append(_("errors only"))
    if row.created_by:
        parts.append(_("by {user}", user=mention(row.created_by)))
    if row.permalink:
        parts.append(link(row.permalink, _("thread")))
    return " · ".join(parts)


def watches_list_blocks(watches: Sequence[WatchRow], *, command: str = "/orange") -> list[Block]:
    """The orders watched in this channel, one line each; an empty list says how to start one."""
    blocks: list[Block] = [header(_("Watched orders in this channel"))]
    if not watches:
        hint = escape(
            _("`{command} watch <ref>` follows an order here, e.g. `{command} watch carrier:11`.", command=command)
        )
        blocks.append(section(_("No order is watched in this channel yet. {hint}", hint=hint)))
        return blocks
    paused = [w for w in watches if w.paused_reason is not None][:PAUSED_SHOWN]
    lines = [watch_line(w) for w in watches if w.paused_reason is None]
    for row in paused:
        resume = button(_("Resume"), action_id=ACTION_RESUME_WATCH, value=row.watch_id or "")
        reason = _("_Paused: {reason}_", reason=escape(row.paused_reason or ""))
        blocks.append(section(f":double_vertical_bar: {watch_line(row)}\n{reason}", accessory=resume))
    budget = MESSAGE_BUDGET - 2 - len(paused)
    if lines:
        blocks.extend(bullet_sections(lines, max_blocks=budget, more=_("and {n} more watches")))
    stop = escape(_("`{command} unwatch <ref>` or the Unwatch button in its thread stops one", command=command))
    count = n_("{n} watch", "{n} watches", len(watches))
    blocks.append(context(f"{count} · {stop}"))
    return blocks


def product_root_blocks(view: ProductView, *, final: bool = False) -> list[Block]:
    """The thread root of a product watch: "Watching product <reference>", its status, and Unwatch."""
    status = escape(product_status_text(view.status, view.status_raw))
    what = escape(view.reference) + (f" · {escape(view.name)}" if view.name else "")
    if final:
        return [
            section(
                _(":checkered_flag: *Watch ended: product {product}*\n*Status:* {status}", product=what, status=status)
            ),
            context(_("The product reached a final status: nothing more will be posted.")),
        ]
    unwatch = button(_("Unwatch"), action_id=ACTION_UNWATCH_PRODUCT, value=view.reference)
    return [
        section(
            _(":package: *Watching product {product}*\n*Status:* {status}", product=what, status=status),
            accessory=unwatch,
        ),
        context(_("Every change of its status is posted in this thread.")),
    ]
