"""Column types shared by the tables: aware UTC timestamps and JSON documents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that only takes aware values and always gives back aware UTC.

    SQLite has no time zones: values are stored as UTC text and get ``tzinfo=UTC`` on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass an aware one, e.g. datetime.now(UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # The same text form for every value keeps string comparison in SQLite chronological.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQL NULL (not JSON 'null') for None; JSONB on PostgreSQL, JSON text on SQLite.
JSONDocument: JSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
