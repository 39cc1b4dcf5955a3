"""Split the text of a slash command into positional words and ``key=value`` pairs.

    >>> tokenize('sites name="Abidjan KM4" city=Abidjan')
    Tokens(words=('sites',), pairs=(Pair(key='name', value='Abidjan KM4', raw_key='name'), ...))

Rules, in the order they apply:

- Slack escapes first: ``&amp;`` ``&lt;`` ``&gt;`` become ``&`` ``<`` ``>``; a link ``<https://x|label>`` becomes its
  label (``<https://x>`` its address); mentions (``<@U123>``, ``<#C1|general>``, ``<!here>``) stay as Slack's
  ``<@U123>`` form without their label, so they still render as mentions when echoed back.
- Whitespace (any Unicode space, tab, newline) separates words; runs collapse to one space, also inside quotes, and
  words and values are stripped. Any other control character is an error.
- Quotes group words and hide ``=``: ``"…"``, ``“…”``, ``„…“``, ``«…»`` anywhere in a word (shell-like: ``a"b c"``
  is one word ``ab c``); single quotes ``'…'`` and ``‘…’`` only at the start of a word or of a value, and only
  closed by a quote followed by a space or the end, so apostrophes (``l'église``, ``client's``) are plain letters.
  An unterminated quote is an error.
- ``key=`` starts a pair when ``key`` is unquoted and is a name (``state``, ``productOffering.id``, ``@type``);
  keys are lower-cased (the spelling as typed stays in ``raw_key``), values keep their case.
- A value runs until the next ``key=``: ``street=des fleurs nr=12`` is two pairs, and in ``state=inProgress errors``
  the word ``errors`` belongs to the value (``inProgress errors``). Words before the first ``key=`` are positional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import _

__all__ = [
    "show",
    "KEY_PATTERN",
    "Pair",
    "TokenizeError",
    "Tokens",
    "escape_slack",
    "needs_quotes",
    "quote_word",
    "tokenize",
    "unescape_slack",
]

KEY_PATTERN = r"@?[A-Za-z_][A-Za-z0-9_]*(?:\.@?[A-Za-z_][A-Za-z0-9_]*)*"
_KEY_PREFIX = re.compile(rf"^({KEY_PATTERN})=")
_SLACK = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S")

# Opening quote -> the characters that close it. Slack clients with "smart punctuation" send “…”; French
# keyboards «…»; German „…“. Some clients send ” at both ends.
_DOUBLE_QUOTES: dict[str, str] = {'"': '"', "“": "”", "”": "”", "„": "“”", "«": "»"}
_SINGLE_QUOTES: dict[str, str] = {"'": "'", "‘": "’'"}
_QUOTE_CHARS = frozenset("\"'“”„«»‘’")


class TokenizeError(ValueError):
    """The text cannot be split into words (an unterminated quote, a control character)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Pair:
    """One ``key=value``; `key` is lower case, `raw_key` is the key as typed."""

    key: str
    value: str
    raw_key: str


@dataclass(frozen=True, slots=True)
class Tokens:
    words: tuple[str, ...]
    pairs: tuple[Pair, ...]

    def keys(self) -> tuple[str, ...]:
        return tuple(pair.key for pair in self.pairs)


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_slack(text: str) -> str:
    """Slack's message formatting for plain text: `&`, `<` and `>` as entities (never a link or a mention)."""
    return text.translate(_ESCAPES)


