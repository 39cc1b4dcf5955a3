"""Where a change set goes and whom it names: the thread always; the channel too when someone must act or the
order reached its end; the watch's creator named when someone must act.

    route(changes, creator="U123")   # Route(broadcast=True, mention="U123") for an opened error
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.notify.changes import ChangeSet
from bot.notify.diff import Event, EventKind
from integrations.states import OrderState

__all__ = ["MUST_ACT_STATES", "Route", "must_act", "route"]

MUST_ACT_STATES = frozenset({OrderState.pending})
"""States that mean the buyer must act ("information required"): Orange's wholesale `pending` ("requires an action
from your side"; `held` is an issue Orange manages), TMF622's and MEF's `pending`."""


def must_act(event: Event) -> bool:
    """Whether someone has to do something about `event`: an error opened, a jeopardy alert, information required."""
    if event.kind in (EventKind.error_opened, EventKind.jeopardy_alert):
        return True
    return event.kind in (EventKind.order_state, EventKind.item_state) and event.new in MUST_ACT_STATES


@dataclass(frozen=True)
class Route:
    broadcast: bool
    """Also sent to the channel (`reply_broadcast`)."""
    mention: str | None
    """The Slack user the reply names first (what a phone's notification shows)."""


def route(changes: ChangeSet, *, creator: str | None) -> Route:
    """A reply that carries something to act on is sent to the channel and names `creator` (the watch's creator; a
    rule's watch is created by the rule's creator); a final state is sent to the channel, naming nobody: nobody has
    anything left to do."""
    act = any(must_act(e) for e in changes.events)
    final = any(e.kind is EventKind.final for e in changes.events)
    return Route(broadcast=act or final, mention=creator if act and creator else None)
