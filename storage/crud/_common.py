"""What every crud module shares: INSERT … ON CONFLICT DO NOTHING on both databases, and loaded rows kept fresh."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

__all__ = ["insert_ignore", "refresh_loaded"]

# SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg's is gone once the cursor closes).
ROWCOUNT = {"preserve_rowcount": True}


def table_of(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]  # only table=True models have one
    assert isinstance(table, Table)
    return table


def insert_ignore(session: Session, model: type[SQLModel], values: Mapping[str, Any], conflict: Sequence[str]) -> bool:
    """INSERT the row unless one with the same `conflict` key exists; True when inserted."""
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
        result = session.exec(pg_stmt, execution_options=ROWCOUNT)
    elif dialect == "sqlite":
        lite_stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
        result = session.exec(lite_stmt, execution_options=ROWCOUNT)
    else:  # pragma: no cover - make_engine refuses other databases
        raise NotImplementedError(dialect)
    return result.rowcount == 1


def refresh_loaded(session: Session, model: type[SQLModel], pk: Any) -> None:
    """After a bulk UPDATE, bring an already loaded instance up to date."""
    obj = session.identity_map.get(session.identity_key(model, pk))
    if obj is not None:
        session.refresh(obj)
