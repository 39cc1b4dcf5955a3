"""Parse the text of ``/orange <verb> [arguments]`` into one typed command; one table holds every verb.

A verb is one entry of `VERB_TABLE`: its name, its parse function, its usage line and the one backend that serves
it (if any), registered by a `Verbs` group's ``add(…)`` decorator on the parse function (`bot.commands.verb`).
The parse functions are grouped by what they are about: `help` here, the lookups in `bot.commands.lookups`, the
channel's watches, rules, digests and approvals in `bot.commands.channel`, history and reports in
`bot.commands.history`; the table joins them in that order.
Each command type renders its own arguments back to text (`args()`, `bot.commands.types`), and a feature
registers the command's handler (`bot.slack.handles`). Adding a verb is: its command dataclass, its decorated
parse function, its handler.

    >>> parse("order carrier:11", default_backend="carrier", enabled=["carrier"])
    OrderGet(reference=Reference(backend='carrier', id='11'))

Verbs and keys are case-insensitive; values and ids keep their case. Bad input raises `CommandError`, whose
`message` is one line for the user and whose `verb` says which usage to show under it (`None`: the general one).
`to_text` renders a command back to text that `parse` reads as the same command.

Where the contract is silent:

- ``products`` and ``subscribe`` take the filters the backend's list documents (`bot.commands.filters`), in any case,
  and pass them on as the API spells them (``productoffering.id=`` → ``productOffering.id=``); anything else is
  refused with the list of filters and a "did you mean". Paging, sorting and field selection (``limit=``,
  ``offset=``, ``fields=``, ``sort=``, ``depth=``) are never filters: the bot pages its lists itself.
- ``products`` filters are those of the named backend's inventory, or of the default backend's when none is named;
  a backend without an inventory (business) is refused.
- Verbs bound to one backend (``sites``, ``site``, ``address``, ``quotes``, ``quote`` → carrier; ``offer`` →
  wholesale) are refused when that backend is not configured; their ids may carry that backend's prefix
  (``quote carrier:3``) and a bare id always means that backend, whatever the default backend is.
- ``orders``/``products`` without a backend mean the default backend (``backend=None``).
- ``state=`` takes one word (letters, digits, ``. _ -``; commas for several: ``state=inProgress,held``), kept as typed.
- ``address`` also accepts ``number=`` for ``nr=`` and ``zip=``/``postalcode=`` for ``postcode=``.
- ``cancel <ref> [reason]``: the reason is every following word, quoted or not (``reason=…`` works too); a word
  shaped like ``key=value`` in an unquoted reason is kept as typed.
- ``quote new`` opens the form; a quote whose id is ``new`` is ``quote carrier:new``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.commands.channel import CHANNEL_VERBS, PRODUCT_BACKENDS
from bot.commands.history import HISTORY_VERBS
from bot.commands.lookups import LOOKUP_VERBS
from bot.commands.references import BACKENDS
from bot.commands.settings import SETTINGS_VERBS
from bot.commands.tokens import TokenizeError, Tokens, tokenize
from bot.commands.types import Command, Help
from bot.commands.verb import Args, CommandError, Usage, Verb, Verbs, show
from bot.i18n import _

__all__ = ["PRODUCT_BACKENDS", "VERBS", "VERB_BACKEND", "VERB_TABLE", "CommandError", "Usage", "Verb", "parse"]

_HELP = Verbs()


@_HELP.add("help", "help [command]", lambda: _("this help, or one command's"), "help orders")
def _help(args: Args) -> Help:
    args.no_pairs()
    args.at_most(1)
    if not args.words:
        return Help()
    topic = args.words[0].lower()
    if topic not in VERBS:
        raise _unknown_verb(args.words[0])
    return Help(topic=topic)


_GROUPS = (_HELP, LOOKUP_VERBS, CHANNEL_VERBS, HISTORY_VERBS, SETTINGS_VERBS)
VERB_TABLE: dict[str, Verb] = {verb.name: verb for group in _GROUPS for verb in group}
"""Every verb, in the order help lists them."""
VERBS: tuple[str, ...] = tuple(VERB_TABLE)
VERB_BACKEND: dict[str, str] = {v.name: v.backend for v in VERB_TABLE.values() if v.backend is not None}
"""Verbs that only one backend serves."""


def _unknown_verb(word: str) -> CommandError:
    shown = show(word, 30)
    prefix, colon, _rest = word.partition(":")
    if colon and prefix.lower() in BACKENDS:
        return CommandError(
            _("Unknown command '{word}'. Did you mean `order {reference}`?", word=shown, reference=show(word, 60)),
            verb=None,
        )
    close = difflib.get_close_matches(word.lower(), VERBS, n=1, cutoff=0.6)
    if close:
        return CommandError(_("Unknown command '{word}'. Did you mean `{verb}`?", word=shown, verb=close[0]), verb=None)
    return CommandError(_("Unknown command '{word}'.", word=shown), verb=None)


def _guess_verb(text: str) -> str | None:
    first = text.split(maxsplit=1)[0].lower() if text.split() else ""
    return first if first in VERBS else None


def parse(text: str, *, default_backend: str | None, enabled: Sequence[str]) -> Command:
    """Read the text after the slash command; raises `CommandError` for anything it cannot use."""
    try:
        tokens: Tokens = tokenize(text)
    except TokenizeError as err:
        raise CommandError(err.message, verb=_guess_verb(text)) from err
    if not tokens.words:
        if tokens.pairs:
            raise CommandError(
                _("Start with a command, e.g. `sites city=Paris`, before '{key}='.", key=show(tokens.pairs[0].raw_key)),
                verb=None,
            )
        return Help()
    verb = tokens.words[0].lower()
    spec = VERB_TABLE.get(verb)
    if spec is None:
        raise _unknown_verb(tokens.words[0])
    on = tuple(b.lower() for b in enabled)
    needed = spec.backend
    if needed is not None and needed not in on:
        raise CommandError(
            _("`{verb}` needs the {backend} backend, which is not configured here.", verb=verb, backend=needed),
            verb=verb,
        )
    args = Args(
        verb=verb,
        words=tokens.words[1:],
        pairs=tokens.pairs,
        default_backend=default_backend.lower() if default_backend else None,
        enabled=on,
        own_backend=needed,
    )
    return spec.parse(args)
