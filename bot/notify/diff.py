"""What changed on a watched order since the last poll: a pure function, no I/O and no clock.

The poll job fetches the order, calls `diff` with the `Snapshot` it stored last time, and commits
the events (as outbox rows keyed by `Event.fingerprint`) and the new snapshot in one transaction:

    previous = Snapshot.from_json(stored) if stored is not None else None
    events, snapshot = diff(previous, view, errors_only=watch.filter == WatchFilter.ERRORS)
    for event in events:
        crud.enqueue_outbox(session=session, watch_id=watch.id, fingerprint=event.fingerprint, kind=event.kind,
                            payload={"text": render_event_text(event), ...}, broadcast=event.kind is EventKind.final)
    crud.save_snapshot(session=session, watch_id=watch.id, view=snapshot.to_json())

The snapshot remembers the last known value of everything it tracks, each under a *scope*:
`order`, `item:<id>`, and one scope per error message, milestone and jeopardy alert (a digest of
what identifies it). Each scope is a small state machine: the order and items move between
`OrderState`s, an error between `opened` and `closed`, a milestone is `reached`, an alert `raised`.
Something missing from a view is never a change (a `fields=` fetch or a carrier hiccup is not a
disappearance), and something already known is never reported again when it comes back.

A fingerprint is `sha256(kind, order ref, scope, old, new, occurrence)` over canonical JSON, cut to 32
hex digits; `occurrence` counts how many times that scope already went `old → new` (the snapshot's
`transitions`). Diffing the same snapshot against the same view therefore always gives the same
fingerprints (a replay after a crash, a second replica), while a transition that genuinely recurs
(`held → in_progress` a second time, an error re-opened) gets a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from integrations.states import OrderState, ProductStatus, is_final
from integrations.views import ErrorMessageView, JeopardyAlertView, MilestoneView, OrderView, ProductView
from storage.digest import short_digest

__all__ = [
    "FIELDS_COMPARED",
    "Event",
    "EventKind",
    "FINAL_PRODUCT_STATUSES",
    "NoticeKind",
    "OutboxKind",
    "ProductSnapshot",
    "Snapshot",
    "diff",
    "only_errors",
    "product_diff",
    "utc_text",
]

FIELDS_COMPARED: tuple[str, ...] = (
    "id",
    "state",
    "productOrderItem",
    "errorMessage",
    "milestone",
    "jeopardyAlert",
    "orderDate",
    "requestedCompletionDate",
    "expectedCompletionDate",
    "completionDate",
    "externalIdentifier",
    "description",
)
"""The wholesale `fields=` the poller needs: items carry their state, `milestone`, `errorMessage` and
`jeopardyAlert`; the top-level lists hold the order's own. Orange returns `id` and `href` anyway.

The stored snapshot is also what the thread root (`watch_root_blocks`) and the digest show, so the dates they read
are selected too, though no event compares them (and the history keeps them: the order's, requested, expected and
completion dates); and so is what names the order (`externalIdentifier`, `description`;
the place is in the items). Growing this list changes every list entry's digest once: each
watched order then takes the poll's full path once, which finds no event in a field nothing compares."""


class EventKind(StrEnum):
    """What an event reports."""

    order_state = "order_state"
    item_state = "item_state"
    error_opened = "error_opened"
    error_closed = "error_closed"
    milestone_added = "milestone_added"
    jeopardy_alert = "jeopardy_alert"
    final = "final"
    product_status = "product_status"
    """A watched inventory product's status moved (`status_old` → `status_new`); a final one ends the watch."""


class NoticeKind(StrEnum):
    """What else a watch's outbox carries besides events: the notifier's own notices, and the root's edit."""

    polling_failing = "polling_failing"
    polling_recovered = "polling_recovered"
    root_post = "root_post"
    """A watch a rule started: its thread root, posted at the channel's pace (the watch has no thread yet)."""
    root_update = "root_update"
    approval_note = "approval_note"
    """A reply in the order's thread: the approval that placed or cancelled it, who approved and who asked."""
    approval_card = "approval_card"
    """The approval card redrawn from its row (the order it placed or cancelled reached a final state)."""


OutboxKind = EventKind | NoticeKind
"""Every value an outbox row's `kind` takes."""

_ITEMS = "items"
"""The scope saying a view listed the items once."""

