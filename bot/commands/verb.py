"""One verb of ``/orange``: its parse function and usage line (`Verb`), and what that function reads (`Args`).

    LOOKUP_VERBS = Verbs()

    @LOOKUP_VERBS.add("site", "site <id>", lambda: _("one carrier site"), "site 1265904", backend="carrier")
    def _site(args: Args) -> Site: ...

`Args` holds the words and pairs after the verb, with the checks every verb shares; each check raises a
`CommandError` naming the verb, so its usage is shown under the message. Messages are written with `bot.i18n._`
when they are raised (the reader's language); what a verb does is a function, read when help is shown.
`bot.commands.parser` joins the groups of verbs into the one table.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from bot.commands.filters import PAGING_KEYS, Filters
from bot.commands.references import BACKENDS, BadReferenceError, Reference, check_backend, parse_reference
from bot.commands.tokens import Pair, show
from bot.commands.types import Command
from bot.i18n import _
from integrations import Backend

__all__ = ["MAX_VALUE_LENGTH", "Args", "CommandError", "Usage", "Verb", "Verbs", "show"]

MAX_VALUE_LENGTH = 1000


class CommandError(ValueError):
    """Bad input: `message` is one line to show, `verb` the command whose usage goes under it (None: all)."""

    def __init__(self, message: str, verb: str | None = None) -> None:
        message = _one_line(message) or _("That command could not be read.")
        super().__init__(message)
        self.message = message
        self.verb = verb


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text).strip()


@dataclass(frozen=True)
class Args:
    verb: str
    words: tuple[str, ...]  # after the verb
    pairs: tuple[Pair, ...]
    default_backend: str | None
    enabled: tuple[str, ...]
    own_backend: str | None
    """The one backend that serves the verb (`Verb.backend`), if any."""

    def fail(self, message: str) -> CommandError:
        return CommandError(message, verb=self.verb)

    def no_pairs(self) -> None:
        if self.pairs:
            raise self.fail(
                _(
                    "`{verb}` takes no key=value pairs; unexpected '{key}='.",
                    verb=self.verb,
                    key=show(self.pairs[0].raw_key),
                )
            )

    def at_most(self, count: int, *, hint: str = "") -> None:
        if len(self.words) > count:
            before = " ".join([self.verb, *self.words[:count]])
            raise self.fail(
                _("Unexpected '{word}' after `{before}`.", word=show(self.words[count]), before=show(before, 60)) + hint
            )

    def reference(self, text: str) -> Reference:
        try:
            return parse_reference(text, default_backend=self.default_backend, enabled=self.enabled)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def backend(self, text: str, *, hint: str) -> Backend:
        if ":" in text:
            raise self.fail(
                _(
                    "`{verb}` takes a backend name ({backends}), not '{text}'.",
                    verb=self.verb,
                    backends=", ".join(BACKENDS),
                    text=show(text),
                )
                + hint
            )
        try:
            return check_backend(text, enabled=self.enabled)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def own_id(self, text: str, *, what: str) -> str:
        """An id of the verb's one backend: bare, or with that backend's prefix."""
        backend = self.own_backend
        if backend is None:
            raise TypeError(f"`{self.verb}` has no backend of its own")
        ref = self.reference_for(text, backend)
        if ref.backend != backend:
            raise self.fail(
                _(
                    "{what} exists only on the {backend} backend; '{reference}' is {other}.",
                    what=what,
                    backend=backend,
                    reference=show(str(ref), 60),
                    other=ref.backend,
                )
            )
        return ref.id

    def reference_for(self, text: str, backend: str) -> Reference:
        try:
            return parse_reference(text, default_backend=backend, enabled=BACKENDS)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def keyed(self, allowed: dict[str, str], *, paged: bool = False) -> dict[str, str]:
        """The pairs as {canonical key: value}; `allowed` maps each accepted key (or alias) to its canonical key.

        `paged`: the verb shows a list page by page, so a paging key gets its own explanation."""
        found: dict[str, str] = {}
        canonical = list(dict.fromkeys(allowed.values()))
        for pair in self.pairs:
            key = allowed.get(pair.key)
            if key is None:
                if paged:
                    self._not_paging(pair.raw_key)
                close = difflib.get_close_matches(pair.key, list(allowed), n=1)
                allowed_keys = ", ".join(k + "=" for k in canonical)
                key_shown = show(pair.raw_key)
                if close:
                    raise self.fail(
                        _(
                            "Unknown key '{key}=' for `{verb}`; allowed: {allowed}. Did you mean `{close}=`?",
                            key=key_shown,
                            verb=self.verb,
                            allowed=allowed_keys,
                            close=allowed[close[0]],
                        )
                    )
                raise self.fail(
                    _(
                        "Unknown key '{key}=' for `{verb}`; allowed: {allowed}.",
                        key=key_shown,
                        verb=self.verb,
                        allowed=allowed_keys,
                    )
                )
            if key in found:
                raise self.fail(_("`{key}=` is given twice.", key=key))
            found[key] = self.value(f"`{key}=`", pair.value)
        return found

    def filter_key(self, raw_key: str, known: Filters, *, what: str, paged: bool = False) -> str:
        """`raw_key` as `known` spells it; else a one-line refusal listing the filters of `what` (``wholesale
        orders``), with a "did you mean". `paged`: as for `keyed`."""
        key = known.canonical(raw_key)
        if key is not None:
            return key
        if paged:
            self._not_paging(raw_key)
        close = known.closest(raw_key)
        if close:
            raise self.fail(
                _(
                    "{what} cannot be filtered by '{key}='; the filters are {filters}. Did you mean `{close}=`?",
                    what=what,
                    key=show(raw_key),
                    filters=known.describe(),
                    close=close,
                )
            )
        raise self.fail(
            _(
                "{what} cannot be filtered by '{key}='; the filters are {filters}.",
                what=what,
                key=show(raw_key),
                filters=known.describe(),
            )
        )

    def _not_paging(self, raw_key: str) -> None:
        if raw_key.casefold() in PAGING_KEYS:
            raise self.fail(
                _(
                    "'{key}=' is not a filter: `{verb}` pages, sorts and picks the fields itself"
                    " (Next and Previous buttons under the list).",
                    key=show(raw_key),
                    verb=self.verb,
                )
            )

    def value(self, label: str, value: str) -> str:
        if not value:
            raise self.fail(_("{label} needs a value.", label=label))
        if len(value) > MAX_VALUE_LENGTH:
            raise self.fail(
                _(
                    "{label} is {length} characters long; at most {most} are allowed.",
                    label=label,
                    length=len(value),
                    most=MAX_VALUE_LENGTH,
                )
            )
        return value

    def need(self, what: str, example: str) -> str:
        if not self.words:
            raise self.fail(
                _("`{verb}` needs {what}, e.g. `{verb} {example}`.", verb=self.verb, what=what, example=example)
            )
        return self.words[0]

    def only_word(self, what: str, example: str) -> str:
        """The verb's one word (an id, a reference): no pairs, nothing after it."""
        self.no_pairs()
        word = self.need(what, example)
        self.at_most(1)
        return word


class Usage(NamedTuple):
    synopsis: str
    """``orders [backend] [state=…]``; two forms are joined by two spaces, ``or`` and two spaces."""
    does: str | Callable[[], str]
    """What the verb does, in the reader's language: ``lambda: _("one carrier site")``, read when help is shown
    (a plain string is shown as it is)."""
    example: str

    def what_it_does(self) -> str:
        return self.does() if callable(self.does) else self.does


@dataclass(frozen=True)
class Verb:
    name: str
    parse: Callable[[Args], Command]
    usage: Usage
    backend: str | None = None
    """The one backend that serves the verb, if any: it is refused when that backend is not configured."""


_P = TypeVar("_P", bound=Callable[[Args], Command])


class Verbs(list[Verb]):
    """Verbs in the order help lists them: `@verbs.add(…)` on a parse function appends its verb."""

    def add(
        self, name: str, synopsis: str, does: str | Callable[[], str], example: str, *, backend: str | None = None
    ) -> Callable[[_P], _P]:
        def register(parse: _P) -> _P:
            self.append(Verb(name, parse, Usage(synopsis, does, example), backend))
            return parse

        return register
