"""A digest: what needs attention among a channel's watched orders, one section per kind, links to the threads.

item = DigestItem("carrier:11", "PTO introuvable", link, label="BOA12 · Marseille MRS1, Marseille")
digest_blocks(DigestReport(watched=12, errors=[item], ...))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import Block

from .format import MESSAGE_BUDGET, bullet_sections, context, escape, header, link, order_name, plural, section

__all__ = ["DigestItem", "DigestReport", "digest_blocks"]

PER_SECTION = 10
"""Blocks one kind of item may take: long lists end with "and N more"."""


@dataclass(frozen=True)
class DigestItem:
    reference: str
    detail: str
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
    where = f" · {link(item.permalink, 'thread')}" if item.permalink else ""
    return f"{order_name(item.label, item.reference)} · {escape(item.detail)}{where}"


def digest_blocks(report: DigestReport, *, title: str) -> list[Block]:
    """The digest; an empty one is a single short line."""
    if report.empty:
        return [section(f":white_check_mark: Nothing needs attention among {plural(report.watched, 'watched order')}.")]
    blocks: list[Block] = [header(title)]
    kinds = (
        (":rotating_light: *Open error messages*", report.errors),
        (":hourglass: *Past their expected completion date*", report.late),
        (f":snail: *In one state for more than {report.stale_days} days*", report.stuck),
        (":raised_hand: *Approvals waiting for more than a day*", report.approvals),
    )
    budget = MESSAGE_BUDGET - 2
    for label, items in kinds:
        if not items or budget <= 1:
            continue
        blocks.append(section(f"{label} ({len(items)})"))
        shown = bullet_sections([_line(i) for i in items], max_blocks=min(PER_SECTION, budget - 1), more="and {n} more")
        blocks.extend(shown)
        budget -= 1 + len(shown)
    blocks.append(context(f"{plural(report.watched, 'watched order')} in this channel"))
    return blocks