_ERRORS_ONLY = frozenset({EventKind.error_opened, EventKind.error_closed, EventKind.final})


class Event(BaseModel):
    """One change to post in the order's thread (`final` is also broadcast to the channel)."""

    model_config = ConfigDict(frozen=True)

    kind: EventKind
    order_ref: str
    """`backend:id`."""
    item_id: str | None = None
    """None for the order itself."""
    old: OrderState | None = None
    """State changes: the state before (None for an item seen for the first time)."""
    new: OrderState | None = None
    """State changes and `final`: the state now."""
    message: str | None = None
    reason: str | None = None
    """Errors: who must act (`OWF` Orange, `ORT` the operator)."""
    code: str | None = None
    description: str | None = None
    """Milestones: the long text."""
    name: str | None = None
    """Milestones and jeopardy alerts."""
    alert_type: str | None = None
    """Jeopardy alerts: `jeopardyType`."""
    timestamp: datetime | None = None
    """When the carrier says it happened (error timestamp, milestone or alert date)."""
    status_old: ProductStatus | None = None
    status_new: ProductStatus | None = None
    """Product watches: the inventory status before and now."""
    fingerprint: str
    """Same change, same fingerprint: the outbox's `(watch, fingerprint)` key posts it once."""


class Snapshot(BaseModel):
    """What a poll leaves for the next one; store `to_json()`, read it back with `from_json()`."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    view: OrderView
    """The view of the last poll, as fetched."""
    states: dict[str, str] = {}
    """Last known value per scope (`order`, `items`, `item:<id>`, `error:…`, `milestone:…`, `jeopardy:…`)."""
    transitions: dict[str, int] = {}
    """How many times each `scope:old>new` happened (old empty for a first value)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-compatible dict (keys sorted, so equal snapshots dump equal)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """The snapshot `to_json()` gave."""
        return cls.model_validate(data)


# --- identities --------------------------------------------------------------------------------


