"""Order history (`bot.history`): kept once per (team, order, fingerprint), read back per order or per period, and
pruned a whole order at a time `HISTORY_KEEP_DAYS` after its last row (a timeline is never cut in the middle)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, delete, func, tuple_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.models import OrderHistory

from ._common import insert_ignore

__all__ = ["history_of", "keep_history", "prune_history", "report_rows"]

_KEY = ("team_id", "backend", "order_id", "fingerprint")


def keep_history(*, session: Session, team_id: str, values: dict[str, Any]) -> bool:
    """Keep one read of an order (`values`: the row's columns but the team); False when that fingerprint of that
    order is kept already (another channel's watch, a replayed read)."""
    row = {"marks": [], "moves": [], "final": False, **values, "team_id": team_id}
    return insert_ignore(session, OrderHistory, row, conflict=_KEY)


def history_of(*, session: Session, team_id: str, backend: str, order_id: str) -> list[OrderHistory]:
    """Every kept read of one order in this workspace, oldest first."""
    stmt = select(OrderHistory).where(
        col(OrderHistory.team_id) == team_id,
        col(OrderHistory.backend) == backend,
        col(OrderHistory.order_id) == order_id,
    )
    return list(session.exec(stmt.order_by(col(OrderHistory.seen_at), col(OrderHistory.fingerprint))).all())


_REPORT_COLUMNS = (
    OrderHistory.backend,
    OrderHistory.order_id,
    OrderHistory.kind,
    OrderHistory.seen_at,
    OrderHistory.happened_at,
    OrderHistory.state,
    OrderHistory.label,
    OrderHistory.order_date,
    OrderHistory.requested_date,
    OrderHistory.expected_date,
    OrderHistory.completion_date,
    OrderHistory.marks,
)


def report_rows(
    *, session: Session, team_id: str, start: datetime, end: datetime, backend: str | None = None, batch: int = 2000
) -> Iterator[Row[Any]]:
    """The rows of every order whose watched life may overlap [start, end): first seen before `end`, and seen since
    `start` or not final. Sorted by (backend, order id, seen at) and streamed `batch` rows at a time; each row has
    the columns `bot.history.keep.entry_of` reads (not `moves`)."""
    where = [col(OrderHistory.team_id) == team_id]
    if backend is not None:
        where.append(col(OrderHistory.backend) == backend)
    orders = (
        select(col(OrderHistory.backend), col(OrderHistory.order_id))
        .where(*where)
        .group_by(col(OrderHistory.backend), col(OrderHistory.order_id))
        .having(
            func.min(col(OrderHistory.seen_at)) < end,
            (func.max(col(OrderHistory.seen_at)) >= start)
            | (func.max(case((col(OrderHistory.final), 1), else_=0)) == 0),
        )
    )
    stmt = (
        select_columns(*(col(c) for c in _REPORT_COLUMNS))
        .where(*where, tuple_(col(OrderHistory.backend), col(OrderHistory.order_id)).in_(orders))
        .order_by(col(OrderHistory.backend), col(OrderHistory.order_id), col(OrderHistory.seen_at))
    )
    yield from session.execute(stmt.execution_options(yield_per=batch))


def prune_history(*, session: Session, older_than: datetime, limit: int = 500) -> int:
    """Delete the history of up to `limit` orders whose last row is older than `older_than`; how many rows went."""
    old = (
        select(col(OrderHistory.team_id), col(OrderHistory.backend), col(OrderHistory.order_id))
        .group_by(col(OrderHistory.team_id), col(OrderHistory.backend), col(OrderHistory.order_id))
        .having(func.max(col(OrderHistory.seen_at)) < older_than)
        .limit(limit)
    )
    key = tuple_(col(OrderHistory.team_id), col(OrderHistory.backend), col(OrderHistory.order_id))
    stmt = delete(OrderHistory).where(key.in_(old))
    return int(session.exec(stmt.execution_options(synchronize_session=False)).rowcount)
