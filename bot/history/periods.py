"""A report's period, as typed (`last 30d`, `2026-11`, `2026-10-01..2026-11-30`), read in a time zone at a moment.

    resolve_period("2026-11", now=now, tz=ZoneInfo("Europe/Paris"))   # [1 Nov 00:00 Paris, 1 Dec 00:00 Paris)

`last <n>d` and `last <n>w` end now; a month and a range of days run from the first day's midnight to the midnight
after the last day, in `tz`. The command parser (`bot.commands.history`) has checked the text already.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.history.compute import Period

__all__ = ["resolve_period"]

_LAST = re.compile(r"^last (\d+)([dw])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def resolve_period(spec: str, *, now: datetime, tz: tzinfo | None = None) -> Period:
    """The period `spec` names, as aware UTC bounds; ValueError for a text the parser would have refused."""
    zone = tz or UTC
    if match := _LAST.match(spec):
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        return Period(start=now - timedelta(days=days), end=now)
    if match := _MONTH.match(spec):
        year, month = int(match.group(1)), int(match.group(2))
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return Period(start=_midnight(first, zone), end=_midnight(following, zone))
    if match := _RANGE.match(spec):
        first, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        return Period(start=_midnight(first, zone), end=_midnight(last + timedelta(days=1), zone))
    raise ValueError(f"not a period: {spec!r}")
