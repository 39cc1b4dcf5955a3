"""What to show under an error or for ``help``: one line per verb, each with an example.

usage("orders", enabled=["carrier"])  # 'Usage: `/orange orders [backend] [state=…]` — …'
usage(None, command="/orange-test", enabled=["carrier", "wholesale"], default_backend="carrier")
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.parser import VERB_BACKEND, VERB_TABLE, VERBS
from bot.commands.references import BACKENDS

__all__ = ["USAGE", "usage"]


_EXAMPLE_REFS = {
    "carrier": "carrier:11",
    "wholesale": "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63",
    "business": "business:W05VL130721",
}


def _render(verb: str, command: str) -> str:
    line = VERB_TABLE[verb].usage
    synopsis = "  or  ".join(f"`{command} {part}`" for part in line.synopsis.split("  or  "))
    return f"{synopsis} — {line.does}, e.g. `{command} {line.example}`"


USAGE: dict[str, str] = {verb: _render(verb, "/orange") for verb in VERBS}
"""One line per verb, for the default command ``/orange``; `usage` renders them for another command name."""


def usage(
    verb: str | None, *, command: str = "/orange", enabled: Sequence[str], default_backend: str | None = None
) -> str:
    """Usage of `verb` (one line), or the general help (every verb, then the enabled backends) when it is None."""
    on = [b for b in BACKENDS if b in {e.lower() for e in enabled}]
    if verb is not None and verb.lower() in VERB_TABLE:
        return f"Usage: {_render(verb.lower(), command)}"
    lines = [f"Usage: `{command} <command> [arguments]`; words and key=value pairs, quotes group words."]
    for name in VERBS:
        needed = VERB_BACKEND.get(name)
        missing = f" _(needs {needed}, not configured)_" if needed is not None and needed not in on else ""
        lines.append(f"• {_render(name, command)}{missing}")
    if on:
        default = f"; a bare id means {default_backend}" if default_backend and default_backend in on else ""
        lines.append(f"Backends: {', '.join(on)}{default}. A reference is backend:id, e.g. `{_EXAMPLE_REFS[on[0]]}`.")
    else:
        lines.append("No backend is configured.")
    return "\n".join(lines)