def utc_text(moment: datetime | None) -> str | None:
    """An instant as ISO text in UTC: equal instants give equal text whatever the offset they came with (naive
    means UTC). The scopes' digests and the history's stored marks use it."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _error_scope(e: ErrorMessageView) -> str:
    return "error:" + short_digest([e.item_id, e.reason, e.message, utc_text(e.timestamp)])


def _milestone_scope(m: MilestoneView) -> str:
    return "milestone:" + short_digest([m.item_id, m.name, m.message, utc_text(m.date)])


def _jeopardy_scope(j: JeopardyAlertView) -> str:
    return "jeopardy:" + short_digest([j.item_id, j.name, j.type, j.message, utc_text(j.date)])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(moment: datetime | None) -> tuple[bool, datetime]:
    if moment is None:
        return (False, _EPOCH)
    return (True, moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def _id_key(value: str | None) -> tuple[int, int, str]:
    text = value or ""
    return (0, int(text), text) if text.isascii() and text.isdigit() else (1, 0, text)


def _group_key(item_id: str | None) -> tuple[int, tuple[int, int, str]]:
    # The order's own errors and milestones come before the items'.
    return (0, _id_key(None)) if item_id is None else (1, _id_key(item_id))


def _is_final(state: OrderState | None) -> bool:
    return state is not None and is_final(state)


def _state_known(state: OrderState, raw: str | None) -> bool:
    # A `fields=` selection without `state` maps to unknown with no raw value: nothing to compare.
    return state is not OrderState.unknown or raw is not None


# --- the diff ----------------------------------------------------------------------------------


class _Run:
    """The state machines of one diff: moves scopes, numbers transitions, builds events."""

    def __init__(self, ref: str, previous: Snapshot | None) -> None:
        self.ref = ref
        self.states: dict[str, str] = dict(previous.states) if previous is not None else {}
        self.transitions: dict[str, int] = dict(previous.transitions) if previous is not None else {}

    def move(self, scope: str, new: str) -> tuple[str | None, int] | None:
        """Record `scope` now being `new`; (old, occurrence) when that is a change, else None."""
        old = self.states.get(scope)
        if old == new:
            return None
        key = f"{scope}:{old or ''}>{new}"
        occurrence = self.transitions.get(key, 0)
        self.transitions[key] = occurrence + 1
        self.states[scope] = new
        return old, occurrence

    def fingerprint(self, kind: EventKind, scope: str, old: str | None, new: str, occurrence: int) -> str:
        return short_digest(
            {"kind": kind.value, "ref": self.ref, "scope": scope, "old": old, "new": new, "occurrence": occurrence}
        )

    def event(self, kind: EventKind, scope: str, move: tuple[str | None, int], to: str, **fields: Any) -> Event:
        """The event for `move` (the change of `scope` to `to`); `fields` are the `Event`'s details."""
        before, occurrence = move
        return Event(
            kind=kind,
            order_ref=self.ref,
            fingerprint=self.fingerprint(kind, scope, before, to, occurrence),
            **fields,
        )

    def errors(self, errors: Iterable[ErrorMessageView]) -> list[Event]:
        """Closes of known errors first, then new ones (an error born closed: opened, then closed)."""
        status: dict[str, str] = {}
        shown: dict[str, ErrorMessageView] = {}
        for e in errors:
            scope = _error_scope(e)
            # The same error listed twice with both statuses: closed wins, whatever the list order.
            now = "opened" if e.is_open else "closed"
            if status.get(scope) != "closed":
                status[scope] = now
            shown.setdefault(scope, e)
        closed: list[Event] = []
        opened: list[Event] = []
        for scope in sorted(status, key=lambda s: (_when(shown[s].timestamp), shown[s].message or "", s)):
            e = shown[scope]
            fields: dict[str, Any] = {
                "item_id": e.item_id,
                "message": e.message,
                "reason": e.reason,
                "code": e.code,
                "timestamp": e.timestamp,
            }
            before = self.states.get(scope)
            if status[scope] == "opened":
                move = self.move(scope, "opened")
                if move is not None:
                    opened.append(self.event(EventKind.error_opened, scope, move, "opened", **fields))
            elif before is None:
                # Opened and closed between two polls: say both, so the issue is not lost.
                move = self.move(scope, "opened")
                assert move is not None
                opened.append(self.event(EventKind.error_opened, scope, move, "opened", **fields))
                move = self.move(scope, "closed")
                assert move is not None
                opened.append(self.event(EventKind.error_closed, scope, move, "closed", **fields))
            else:
                move = self.move(scope, "closed")
                if move is not None:
                    closed.append(self.event(EventKind.error_closed, scope, move, "closed", **fields))
        return closed + opened

    def milestones(self, milestones: Iterable[MilestoneView]) -> list[Event]:
        unique = {_milestone_scope(m): m for m in milestones}
        events: list[Event] = []
        for scope in sorted(unique, key=lambda s: (_when(unique[s].date), unique[s].message or "", s)):
            m = unique[scope]
            move = self.move(scope, "reached")
            if move is not None:
                events.append(
                    self.event(
                        EventKind.milestone_added,
                        scope,
                        move,
                        "reached",
                        item_id=m.item_id,
                        name=m.name,
                        message=m.message,
                        description=m.description,
                        timestamp=m.date,
                    )
                )
        return events

    def jeopardies(self, alerts: Iterable[JeopardyAlertView]) -> list[Event]:
        unique = {_jeopardy_scope(j): j for j in alerts}
        events: list[Event] = []
        for scope in sorted(unique, key=lambda s: (_when(unique[s].date), unique[s].message or "", s)):
            j = unique[scope]
            move = self.move(scope, "raised")
            if move is not None:
                events.append(
                    self.event(
                        EventKind.jeopardy_alert,
                        scope,
                        move,
                        "raised",
                        item_id=j.item_id,
                        name=j.name,
                        message=j.message,
                        alert_type=j.type,
                        timestamp=j.date,
                    )
                )
        return events


