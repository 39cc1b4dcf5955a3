"""The message catalogues: every message the bot's code asks for (`_`, `n_`) has a French translation in a shipped
catalogue, with the same placeholders; every call passes literal text (an f-string would never reach a translator);
the formats follow the reader's language."""

from __future__ import annotations

import ast
import string
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir

from bot.i18n import LOCALE_DIR, catalog, day, language_of, moment, money, number, speaking

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "n_": (1, 2)}


def _extracted() -> dict[str | tuple[str, str], list[str]]:
    found: dict[str | tuple[str, str], list[str]] = {}
    method_map = [("**.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=method_map, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, []).append(f"bot/{filename}:{lineno}")
    # Babel's extractor does not see a `_()` nested in another call's keyword arguments; the syntax tree does.
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
                continue
            texts = [a.value for a in node.args[: 2 if node.func.id == "n_" else 1] if isinstance(a, ast.Constant)]
            if texts and all(isinstance(t, str) for t in texts):
                key = texts[0] if node.func.id == "_" else (texts[0], texts[1])
                found.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


MESSAGES = _extracted()


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_a_french_translation_with_the_same_placeholders() -> None:
    french = catalog("fr")
    missing, wrong = [], []
    for key, where in sorted(MESSAGES.items(), key=lambda kv: str(kv[0])):
        msgid = key if isinstance(key, str) else key[0]
        entry = french.get(msgid)
        if (
            entry is None
            or entry.fuzzy
            or not entry.string
            or (isinstance(entry.string, tuple) and not all(entry.string))
        ):
            missing.append(f"{where[0]}: {msgid!r}")
            continue
        sources = [key] if isinstance(key, str) else list(key)
        wanted = set().union(*(_fields(s) for s in sources))
        translated = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        for text in translated:
            # A plural's singular may say "un" where the source says {n}: the count's placeholder may be left out.
            if _fields(text) - wanted or (wanted - {"n"}) - _fields(text):
                wrong.append(f"{where[0]}: {msgid!r} → {text!r}")
    assert missing == [], "no French translation:\n" + "\n".join(missing)
    assert wrong == [], "placeholders differ:\n" + "\n".join(wrong)


def test_every_message_is_literal_text() -> None:
    """`_(f"…")` or `_(text)` would be looked up as whatever it holds at run time: never in a catalogue."""
    bad = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS:
                count = 2 if node.func.id == "n_" else 1
                args = node.args[:count]
                if len(args) < count or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bad == []


def test_the_catalogues_are_shipped_with_the_package() -> None:
    assert (LOCALE_DIR / "fr" / "LC_MESSAGES").is_dir()
    assert list((LOCALE_DIR / "fr" / "LC_MESSAGES").glob("*.po"))


@pytest.mark.parametrize(
    ("tag", "language"),
    [("fr-FR", "fr"), ("fr_CA", "fr"), ("FR", "fr"), ("en-GB", "en"), (None, "en"), ("de-DE", "en")],
)
def test_a_slack_locale_picks_french_or_english(tag: str | None, language: str) -> None:
    assert language_of(tag) == language


def test_numbers_money_and_dates_follow_the_language() -> None:
    at = datetime(2026, 12, 6, 13, 46, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    with speaking("fr-FR"):
        assert money(Decimal(4000), "EUR") == "4\u202f000,00\u00a0€"
        assert number(91250) == "91\u202f250"
        assert day(at) == "6 déc. 2026"
        assert moment(at, paris) == "6 déc. 2026, 14:46"
    with speaking("en-US"):
        assert money(Decimal(4000), "EUR") == "€4,000.00"
        assert day(at) == "Dec 6, 2026"
        assert moment(at, paris) == "Dec 6, 2026, 2:46\u202fPM"