def unescape_slack(text: str) -> str:
    """Undo Slack's message formatting: entities, ``<url|label>`` links, labelled mentions."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return _ENTITIES[match.group(2)]
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target[:1] in {"@", "#", "!"}:
            return f"<{_unescape_entities(target)}>"
        if _URL.match(target):
            return _unescape_entities(label or target)
        return f"<{_unescape_entities(inner)}>"  # a literal <…> that is no Slack markup

    return _SLACK.sub(replace, text)


def _unescape_entities(text: str) -> str:
    return re.sub(r"&(amp|lt|gt);", lambda m: _ENTITIES[m.group(1)], text)


def _control_char(text: str) -> str | None:
    for char in text:
        if not char.isspace() and (ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0):
            return char
    return None


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Word:
    text: str = ""
    # Length of the unquoted text at the start of the word: a `key=` must lie inside it.
    plain_prefix: int = 0
    quoted: bool = False


def _lex(text: str) -> list[_Word]:
    words: list[_Word] = []
    word: _Word | None = None
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            if word is not None:
                words.append(word)
                word = None
            i += 1
            continue
        if word is None:
            word = _Word()
        at_value_start = not word.quoted and (word.text == "" or _KEY_PREFIX.fullmatch(word.text) is not None)
        if char in _DOUBLE_QUOTES or (char in _SINGLE_QUOTES and at_value_start):
            closers = _DOUBLE_QUOTES.get(char) or _SINGLE_QUOTES[char]
            single = char in _SINGLE_QUOTES
            end = _find_closer(text, i + 1, closers, single=single)
            if end < 0:
                rest = _collapse(text[i + 1 :])
                shown = rest if len(rest) <= 30 else rest[:30] + "…"
                raise TokenizeError(
                    _("Unterminated quote: the {quote} before '{text}' is never closed.", quote=char, text=shown)
                )
            if not word.quoted:
                word.plain_prefix = len(word.text)
            word.text += text[i + 1 : end]
            word.quoted = True
            i = end + 1
            continue
        word.text += char
        if not word.quoted:
            word.plain_prefix = len(word.text)
        i += 1
    if word is not None:
        words.append(word)
    return words


def _find_closer(text: str, start: int, closers: str, *, single: bool) -> int:
    for j in range(start, len(text)):
        if text[j] in closers and (not single or j + 1 == len(text) or text[j + 1].isspace()):
            return j
    return -1


def tokenize(text: str) -> Tokens:
    """Split `text` into positional words (before the first ``key=``) and pairs; see the module docstring."""
    text = unescape_slack(text)
    bad = _control_char(text)
    if bad is not None:
        raise TokenizeError(_("The text contains a control character ({code}).", code=f"U+{ord(bad):04X}"))
    words: list[str] = []
    pairs: list[Pair] = []
    current: tuple[str, list[str]] | None = None  # raw key, value parts
    for word in _lex(text):
        match = _KEY_PREFIX.match(word.text[: word.plain_prefix])
        if match is not None:
            if current is not None:
                pairs.append(_pair(*current))
            current = (match.group(1), [word.text[match.end() :]])
        elif current is not None:
            current[1].append(word.text)
        else:
            words.append(_collapse(word.text))
    if current is not None:
        pairs.append(_pair(*current))
    return Tokens(words=tuple(words), pairs=tuple(pairs))


def _pair(raw_key: str, parts: list[str]) -> Pair:
    return Pair(key=raw_key.lower(), value=_collapse(" ".join(parts)), raw_key=raw_key)


def needs_quotes(text: str) -> bool:
    """Whether `text` would not come back from `tokenize` as the same single word or value unless quoted."""
    return (
        not text
        or any(char.isspace() for char in text)
        or any(char in _QUOTE_CHARS for char in text)
        or _KEY_PREFIX.match(text) is not None
    )


def quote_word(text: str) -> str:
    """Render `text` so that `tokenize` reads it back as one word or one value: Slack-escaped, quoted when needed.

    `text` should already be normalised (no control characters, single spaces, stripped); raises `ValueError` when
    every kind of quote appears in it.
    """
    escaped = escape_slack(text)
    if not needs_quotes(text):
        return escaped
    for opener, closer in (('"', '"'), ("“", "”"), ("«", "»"), ("'", "'")):
        if opener not in text and closer not in text:
            return f"{opener}{escaped}{closer}"
    raise ValueError(f"{text!r} holds every kind of quote and cannot be written as one word")


def show(text: str, limit: int = 40) -> str:
    """Text quoted back in a message, cut after `limit` characters."""
    return text if len(text) <= limit else text[:limit] + "…"
