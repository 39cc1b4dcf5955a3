"""Order and product references: ``backend:id`` or a bare id for the default backend.

    >>> parse_reference("Wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63", default_backend="carrier", enabled=BACKENDS)
    Reference(backend='wholesale', id='de76cfa1-9a55-412f-a9ee-61ca2f662a63')

The text is split on its first ``:`` when what comes before is a backend name (any case). A prefix made of letters
only that is no backend is refused as an unknown backend (a typo such as ``carier:11`` must not become a bare id);
an id that itself holds such a ``:`` is written with its backend, ``carrier:foo:1``. Any other text (``12:34``) is a
bare id. Ids are checked by `integrations.check_id`, the same rule the clients apply before a request.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands.tokens import show
from bot.i18n import _
from integrations import BACKENDS, Backend, InvalidReferenceError, check_id
from integrations._query import MAX_ID_LENGTH

__all__ = ["BACKENDS", "BadReferenceError", "Reference", "check_backend", "names_backend", "parse_reference"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z_\-]*$")


class BadReferenceError(ValueError):
    """A reference that names no usable backend or holds an invalid id; `message` is one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Reference:
    backend: Backend
    id: str

    def __str__(self) -> str:
        return f"{self.backend}:{self.id}"


def _names(backends: Sequence[str]) -> str:
    return ", ".join(backends) if backends else _("none")


def check_backend(name: str, *, enabled: Sequence[str]) -> Backend:
    """Return the backend called `name` (any case), refusing unknown and not configured ones."""
    backend = name.strip().lower()
    if backend not in BACKENDS:
        raise BadReferenceError(_unknown(name))
    on = [b.lower() for b in enabled]
    if backend not in on:
        raise BadReferenceError(
            _(
                "The {backend} backend is not configured here; enabled: {enabled}.",
                backend=backend,
                enabled=_names([b for b in BACKENDS if b in on]),
            )
        )
    return backend


def names_backend(text: str) -> bool:
    """Whether `text` starts with a backend prefix, known or not (``carrier:11``, ``carier:11``); ``12:34`` does not."""
    prefix, colon, _ = text.strip().partition(":")
    return bool(colon) and (prefix.lower() in BACKENDS or _NAME.match(prefix) is not None)


def parse_reference(text: str, *, default_backend: str | None, enabled: Sequence[str]) -> Reference:
    """Read ``backend:id`` or a bare id; raises `BadReferenceError` with a message for the user."""
    text = text.strip()
    prefix, colon, rest = text.partition(":")
    if colon and prefix.lower() in BACKENDS:
        backend, raw_id = check_backend(prefix, enabled=enabled), rest
    elif colon and _NAME.match(prefix):
        raise BadReferenceError(_unknown(prefix))
    else:
        if default_backend is None:
            on = [b for b in BACKENDS if b in {e.lower() for e in enabled}]
            example = f"{on[0]}:{show(text) or '11'}" if on else f"carrier:{show(text) or '11'}"
            raise BadReferenceError(
                _(
                    "'{text}' names no backend and there is no default one; write it as {example}"
                    " (enabled: {enabled}).",
                    text=show(text),
                    example=example,
                    enabled=_names(on),
                )
            )
        backend, raw_id = check_backend(default_backend, enabled=enabled), text
    _check_id(raw_id, backend)
    try:
        return Reference(backend=backend, id=check_id(raw_id, what=f"{backend} id"))
    except InvalidReferenceError as err:
        raise BadReferenceError(err.message) from err


def _check_id(text: str, backend: str) -> None:
    """The refusals of `integrations.check_id` that typed text can reach, in the reader's language."""
    if not text.strip():
        raise BadReferenceError(_("The {backend} id is empty.", backend=backend))
    if len(text) > MAX_ID_LENGTH:
        raise BadReferenceError(
            _(
                "The {backend} id is {length} characters long; at most {most} are allowed.",
                backend=backend,
                length=len(text),
                most=MAX_ID_LENGTH,
            )
        )
    if text in {".", ".."}:
        raise BadReferenceError(_("The {backend} id '{id}' is not a valid id.", backend=backend, id=text))
    for bad in ("/", "\\", "?", "#"):
        if bad in text:
            raise BadReferenceError(
                _("The {backend} id '{id}' must not contain '{character}'.", backend=backend, id=text, character=bad)
            )


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), BACKENDS, n=1)
    if close:
        return _(
            "Unknown backend '{name}'; the backends are {backends}. Did you mean `{close}`?",
            name=show(name),
            backends=_names(BACKENDS),
            close=close[0],
        )
    return _("Unknown backend '{name}'; the backends are {backends}.", name=show(name), backends=_names(BACKENDS))
