"""The verbs about what the bot has seen: `history <ref> [csv]` (one order's timeline) and `report` (a delivery report
of the orders the workspace watched, now or every week in the channel).

    report                                   # the last 30 days, every backend
    report wholesale 2026-11 tz=Europe/Paris # a calendar month, its days read in Paris
    report last 12w                          # the last 12 weeks
    report carrier 2026-10-01..2026-11-30    # two days included, and everything between
    report weekly monday 09:00 Europe/Paris  # the last seven days, posted here every Monday at 9
    report weekly off
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.references import BACKENDS
from bot.commands.types import HistoryGet, ReportNow, ReportOff, ReportWeekly
from bot.commands.verb import Args, Verbs, show
from bot.i18n import _

__all__ = ["HISTORY_VERBS", "WEEKDAYS"]

HISTORY_VERBS = Verbs()
_verb = HISTORY_VERBS.add

WEEKDAYS: dict[str, int] = {
    **{name: n for n, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))},
    "sunday": 6,
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: n for n, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"))},
}
"""The days `report weekly` takes: English names, their three letters, and French names."""

_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_LAST = re.compile(r"^(\d{1,3})([dw])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_MOST_DAYS = 731
"""The longest period a report covers (the history is kept two years by default)."""


@_verb(
    "history",
    "history <ref> [csv]",
    lambda: _("an order's timeline: states and how long, errors opened and closed, milestones, approvals"),
    "history wholesale:W-1001",
)
def _history(args: Args) -> HistoryGet:
    args.no_pairs()
    word = args.need(_("an order reference"), "wholesale:W-1001")
    csv = len(args.words) > 1 and args.words[1].lower() == "csv"
    if len(args.words) > 1 and not csv:
        raise args.fail(_("Unexpected '{word}'; the only option of `history` is `csv`.", word=show(args.words[1])))
    args.at_most(2)
    return HistoryGet(reference=args.reference(word), csv=csv)


@_verb(
    "report",
    "report [backend] [last 30d | 2026-11 | from..to] [tz=…]  or  report weekly <day> HH:MM [tz] | off",
    lambda: _("delivery report of the watched orders: counts, lead times, on time, time per state, error reasons"),
    "report wholesale 2026-11",
)
def _report(args: Args) -> ReportNow | ReportWeekly | ReportOff:
    words = list(args.words)
    if words and words[0].lower() == "weekly":
        return _weekly(args)
    tz = _tz(args)
    backend = None
    if words and words[0].lower() in BACKENDS:
        backend = args.backend(words.pop(0), hint="")
    period = _period(args, words)
    return ReportNow(backend=backend, period=period, tz=tz)


def _tz(args: Args) -> str | None:
    found = args.keyed({"tz": "tz", "timezone": "tz"})
    zone = found.get("tz")
    if zone is not None:
        _check_zone(args, zone)
    return zone


def _check_zone(args: Args, zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise args.fail(
            _("'{zone}' is not a time zone; use a name such as Europe/Paris or UTC.", zone=show(zone))
        ) from None


def _period(args: Args, words: list[str]) -> str:
    example = _("e.g. `last 30d`, `last 12w`, `2026-11` or `2026-10-01..2026-11-30`")
    if not words:
        return "last 30d"
    first = words[0].lower()
    if first == "last":
        if len(words) < 2 or not (match := _LAST.match(words[1].lower())):
            raise args.fail(_("`last` takes a number of days or weeks, {example}.", example=example))
        rest = words[2:]
        count, unit = int(match.group(1)), match.group(2)
        if count < 1 or count * (7 if unit == "w" else 1) > _MOST_DAYS:
            raise args.fail(_("A report covers 1 day to 2 years; '{word}' is not in that range.", word=show(words[1])))
        period = f"last {count}{unit}"
    elif match := _MONTH.match(first):
        rest = words[1:]
        if not 1 <= int(match.group(2)) <= 12:
            raise args.fail(_("'{word}' is not a month; {example}.", word=show(words[0]), example=example))
        period = first
    elif match := _RANGE.match(first):
        rest = words[1:]
        try:
            start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        except ValueError:
            raise args.fail(_("'{word}' has a day that does not exist.", word=show(words[0]))) from None
        if end < start:
            raise args.fail(_("The period '{word}' ends before it starts.", word=show(words[0])))
        if (end - start).days >= _MOST_DAYS:
            raise args.fail(_("A report covers 1 day to 2 years; '{word}' is not in that range.", word=show(words[0])))
        period = f"{start.isoformat()}..{end.isoformat()}"
    else:
        raise args.fail(_("'{word}' is not a period; {example}.", word=show(words[0]), example=example))
    if rest:
        raise args.fail(_("Unexpected '{word}' after the period.", word=show(rest[0])))
    return period


def _weekly(args: Args) -> ReportWeekly | ReportOff:
    args.no_pairs()
    words = args.words
    if len(words) > 1 and words[1].lower() == "off":
        args.at_most(2)
        return ReportOff()
    example = "`report weekly monday 09:00 Europe/Paris`"
    if len(words) < 3 or words[1].lower() not in WEEKDAYS or not _HH_MM.match(words[2]):
        raise args.fail(_("`report weekly` needs a day and a time of day, e.g. {example}.", example=example))
    args.at_most(4)
    hours, minutes = words[2].split(":")
    tz = words[3] if len(words) > 3 else "UTC"
    _check_zone(args, tz)
    return ReportWeekly(weekday=WEEKDAYS[words[1].lower()], at_time=f"{int(hours):02d}:{minutes}", tz=tz)
