"""A digest: what needs attention among a channel's watched orders, one section per kind, links to the threads.

item = DigestItem("carrier:11", escape("PTO introuvable"), link, label="BOA12 · Marseille MRS1, Marseille")
digest_blocks(DigestReport(watched=12, errors=[item], ...))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import Block

from bot.i18n import _, n_, number

from .format import MESSAGE_BUDGET, bullet_sections, context, header, link, order_name, section

__all__ = ["DigestItem", "DigestReport", "digest_blocks"]

PER_SECTION = 10
"""Blocks one kind of item may take: long lists end with "and N more"."""


@dataclass(frozen=True)
class DigestItem:
    reference: str
    detail: str
    """Mrkdwn: carrier text escaped by the caller, dates as Slack date tokens (`posted_date`)."""
    permalink: str | None
    label: str | None = None
    """The order as people know it (`order_label`, plain text), when known."""


@dataclass(frozen=True)
class DigestReport:
    watched: int
    errors: Sequence[DigestItem] = field(default_factory=list)
    late: Sequence[DigestItem] = field(default_factory=list)
    stuck: Sequence[DigestItem] = field(default_factory=list)
    approvals: Sequence[DigestItem] = field(default_factory=list)
    stale_days: int = 7

    @property
    def empty(self) -> bool:
        return not (self.errors or self.late or self.stuck or self.approvals)


def _line(item: DigestItem) -> str:
    where = f" · {link(item.permalink, _('thread'))}" if item.permalink else ""
    return f"{order_name(item.label, item.reference)} · {item.detail}{where}"


def _kinds(report: DigestReport) -> list[tuple[str, Sequence[DigestItem]]]:
    stale = n_(
        ":snail: *In one state for more than {n} day*",
        ":snail: *In one state for more than {n} days*",
        report.stale_days,
    )
    return [
        (_(":rotating_light: *Open error messages*"), report.errors),
        (_(":hourglass: *Past their expected completion date*"), report.late),
        (stale, report.stuck),
        (_(":raised_hand: *Approvals waiting for more than a day*"), report.approvals),
    ]


def digest_blocks(report: DigestReport, *, title: str) -> list[Block]:
    """The digest; an empty one is a single short line."""
    if report.empty:
        return [
            section(
                n_(
                    ":white_check_mark: Nothing needs attention among {n} watched order.",
                    ":white_check_mark: Nothing needs attention among {n} watched orders.",
                    report.watched,
                )
            )
        ]
    blocks: list[Block] = [header(title)]
    budget = MESSAGE_BUDGET - 2
    for label, items in _kinds(report):
        if not items or budget <= 1:
            continue
        blocks.append(section(f"{label} ({number(len(items))})"))
        more = _("and {n} more")
        shown = bullet_sections([_line(i) for i in items], max_blocks=min(PER_SECTION, budget - 1), more=more)
        blocks.extend(shown)
        budget -= 1 + len(shown)
    blocks.append(
        context(n_("{n} watched order in this channel", "{n} watched orders in this channel", report.watched))
    )
    return blocks
