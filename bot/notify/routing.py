"""Where a change set goes and whom it names: the thread always; the channel too when someone must act or the
order reached its end; the watch's creator named when someone must act.

    route(changes, creator="U123")   # Route(broadcast=True, mention="U123") for an opened error

The channel's settings (`/orange settings`, passed in as `ChannelRules`) narrow it: `thread=errors` keeps only
change sets carrying an error, an alert or a final state (`in_thread`), `broadcast=finals` sends only final states to
the channel, `mention` names nobody, the creator, or a user group (`subteam^S123`, rendered `<!subteam^S123>`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.notify.changes import ChangeSet
from bot.notify.diff import Event, EventKind
from integrations.states import OrderState

__all__ = ["MUST_ACT_STATES", "ChannelRules", "Route", "in_thread", "must_act", "route"]

MUST_ACT_STATES = frozenset({OrderState.pending})
"""States that mean the buyer must act ("information required"): Orange's wholesale `pending` ("requires an action
from your side"; `held` is an issue Orange manages), TMF622's and MEF's `pending`."""


def must_act(event: Event) -> bool:
    """Whether someone has to do something about `event`: an error opened, a jeopardy alert, information required."""
    if event.kind in (EventKind.error_opened, EventKind.jeopardy_alert):
        return True
    return event.kind in (EventKind.order_state, EventKind.item_state) and event.new in MUST_ACT_STATES


@dataclass(frozen=True)
class ChannelRules:
    """What a channel's settings say about its threads (the defaults: everything, finals and alerts, the creator)."""

    thread: str = "everything"
    broadcast: str = "finals_and_alerts"
    mention: str = "creator"
    """`nobody`, `creator`, or a user group's id (`S…`)."""


_THREAD_ERRORS = frozenset({EventKind.error_opened, EventKind.error_closed, EventKind.jeopardy_alert, EventKind.final})


def in_thread(changes: ChangeSet, rules: ChannelRules) -> bool:
    """Whether the change set is posted at all: always, unless the channel wants errors, alerts and final states
    only and it carries none."""
    return rules.thread != "errors" or any(e.kind in _THREAD_ERRORS for e in changes.events)


@dataclass(frozen=True)
class Route:
    broadcast: bool
    """Also sent to the channel (`reply_broadcast`)."""
    mention: str | None
    """The Slack user the reply names first (what a phone's notification shows)."""


def route(changes: ChangeSet, *, creator: str | None, rules: ChannelRules | None = None) -> Route:
    """A reply that carries something to act on is sent to the channel (unless the channel wants final states only)
    and names `creator` (the watch's creator; a rule's watch is created by the rule's creator), or whom the channel
    chose; a final state is sent to the channel, naming nobody: nobody has anything left to do."""
    rules = rules or ChannelRules()
    act = any(must_act(e) for e in changes.events)
    final = any(e.kind is EventKind.final for e in changes.events)
    named: str | None = None
    if act and rules.mention == "creator":
        named = creator or None
    elif act and rules.mention.startswith("S"):
        named = f"subteam^{rules.mention}"
    return Route(broadcast=final or (act and rules.broadcast != "finals"), mention=named)
