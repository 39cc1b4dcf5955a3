"""What to show under an error or for ``help``: one line per verb, each with an example (CONTRACT §3).

usage("orders", enabled=["carrier"])  # 'Usage: `/orange orders [backend] [state=…]` — …'
usage(None, command="/orange-test", enabled=["carrier", "wholesale"], default_backend="carrier")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.commands.parser import VERB_BACKEND, VERBS
from bot.commands.references import BACKENDS

__all__ = ["USAGE", "usage"]


class _Line(NamedTuple):
    synopsis: str
    does: str
    example: str


_LINES: dict[str, _Line] = {
    "help": _Line("help [command]", "this help, or one command's", "help orders"),
    "sites": _Line(
        "sites [city=…] [country=…] [name=…]  or  sites <text>", "carrier geographic sites", "sites city=Abidjan"
    ),
    "site": _Line("site <id>", "one carrier site", "site 1"),
    "address": _Line(
        "address street=… nr=… city=… postcode=… country=…",
        "carrier address validation: best match and alternatives",
        "address street=des fleurs nr=12 city=Paris country=FR",
    ),
    "quotes": _Line("quotes", "carrier quotes", "quotes"),
    "quote": _Line("quote <id>  or  quote new", "one carrier quote, or the form for a new one", "quote 3"),
    "orders": _Line("orders [backend] [state=…]", "orders with their state", "orders wholesale state=inProgress"),
    "order": _Line("order <ref>", "one order: state, items, prices, error messages, milestones", "order carrier:11"),
    "products": _Line(
        "products [backend] [key=value…]", "inventory", "products wholesale productOffering.id=O40160084003"
    ),
    "product": _Line("product <ref>", "one product of the inventory", "product business:W05VL130721"),
    "offer": _Line("offer <id>", "a wholesale catalog product offering", "offer O40160084003"),
    "watch": _Line(
        "watch <ref> [errors]", "follow an order in this channel (errors: only errors and the end)", "watch carrier:11"
    ),
    "unwatch": _Line("unwatch <ref>", "stop following an order", "unwatch carrier:11"),
    "watches": _Line("watches", "the orders followed in this channel", "watches"),
    "cancel": _Line(
        "cancel <ref> [reason]",
        "ask for approval to cancel a wholesale order",
        'cancel wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63 "client changed his mind"',
    ),
}


_EXAMPLE_REFS = {
    "carrier": "carrier:11",
    "wholesale": "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63",
    "business": "business:W05VL130721",
}


def _render(verb: str, command: str) -> str:
    line = _LINES[verb]
    synopsis = "  or  ".join(f"`{command} {part}`" for part in line.synopsis.split("  or  "))
    return f"{synopsis} — {line.does}, e.g. `{command} {line.example}`"


USAGE: dict[str, str] = {verb: _render(verb, "/orange") for verb in VERBS}
"""One line per verb, for the default command ``/orange``; `usage` renders them for another command name."""


def usage(
    verb: str | None, *, command: str = "/orange", enabled: Sequence[str], default_backend: str | None = None
) -> str:
    """Usage of `verb` (one line), or the general help (every verb, then the enabled backends) when it is None."""
    on = [b for b in BACKENDS if b in {e.lower() for e in enabled}]
    if verb is not None and verb.lower() in _LINES:
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
