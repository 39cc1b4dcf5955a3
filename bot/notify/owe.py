"""What one read of a watched order owes its thread, written to the outbox inside the caller's transaction.

    owed = Owed(session, watch, now=ctx.now())
    owed.changes(events, view)             # ONE row for every event of this read (a change set), or none
    owed.root(view, transitions=…)         # the root edited to show the order as it is now
    owed.failing("InternalServerError")    # a watch that cannot be read, once per streak; .recovered() after
    owed.final(view)                       # the order is final: the approvals that placed or cancelled it say so

The rows' posting order is their creation, then `seq` (kept in the payload). A change set's row carries the events
(rendered when sent: `bot.notify.render`), the order's label fields (`label_view`: the buyer's reference, the
description, the place, the carrier site to name), where it goes (`broadcast`) and whom it names (`mention`), as
`bot.notify.routing` decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.approvals.cards import FINAL_AT, FINAL_STATE
from bot.notify.changes import CHANGES, change_set
from bot.notify.diff import Event, NoticeKind, OutboxKind
from bot.notify.render import NOTICE
from bot.notify.routing import ChannelRules, in_thread, route
from integrations.views import OrderView, ProductView, label_view
from storage import crud
from storage.columns import utcnow
from storage.digest import short_digest

__all__ = ["Owed"]


class _Watch(Protocol):
    @property
    def id(self) -> Any: ...
    @property
    def backend(self) -> str: ...
    @property
    def order_id(self) -> str: ...
    @property
    def created_by(self) -> str: ...
    @property
    def team_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def thread_ts(self) -> str | None: ...


class Owed:
    """The rows one read of one watch owes, in posting order."""

    def __init__(self, session: Session, watch: _Watch, *, now: datetime | None = None) -> None:
        """`now`: the notifier's clock (`BotContext.now()`): the rows' creation and first attempt."""
        self.session = session
        self.watch = watch
        self.now = now
        self.seq = 0
        self.reference = f"{watch.backend}:{watch.order_id}"
        self._rules: ChannelRules | None = None

    @property
    def rules(self) -> ChannelRules:
        """The channel's settings, read once per read of the order, in the poll's own transaction."""
        if self._rules is None:
            found = crud.get_channel_settings(
                session=self.session, team_id=self.watch.team_id, channel_id=self.watch.channel_id
            )
            self._rules = ChannelRules(thread=found.thread, broadcast=found.broadcast, mention=found.mention)
        return self._rules

    def _owe(
        self, fingerprint: str, kind: OutboxKind | str, payload: dict[str, Any], *, broadcast: bool = False
    ) -> bool:
        owed = crud.enqueue_outbox(
            session=self.session,
            watch_id=self.watch.id,
            fingerprint=fingerprint,
            kind=kind,
            payload={**payload, "seq": self.seq},
            broadcast=broadcast,
            now=self.now,
        )
        self.seq += int(owed)
        return owed

    def changes(self, events: Sequence[Event], view: OrderView | ProductView) -> bool:
        """One reply for all of `events` (one read of the order); False when there are none, or it is owed
        already (the same read replayed)."""
        items = len(view.items) if isinstance(view, OrderView) else 0
        changes = change_set(events, items_total=items)
        if changes is None or not in_thread(changes, self.rules):
            return False
        where = route(changes, creator=self.watch.created_by, rules=self.rules)
        payload: dict[str, Any] = {"changes": changes.model_dump(mode="json")}
        if isinstance(view, OrderView):
            payload["order"] = label_view(view).model_dump(mode="json", exclude_defaults=True)
        if where.mention:
            payload["mention"] = where.mention
        return self._owe(changes.fingerprint, CHANGES, payload, broadcast=where.broadcast)

    def root(self, view: OrderView | ProductView, *, transitions: dict[str, int], errors_only: bool = False) -> None:
        """The thread root redrawn for the order as it is now (one edit per distinct history of the order)."""
        payload: dict[str, Any] = {"view": view.model_dump(mode="json")}
        if isinstance(view, OrderView):
            payload["errors_only"] = errors_only
        self._owe("root:" + short_digest(transitions), NoticeKind.root_update, payload)

    def final(self, view: OrderView) -> None:
        """The order reached a final state and its watch ends: each approval that placed or cancelled it keeps that
        state (a new version of its row) and its card is redrawn from the row, once (the version only moves
        forward, so the card never shows an older state)."""
        watch = self.watch
        found = crud.approvals_of_order(
            session=self.session,
            team_id=watch.team_id,
            channel_id=watch.channel_id,
            backend=watch.backend,
            order_id=watch.order_id,
            thread_ts=watch.thread_ts,
        )
        at = view.completion_date or self.now
        for approval in found:
            if (approval.result or {}).get(FINAL_STATE):
                continue
            final = {FINAL_STATE: view.state.value, FINAL_AT: at.isoformat() if at else None}
            if crud.add_to_result(session=self.session, approval_id=approval.id, now=self.now or utcnow(), **final):
                self._owe(f"approval_card:{approval.id}", NoticeKind.approval_card, {"approval": str(approval.id)})

    def failing(self, error: str, *, streak: str) -> None:
        """The thread told once per failure `streak` that the order cannot be read."""
        notice = {"reference": self.reference, "error": error}
        self._owe("polling_failing:" + short_digest(streak), NoticeKind.polling_failing, {NOTICE: notice})

    def recovered(self, *, streak: str) -> None:
        notice = {"reference": self.reference}
        self._owe("polling_recovered:" + short_digest(streak), NoticeKind.polling_recovered, {NOTICE: notice})
