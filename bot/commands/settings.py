"""``settings``: a channel's settings, in a modal, shown, or set as ``key=value`` pairs.

    settings                                   # SettingsOpen: the modal
    settings show                              # SettingsShow
    settings language=fr thread=errors         # SettingsSet((("language", "fr"), ("thread", "errors")))

Keys and their values (keys and words case-insensitive): ``language`` en | fr; ``thread`` everything | errors;
``broadcast`` finals_and_alerts | finals; ``mention`` nobody | creator | a user group (``@handle``, its id ``S…``,
or Slack's ``<!subteam^S…>``); ``digest`` HH:MM [tz] | off;
``approvers`` default | a user group (whose members decide the channel's approvals).
A bad key or value is one line and this usage.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.types import SettingsOpen, SettingsSet, SettingsShow
from bot.commands.verb import Args, Verbs, show
from bot.i18n import _

__all__ = ["CHOICES", "SETTINGS_VERBS", "SETTING_KEYS", "check_value"]

SETTINGS_VERBS = Verbs()
CHOICES: dict[str, tuple[str, ...]] = {
    "language": ("en", "fr"),
    "thread": ("everything", "errors"),
    "broadcast": ("finals_and_alerts", "finals"),
}
SETTING_KEYS = ("language", "thread", "broadcast", "mention", "digest", "approvers")
_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_SUBTEAM = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
_HANDLE = re.compile(r"^@[a-z0-9._-]{1,80}$")


class BadSetting(ValueError):
    """One line saying what is wrong with a value."""


def _group(word: str, keywords: tuple[str, ...]) -> str | None:
    """One of `keywords`, or a user group (`<!subteam^S…>`, `S…`, `@handle`) as stored; None when it is neither."""
    lowered = word.lower()
    if lowered in keywords:
        return lowered
    if (found := _SUBTEAM.match(word)) is not None:
        return found.group(1)
    if _GROUP_ID.match(word):
        return word
    return lowered if _HANDLE.match(lowered) else None


def check_value(key: str, value: str) -> str:
    """`value` of `key` as stored (lower-case words, `HH:MM [tz]`, a group's id or `@handle`); `BadSetting`."""
    word = value.strip()
    if key in CHOICES:
        if word.lower() not in CHOICES[key]:
            raise BadSetting(
                _(
                    "`{key}=` takes {choices}, not '{value}'.",
                    key=key,
                    choices=" | ".join(CHOICES[key]),
                    value=show(word, 40),
                )
            )
        return word.lower()
    if key in ("mention", "approvers"):
        keywords = ("nobody", "creator") if key == "mention" else ("default",)
        group = _group(word, keywords)
        if group is not None:
            return group
        if key == "mention":
            message = _(
                "`mention=` takes nobody, creator or a user group (@handle), not '{value}'.", value=show(word, 40)
            )
        else:
            message = _("`approvers=` takes default or a user group (@handle), not '{value}'.", value=show(word, 40))
        raise BadSetting(message)
    if key == "digest":
        if word.lower() == "off":
            return "off"
        at_time, _sep, tz = word.partition(" ")
        if not _HH_MM.match(at_time):
            raise BadSetting(
                _("`digest=` takes a time of day, HH:MM (e.g. 08:30), or off; not '{value}'.", value=show(word, 40))
            )
        hours, minutes = at_time.split(":")
        tz = tz.strip()
        if tz:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise BadSetting(
                    _(
                        "The digest's time zone '{zone}' is unknown; use a name such as Europe/Paris or UTC.",
                        zone=show(tz, 40),
                    )
                ) from None
        return f"{int(hours):02d}:{minutes}" + (f" {tz}" if tz else "")
    raise BadSetting(
        _("Unknown setting '{key}='; the settings are {keys}.", key=show(key, 30), keys=", ".join(SETTING_KEYS))
    )


@SETTINGS_VERBS.add(
    "settings",
    "settings  or  settings show  or  settings key=value…",
    lambda: _(
        "this channel's settings: language (en, fr), thread (everything, errors), broadcast (finals_and_alerts, "
        "finals), mention (nobody, creator, @group), digest (HH:MM, off)"
    ),
    "settings language=fr thread=errors",
)
def _settings(args: Args) -> SettingsOpen | SettingsShow | SettingsSet:
    if args.words:
        if args.words[0].lower() != "show" or args.pairs:
            raise args.fail(
                _("Unexpected '{word}': `settings` takes `show` or key=value pairs.", word=show(args.words[0]))
            )
        args.at_most(1)
        return SettingsShow()
    if not args.pairs:
        return SettingsOpen()
    values: dict[str, str] = {}
    for pair in args.pairs:
        key = pair.key
        if key in values:
            raise args.fail(_("`{key}=` is given twice.", key=key))
        try:
            values[key] = check_value(key, args.value(f"`{key}=`", pair.value))
        except BadSetting as err:
            raise args.fail(str(err)) from None
    return SettingsSet(values=tuple(values.items()))
