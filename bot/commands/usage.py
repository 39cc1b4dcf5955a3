"""What to show under an error or for ``help``: one line per verb, each with an example, in the reader's language.

usage("orders", enabled=["carrier"])  # 'Usage: `/orange orders [backend] [state=…]` — …'
usage(None, command="/orange-test", enabled=["carrier", "wholesale"], default_backend="carrier")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from bot.commands.parser import VERB_BACKEND, VERB_TABLE, VERBS
from bot.commands.references import BACKENDS
from bot.i18n import _

__all__ = ["USAGE", "usage"]


_EXAMPLE_REFS = {
    "carrier": "carrier:11",
    "wholesale": "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63",
    "business": "business:W05VL130721",
}


def _render(verb: str, command: str) -> str:
    line = VERB_TABLE[verb].usage
    synopsis = _("  or  ").join(f"`{command} {part}`" for part in line.synopsis.split("  or  "))
    return _(
        "{synopsis} — {does}, e.g. `{command} {example}`",
        synopsis=synopsis,
        does=line.what_it_does(),
        command=command,
        example=line.example,
    )


class _Usage(Mapping[str, str]):
    """One line per verb for ``/orange``, rendered when read (so in the language spoken then)."""

    def __getitem__(self, verb: str) -> str:
        if verb not in VERB_TABLE:
            raise KeyError(verb)
        return _render(verb, "/orange")

    def __iter__(self) -> Iterator[str]:
        return iter(VERBS)

    def __len__(self) -> int:
        return len(VERBS)


USAGE: Mapping[str, str] = _Usage()
"""One line per verb, for the default command ``/orange``; `usage` renders them for another command name."""


def usage(
    verb: str | None, *, command: str = "/orange", enabled: Sequence[str], default_backend: str | None = None
) -> str:
    """Usage of `verb` (one line), or the general help (every verb, then the enabled backends) when it is None."""
    on = [b for b in BACKENDS if b in {e.lower() for e in enabled}]
    if verb is not None and verb.lower() in VERB_TABLE:
        return _("Usage: {line}", line=_render(verb.lower(), command))
    lines = [
        _("Usage: `{command} <command> [arguments]`; words and key=value pairs, quotes group words.", command=command)
    ]
    for name in VERBS:
        needed = VERB_BACKEND.get(name)
        if needed is not None and needed not in on:
            lines.append(
                "• " + _("{line} _(needs {backend}, not configured)_", line=_render(name, command), backend=needed)
            )
        else:
            lines.append(f"• {_render(name, command)}")
    if on:
        example = _EXAMPLE_REFS[on[0]]
        backends = ", ".join(on)
        if default_backend and default_backend in on:
            lines.append(
                _(
                    "Backends: {backends}; a bare id means {default}. A reference is backend:id, e.g. `{example}`.",
                    backends=backends,
                    default=default_backend,
                    example=example,
                )
            )
        else:
            lines.append(
                _(
                    "Backends: {backends}. A reference is backend:id, e.g. `{example}`.",
                    backends=backends,
                    example=example,
                )
            )
    else:
        lines.append(_("No backend is configured."))
    return "\n".join(lines)
