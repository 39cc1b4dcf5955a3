"""Change sets: everything one read of an order showed, as one thread reply.

    events, snapshot = diff(previous, view)
    changes = change_set(events, items_total=len(view.items))   # None when nothing changed
    changes.fingerprint      # "changes:…": derived from the events' own fingerprints
    changes.moves            # the order's move, then the items' moves grouped by (old, new)

A read (a poll, a push re-read, a resume after an outage) gives a list of events; they are posted as ONE reply.
Its fingerprint is a digest of the sorted fingerprints of its events, so the same read replayed (a crash before the
commit, a second replica diffing the same snapshot against the same view) owes the same row, which the outbox's
`(watch, fingerprint)` key takes once; and since the snapshot and the row commit together, a crash between two
reads never splits a reply: the next read diffs from the snapshot the reply was owed against.

Grouping is pure and kept here, so the renderer (`bot.notify.render`, at send time) and the history read the same
shapes: items that moved alike are one `Moves` (with the count of the order's items), a milestone or an error
reported on several items is one `Group` naming them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from bot.notify.diff import Event, EventKind
from integrations.states import OrderState
from storage.digest import short_digest

__all__ = ["CHANGES", "ChangeSet", "Group", "Moves", "change_set"]

CHANGES = "changes"
"""The outbox kind of a change set's row."""


class Moves(BaseModel):
    """Items (or the order itself, `items == ()` and `order=True`) that went from `old` to `new` in one read."""

    model_config = ConfigDict(frozen=True)

    order: bool = False
    old: OrderState | None = None
    new: OrderState
    items: tuple[str, ...] = ()


class Group(BaseModel):
    """The same error, milestone or alert reported on several items (or the order: `None` among `items`)."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    """`error_opened`, `error_closed`, `milestone_added` or `jeopardy_alert`."""
    event: Event
    """The first of them (its text, reason, type…)."""
    items: tuple[str | None, ...]


class ChangeSet(BaseModel):
    """The events of one read of one order, in the order the diff gave them."""

    model_config = ConfigDict(frozen=True)

    order_ref: str
    events: tuple[Event, ...]
    items_total: int = 0
    """How many items the order has (for "10 of 10 items")."""

    @property
    def fingerprint(self) -> str:
        return f"{CHANGES}:" + short_digest(sorted(e.fingerprint for e in self.events))

    @property
    def order_move(self) -> Moves | None:
        """The order's own state change, if it moved."""
        for e in self.events:
            if e.kind is EventKind.order_state and e.new is not None:
                return Moves(order=True, old=e.old, new=e.new)
        return None

    @property
    def moves(self) -> list[Moves]:
        """The items' state changes, one per (old, new), in the order the first of each came."""
        grouped: dict[tuple[OrderState | None, OrderState], list[str]] = {}
        for e in self.events:
            if e.kind is EventKind.item_state and e.new is not None:
                grouped.setdefault((e.old, e.new), []).append(e.item_id or "")
        return [Moves(old=old, new=new, items=tuple(items)) for (old, new), items in grouped.items()]

    @property
    def groups(self) -> list[Group]:
        """Errors closed, then opened, then milestones and alerts; each the same text on several items once."""
        order = (EventKind.error_closed, EventKind.error_opened, EventKind.milestone_added, EventKind.jeopardy_alert)
        found: dict[tuple[object, ...], tuple[Event, list[str | None]]] = {}
        for kind in order:
            for e in self.events:
                if e.kind is kind:
                    key = (kind, e.message, e.code, e.reason, e.name, e.description, e.alert_type)
                    found.setdefault(key, (e, []))[1].append(e.item_id)
        return [Group(kind=e.kind, event=e, items=tuple(items)) for e, items in found.values()]

    @property
    def final(self) -> Event | None:
        return next((e for e in self.events if e.kind is EventKind.final), None)

    @property
    def product(self) -> Event | None:
        """A watched product's status change (product watches have nothing else)."""
        return next((e for e in self.events if e.status_new is not None), None)


def change_set(events: Sequence[Event], *, items_total: int = 0) -> ChangeSet | None:
    """The events of one read as one change set; None when there are none."""
    if not events:
        return None
    refs = {e.order_ref for e in events}
    if len(refs) != 1:
        raise ValueError(f"a change set is about one order, got {sorted(refs)}")
    return ChangeSet(order_ref=events[0].order_ref, events=tuple(events), items_total=items_total)