def diff(previous: Snapshot | None, current: OrderView, *, errors_only: bool = False) -> tuple[list[Event], Snapshot]:
    """The changes from `previous` to `current`, in thread order, and the snapshot to store instead.

    Order: the order's state, the order's own errors (closed, then opened), milestones and alerts,
    then per item (by id) its state, errors, milestones and alerts; `final` last.

    * `previous is None` (the first poll of a watch) is a baseline: no events (the watch message
      shows the state already; the poller ends the watch itself if the order is already final).
    * Only what `current` holds is compared: a list, an item or a state missing from it (a `fields=`
      fetch) changes nothing. The first item list a snapshot sees is a baseline too, and so is the
      first known order state unless it is final.
    * `errors_only` keeps error events and the final state (its `order_state` and `final`); the
      snapshot advances the same, so switching modes never replays anything.
    """
    if previous is not None and previous.view.reference != current.reference:
        raise ValueError(f"snapshot of {previous.view.reference} diffed against {current.reference}")
    run = _Run(current.reference, previous)
    baseline = previous is None
    # Items a snapshot has never seen listed (the watch began on a `fields=state` fetch) are not
    # news: the first view that lists them is their baseline, like the first poll for the order.
    items_baseline = baseline or (bool(current.items) and _ITEMS not in run.states)
    if current.items:
        run.states[_ITEMS] = "listed"

    head: list[Event] = []
    tail: list[Event] = []
    if _state_known(current.state, current.state_raw):
        had_state = "order" in run.states
        move = run.move("order", current.state.value)
        if move is not None and not baseline and (had_state or is_final(current.state)):
            old = OrderState(move[0]) if move[0] is not None else None
            head.append(
                run.event(EventKind.order_state, "order", move, current.state.value, old=old, new=current.state)
            )
            if is_final(current.state):
                tail.append(run.event(EventKind.final, "order", move, current.state.value, old=old, new=current.state))

    items: dict[str, OrderState] = {}
    for item in current.items:
        if _state_known(item.state, item.state_raw):
            items[item.id] = item.state
    groups: set[str | None] = {None, *items}
    groups.update(e.item_id for e in current.error_messages)
    groups.update(m.item_id for m in current.milestones)
    groups.update(j.item_id for j in current.jeopardy_alerts)

    body: list[Event] = []
    for group in sorted(groups, key=_group_key):
        events: list[Event] = []
        if group is not None and group in items:
            state = items[group]
            move = run.move(f"item:{group}", state.value)
            if move is not None:
                old = OrderState(move[0]) if move[0] is not None else None
                events.append(
                    run.event(
                        EventKind.item_state, f"item:{group}", move, state.value, item_id=group, old=old, new=state
                    )
                )
        events += run.errors(e for e in current.error_messages if e.item_id == group)
        events += run.milestones(m for m in current.milestones if m.item_id == group)
        events += run.jeopardies(j for j in current.jeopardy_alerts if j.item_id == group)
        if not (group is not None and items_baseline):
            body += events

    events = [] if baseline else [*head, *body, *tail]
    if errors_only:
        events = only_errors(events)
    snapshot = Snapshot(
        view=current,
        states=dict(sorted(run.states.items())),
        transitions=dict(sorted(run.transitions.items())),
    )
    return events, snapshot


def only_errors(events: Iterable[Event]) -> list[Event]:
    """What an `errors` watch shows of a read: error events and the final state (its `order_state` and `final`)."""
    return [e for e in events if e.kind in _ERRORS_ONLY or (e.kind is EventKind.order_state and _is_final(e.new))]


# --- inventory products -----------------------------------------------------------------------

FINAL_PRODUCT_STATUSES = frozenset({ProductStatus.terminated, ProductStatus.cancelled, ProductStatus.aborted})


class ProductSnapshot(BaseModel):
    """What a product poll leaves for the next one (the same JSON round trip as `Snapshot`)."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    product: ProductView
    transitions: dict[str, int] = {}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductSnapshot:
        return cls.model_validate(data)


def product_diff(previous: ProductSnapshot | None, view: ProductView) -> tuple[list[Event], ProductSnapshot]:
    """The status change of a watched product since the last poll (none for the first view)."""
    if previous is None:
        return [], ProductSnapshot(product=view)
    old, new = previous.product.status, view.status
    if old == new or new is ProductStatus.unknown:
        return [], ProductSnapshot(product=view, transitions=previous.transitions)
    key = f"status:{old.value}>{new.value}"
    occurrence = previous.transitions.get(key, 0)
    transitions = dict(sorted({**previous.transitions, key: occurrence + 1}.items()))
    kind = EventKind.final if new in FINAL_PRODUCT_STATUSES else EventKind.product_status
    fingerprint = short_digest([kind.value, view.reference, "status", old.value, new.value, occurrence])
    event = Event(kind=kind, order_ref=view.reference, status_old=old, status_new=new, fingerprint=fingerprint)
    return [event], ProductSnapshot(product=view, transitions=transitions)
