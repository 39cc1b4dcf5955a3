"""Every word the bot writes, in English or French: gettext catalogues read with Babel, numbers, money and dates
formatted by Babel for the reader's language.

    from bot.i18n import _, n_, speaking

    _("Watching {order} here.", order=label)          # the source is English; French from bot/locale/fr
    n_("{n} open error", "{n} open errors", 3)         # plural forms, `n` is given to the placeholders
    with speaking("fr"):                               # a request, an outbox row: who reads decides
        _("Unknown command")                           # "Commande inconnue"
    money(Decimal("4000"), "EUR")                      # "4 000,00 €" in French, "€4,000.00" in English
    day(moment)                                        # "6 déc. 2026" / "Dec 6, 2026"

The language is a context variable: a listener sets it from the user's Slack locale (a private answer, App Home, a
DM) or the channel's setting (a channel post), and everything below speaks it without being handed it. Placeholders
are named (`{order}`) so a translator can move them; Orange's own texts are placeholders' values, never translated.

Catalogues: `bot/locale/messages.pot` (extracted: `make messages`) and the French `.po` files under
`bot/locale/fr/LC_MESSAGES/` (one per part of the bot), compiled in memory when first used (no build step can
forget them: the package and the image carry the `.po`).
A message missing from the French catalogue falls back to English; `tests/test_catalogue.py` fails on any.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
from collections.abc import Iterator
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "Language",
    "_",
    "catalog",
    "day",
    "language",
    "language_of",
    "moment",
    "money",
    "n_",
    "number",
    "speak",
    "speaking",
]

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_language: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


def language_of(tag: str | None) -> Language:
    """The language the bot speaks for a Slack locale (`fr-FR`, `fr-CA`, `en-GB`…) or a setting (`fr`): French for
    any French, English otherwise."""
    base = (tag or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return "fr" if base == "fr" else "en"


def language() -> Language:
    """The language being spoken now."""
    return _language.get()


@contextlib.contextmanager
def speaking(tag: str | None) -> Iterator[Language]:
    """Speak `tag`'s language (a Slack locale or a setting) inside the block."""
    token = _language.set(language_of(tag))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def speak(tag: str | None) -> Language:
    """Speak `tag`'s language for the rest of the current context: a request's middleware, as bolt runs the listener
    after its middleware have returned (each request runs in a context of its own)."""
    lang = language_of(tag)
    _language.set(lang)
    return lang


def catalog(lang: Language) -> Catalog:
    """Every translation of `lang`: the `.po` files of `bot/locale/<lang>/LC_MESSAGES/`, read together (one per
    part of the bot, so that parts are translated side by side; a message is in one of them)."""
    merged = Catalog(locale=lang, domain=DOMAIN)
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as source:
            part = read_po(source, locale=lang, domain=DOMAIN)
        # The files' Plural-Forms (French: 2 forms, n > 1), not Babel's CLDR rule for the locale (3 forms for French
        # since CLDR 42): with that rule the compiled catalogue asks for a third form no file has, and every French
        # plural above one fell back to English.
        merged.mime_headers = [("Plural-Forms", part.plural_forms)]
        for message in part:
            if message.id and not message.fuzzy:
                merged[message.id] = message
    return merged


@functools.cache
def translations(lang: Language) -> NullTranslations:
    """The catalogue of `lang`, compiled in memory once per process (English is the source: no catalogue)."""
    if lang == DEFAULT_LANGUAGE:
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, catalog(lang), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _(message: str, /, **params: Any) -> str:
    """`message` (English, the msgid) in the language spoken now, its `{placeholders}` filled from `params`."""
    text = translations(language()).gettext(message)
    return text.format(**params) if params else text


def n_(singular: str, plural: str, n: int, /, **params: Any) -> str:
    """The singular or plural form for `n` in the language spoken now (French: 0 and 1 are singular); `{n}` and
    `params` fill the placeholders."""
    text = translations(language()).ngettext(singular, plural, n)
    return text.format(n=number(n), **params)


def _locale() -> Locale:
    return Locale.parse("fr_FR" if language() == "fr" else "en_US")


def number(value: int | float | Decimal) -> str:
    """`4 000` / `4,000`."""
    return format_decimal(value, locale=_locale())


def money(amount: Decimal | int | float, currency: str) -> str:
    """`4 000,00 €` / `€4,000.00`."""
    return format_currency(amount, currency, locale=_locale())


def day(value: datetime, tz: tzinfo | None = None) -> str:
    """`6 déc. 2026` / `Dec 6, 2026`, in the reader's zone `tz` (UTC by default)."""
    return format_date(value.astimezone(tz) if tz is not None else value, format="medium", locale=_locale())


def moment(value: datetime, tz: tzinfo | None = None) -> str:
    """`6 déc. 2026, 14:46` / `Dec 6, 2026, 2:46 PM`, in the reader's zone `tz`."""
    return f"{day(value, tz)}, {format_time(value, format='short', tzinfo=tz, locale=_locale())}"
