"""What history keeps of an order, as the pure computations read it (`bot.history.compute`).

One `Entry` is one row of the `order_history` table: one read of a watched order that the bot kept —

* `seen`: the first read of the order by this workspace (a watch began): where its history starts;
* `changes`: a change set (every event of one read: the unit the notifier posts);
* `dates`: a read where only Orange's dates moved (an expected date pushed back, the completion date given).

Each entry carries the order as that read showed it (its state, label and dates) and what it changed (`marks`:
errors opened or closed, milestones reached, jeopardy alerts raised). Times are aware UTC datetimes: `seen_at` is
when the bot saw it (its clock), `happened_at` when Orange's data says the order's move happened, where it says so
(the completion date of a completed order; None otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from integrations.states import OrderState

__all__ = ["Entry", "EntryKind", "Mark", "MarkKind"]

EntryKind = Literal["seen", "changes", "dates"]
MarkKind = Literal["error_opened", "error_closed", "milestone", "jeopardy"]


@dataclass(frozen=True, slots=True)
class Mark:
    """An error message opened or closed, a milestone reached or a jeopardy alert raised, as one read saw it.

    An error message is known by (`item_id`, `reason`, `text`, `at`): Orange gives it no id, and `at` is the
    timestamp it carries (when it was opened). A close has no date of Orange's: it happened when the read saw it.
    """

    kind: MarkKind
    item_id: str | None = None
    """None for the order itself."""
    text: str | None = None
    """The error's message, the milestone's or alert's name (else its message)."""
    reason: str | None = None
    """Errors: who must act (`OWF` Orange, `ORT` the operator)."""
    code: str | None = None
    at: datetime | None = None
    """Orange's timestamp (error, milestone or alert date), when it gives one."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One kept read of one order."""

    backend: str
    order_id: str
    seen_at: datetime
    kind: EntryKind
    state: OrderState | None = None
    """The order's state after this read; None when the read did not say (a partial read)."""
    happened_at: datetime | None = None
    label: str | None = None
    """The order as people know it (the buyer's reference, a description, the place), without `backend:id`."""
    order_date: datetime | None = None
    requested_date: datetime | None = None
    """The requested completion date (the buyer's)."""
    expected_date: datetime | None = None
    """The expected completion date Orange gave, as of this read."""
    completion_date: datetime | None = None
    marks: tuple[Mark, ...] = ()

    @property
    def reference(self) -> str:
        return f"{self.backend}:{self.order_id}"
