"""Parse the text of ``/orange <verb> [arguments]`` into one typed command; one table holds every verb.

A verb is one entry of `VERB_TABLE`: its name, its parse function, its usage line and the one backend that serves
it (if any), registered by the `@_verb(…)` decorator on the parse function. Each command type renders its own
arguments back to text (`args()`), and a feature registers the command's handler (`bot.slack.handles`). Adding a
verb is: its command dataclass, its decorated parse function, its handler.

    >>> parse("order carrier:11", default_backend="carrier", enabled=["carrier"])
    OrderGet(reference=Reference(backend='carrier', id='11'))

Verbs and keys are case-insensitive; values and ids keep their case. Bad input raises `CommandError`, whose
`message` is one line for the user and whose `verb` says which usage to show under it (`None`: the general one).
`to_text` renders a command back to text that `parse` reads as the same command.

Where the contract is silent:

- ``products`` filters keep the key as typed (``productOffering.id``): the API's names are camelCase, so only that
  verb's keys are passed through unchanged; every other verb matches its keys in any case.
- Verbs bound to one backend (``sites``, ``site``, ``address``, ``quotes``, ``quote`` → carrier; ``offer`` →
  wholesale) are refused when that backend is not configured; their ids may carry that backend's prefix
  (``quote carrier:3``) and a bare id always means that backend, whatever the default backend is.
- ``orders``/``products`` without a backend mean every enabled backend (``backend=None``).
- ``state=`` takes one word (letters, digits, ``. _ -``; commas for several: ``state=inProgress,held``), kept as typed.
- ``address`` also accepts ``number=`` for ``nr=`` and ``zip=``/``postalcode=`` for ``postcode=``.
- ``cancel <ref> [reason]``: the reason is every following word, quoted or not (``reason=…`` works too); a word
  shaped like ``key=value`` in an unquoted reason is kept as typed.
- ``quote new`` opens the form; a quote whose id is ``new`` is ``quote carrier:new``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.references import BACKENDS, BadReferenceError, Reference, check_backend, parse_reference
from bot.commands.tokens import Pair, TokenizeError, Tokens, tokenize
from bot.commands.types import (
    Address,
    Cancel,
    Command,
    DigestDaily,
    DigestNow,
    DigestOff,
    Help,
    Offer,
    OrderGet,
    Orders,
    ProductGet,
    Products,
    QuoteGet,
    QuoteNew,
    Quotes,
    Site,
    Sites,
    Subscribe,
    Subscriptions,
    Unsubscribe,
    Unwatch,
    UnwatchProduct,
    Watches,
    WatchOrder,
    WatchProduct,
)
from integrations import Backend
from integrations.orders import SOURCES

__all__ = ["PRODUCT_BACKENDS", "VERBS", "VERB_BACKEND", "VERB_TABLE", "CommandError", "Usage", "Verb", "parse"]

MAX_VALUE_LENGTH = 1000
PRODUCT_BACKENDS = ("carrier", "wholesale")
"""Backends with a product inventory."""
_STATE = re.compile(r"^[A-Za-z0-9_.,\-]+$")


class CommandError(ValueError):
    """Bad input: `message` is one line to show, `verb` the command whose usage goes under it (None: all)."""

    def __init__(self, message: str, verb: str | None = None) -> None:
        message = _one_line(message) or "That command could not be read."
        super().__init__(message)
        self.message = message
        self.verb = verb


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text).strip()


def _show(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# --- parsing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Args:
    verb: str
    words: tuple[str, ...]  # after the verb
    pairs: tuple[Pair, ...]
    default_backend: str | None
    enabled: tuple[str, ...]

    def fail(self, message: str) -> CommandError:
        return CommandError(message, verb=self.verb)

    def no_pairs(self) -> None:
        if self.pairs:
            raise self.fail(f"`{self.verb}` takes no key=value pairs; unexpected '{_show(self.pairs[0].raw_key)}='.")

    def at_most(self, count: int, *, hint: str = "") -> None:
        if len(self.words) > count:
            before = " ".join([self.verb, *self.words[:count]])
            raise self.fail(f"Unexpected '{_show(self.words[count])}' after `{_show(before, 60)}`.{hint}")

    def reference(self, text: str) -> Reference:
        try:
            return parse_reference(text, default_backend=self.default_backend, enabled=self.enabled)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def backend(self, text: str, *, hint: str) -> Backend:
        if ":" in text:
            raise self.fail(f"`{self.verb}` takes a backend name ({', '.join(BACKENDS)}), not '{_show(text)}'.{hint}")
        try:
            return check_backend(text, enabled=self.enabled)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def own_id(self, text: str, *, what: str) -> str:
        """An id of the verb's one backend: bare, or with that backend's prefix."""
        backend = VERB_BACKEND[self.verb]
        ref = self.reference_for(text, backend)
        if ref.backend != backend:
            raise self.fail(f"A {what} exists only on the {backend} backend; '{_show(str(ref), 60)}' is {ref.backend}.")
        return ref.id

    def reference_for(self, text: str, backend: str) -> Reference:
        try:
            return parse_reference(text, default_backend=backend, enabled=BACKENDS)
        except BadReferenceError as err:
            raise self.fail(err.message) from err

    def keyed(self, allowed: dict[str, str]) -> dict[str, str]:
        """The pairs as {canonical key: value}; `allowed` maps each accepted key (or alias) to its canonical key."""
        found: dict[str, str] = {}
        canonical = list(dict.fromkeys(allowed.values()))
        for pair in self.pairs:
            key = allowed.get(pair.key)
            if key is None:
                close = difflib.get_close_matches(pair.key, list(allowed), n=1)
                hint = f" Did you mean `{allowed[close[0]]}=`?" if close else ""
                raise self.fail(
                    f"Unknown key '{_show(pair.raw_key)}=' for `{self.verb}`; allowed: "
                    f"{', '.join(k + '=' for k in canonical)}.{hint}"
                )
            if key in found:
                raise self.fail(f"`{key}=` is given twice.")
            found[key] = self.value(f"`{key}=`", pair.value)
        return found

    def value(self, label: str, value: str) -> str:
        if not value:
            raise self.fail(f"{label} needs a value.")
        if len(value) > MAX_VALUE_LENGTH:
            raise self.fail(f"{label} is {len(value)} characters long; at most {MAX_VALUE_LENGTH} are allowed.")
        return value

    def need(self, what: str, example: str) -> str:
        if not self.words:
            raise self.fail(f"`{self.verb}` needs {what}, e.g. `{self.verb} {example}`.")
        return self.words[0]


class Usage(NamedTuple):
    synopsis: str
    """``orders [backend] [state=…]``; two forms are joined by two spaces, ``or`` and two spaces."""
    does: str
    example: str


@dataclass(frozen=True)
class Verb:
    name: str
    parse: Callable[[_Args], Command]
    usage: Usage
    backend: str | None = None
    """The one backend that serves the verb, if any: it is refused when that backend is not configured."""


VERB_TABLE: dict[str, Verb] = {}
"""Every verb, in the order help lists them."""

_P = TypeVar("_P", bound=Callable[[_Args], Command])


def _verb(name: str, synopsis: str, does: str, example: str, *, backend: str | None = None) -> Callable[[_P], _P]:
    def register(parse: _P) -> _P:
        VERB_TABLE[name] = Verb(name, parse, Usage(synopsis, does, example), backend)
        return parse

    return register


@_verb("help", "help [command]", "this help, or one command's", "help orders")
def _help(args: _Args) -> Help:
    args.no_pairs()
    args.at_most(1)
    if not args.words:
        return Help()
    topic = args.words[0].lower()
    if topic not in VERBS:
        raise _unknown_verb(args.words[0])
    return Help(topic=topic)


@_verb(
    "sites",
    "sites [city=…] [country=…] [name=…]  or  sites <text>",
    "carrier geographic sites",
    "sites city=Abidjan",
    backend="carrier",
)
def _sites(args: _Args) -> Sites:
    found = args.keyed({"city": "city", "country": "country", "name": "name"})
    text = " ".join(word for word in args.words if word) or None
    if text is not None:
        text = args.value("The search text", text)
    return Sites(city=found.get("city"), country=found.get("country"), name=found.get("name"), text=text)


@_verb("site", "site <id>", "one carrier site", "site 1", backend="carrier")
def _site(args: _Args) -> Site:
    args.no_pairs()
    word = args.need("a site id", "1")
    args.at_most(1)
    return Site(site_id=args.own_id(word, what="site"))


_ADDRESS_KEYS = {
    "street": "street",
    "nr": "nr",
    "number": "nr",
    "city": "city",
    "postcode": "postcode",
    "zip": "postcode",
    "postalcode": "postcode",
    "country": "country",
}


@_verb(
    "address",
    "address street=… nr=… city=… postcode=… country=…",
    "carrier address validation: best match and alternatives",
    "address street=des fleurs nr=12 city=Paris country=FR",
    backend="carrier",
)
def _address(args: _Args) -> Address:
    if args.words:
        raise args.fail(
            f"`address` takes key=value pairs only (street=… nr=… city=… postcode=… country=…);"
            f" unexpected '{_show(args.words[0])}'."
        )
    found = args.keyed(_ADDRESS_KEYS)
    if "street" not in found:
        raise args.fail("`address` needs street=…, e.g. `address street=des fleurs nr=12 city=Paris`.")
    if "city" not in found and "postcode" not in found:
        raise args.fail("`address` needs a city=… or a postcode=… with the street.")
    return Address(
        street=found["street"],
        number=found.get("nr"),
        city=found.get("city"),
        postcode=found.get("postcode"),
        country=found.get("country"),
    )


@_verb("quotes", "quotes", "carrier quotes", "quotes", backend="carrier")
def _quotes(args: _Args) -> Quotes:
    args.no_pairs()
    args.at_most(0, hint=f" For one quote: `quote {_show(args.words[0])}`." if args.words else "")
    return Quotes()


@_verb(
    "quote", "quote <id>  or  quote new", "one carrier quote, or the form for a new one", "quote 3", backend="carrier"
)
def _quote(args: _Args) -> QuoteGet | QuoteNew:
    args.no_pairs()
    word = args.need("a quote id or `new`", "3")
    args.at_most(1)
    if word.lower() == "new":
        return QuoteNew()
    return QuoteGet(reference=Reference("carrier", args.own_id(word, what="quote")))


@_verb("orders", "orders [backend] [state=…]", "orders with their state", "orders wholesale state=inProgress")
def _orders(args: _Args) -> Orders:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=f" For one order: `order {_show(args.words[0])}`.")
    state = args.keyed({"state": "state"}).get("state")
    if state is not None and not _STATE.match(state):
        raise args.fail(
            f"`state=` takes one state such as inProgress (several: inProgress,held), not '{_show(state)}';"
            " a value runs until the next key=, so put other words before it."
        )
    return Orders(backend=backend, state=state)


@_verb("order", "order <ref>", "one order: state, items, prices, error messages, milestones", "order carrier:11")
def _order(args: _Args) -> OrderGet:
    args.no_pairs()
    word = args.need("an order reference", "carrier:11")
    args.at_most(1)
    return OrderGet(reference=args.reference(word))


@_verb("products", "products [backend] [key=value…]", "inventory", "products wholesale productOffering.id=O40160084003")
def _products(args: _Args) -> Products:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=f" For one product: `product {_show(args.words[0])}`.")
    filters = tuple((pair.raw_key, args.value(f"`{pair.raw_key}=`", pair.value)) for pair in args.pairs)
    return Products(backend=backend, filters=filters)


@_verb("product", "product <ref>", "one product of the inventory", "product business:W05VL130721")
def _product(args: _Args) -> ProductGet:
    args.no_pairs()
    word = args.need("a product reference", "wholesale:2c9004647f69a6da017f6a1c55ba0000")
    args.at_most(1)
    return ProductGet(reference=args.reference(word))


@_verb("offer", "offer <id>", "a wholesale catalog product offering", "offer O40160084003", backend="wholesale")
def _offer(args: _Args) -> Offer:
    args.no_pairs()
    word = args.need("a product offering id", "O40160084003")
    args.at_most(1)
    return Offer(offering_id=args.own_id(word, what="product offering"))


@_verb(
    "watch",
    "watch <ref> [errors]  or  watch product <ref>",
    "follow an order (errors: only errors and the end), or a product's status, in this channel",
    "watch carrier:11",
)
def _watch(args: _Args) -> WatchOrder | WatchProduct:
    args.no_pairs()
    word = args.need("an order reference", "carrier:11")
    if word.lower() == "product":
        return WatchProduct(reference=_product_reference(args))
    errors_only = len(args.words) > 1 and args.words[1].lower() == "errors"
    if len(args.words) > 1 and not errors_only:
        raise args.fail(f"Unexpected '{_show(args.words[1])}'; the only option of `watch` is `errors`.")
    args.at_most(2)
    return WatchOrder(reference=args.reference(word), errors_only=errors_only)


@_verb(
    "unwatch", "unwatch <ref>  or  unwatch product <ref>", "stop following an order or a product", "unwatch carrier:11"
)
def _unwatch(args: _Args) -> Unwatch | UnwatchProduct:
    args.no_pairs()
    word = args.need("an order reference", "carrier:11")
    if word.lower() == "product":
        return UnwatchProduct(reference=_product_reference(args))
    args.at_most(1)
    return Unwatch(reference=args.reference(word))


def _product_reference(args: _Args) -> Reference:
    """`watch product <ref>`: an inventory product of a backend that has an inventory."""
    if len(args.words) < 2:
        raise args.fail(f"`{args.verb} product` needs a product reference, e.g. `{args.verb} product wholesale:<id>`.")
    args.at_most(2)
    reference = args.reference(args.words[1])
    if reference.backend not in PRODUCT_BACKENDS:
        raise args.fail(f"Only {' and '.join(PRODUCT_BACKENDS)} have a product inventory to follow.")
    return reference


@_verb("watches", "watches", "the orders followed in this channel", "watches")
def _watches(args: _Args) -> Watches:
    args.no_pairs()
    args.at_most(0)
    return Watches()


@_verb(
    "cancel",
    "cancel <ref> [reason]",
    "ask for approval to cancel a wholesale order",
    'cancel wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63 "client changed his mind"',
)
def _cancel(args: _Args) -> Cancel:
    word = args.need("a wholesale order reference", "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63")
    reference = args.reference(word)
    if reference.backend != "wholesale":
        raise args.fail(
            f"Only wholesale orders can be cancelled; {_show(str(reference), 60)} is a {reference.backend} order."
        )
    parts = [w for w in args.words[1:] if w]
    parts += [pair.value if pair.key == "reason" else f"{pair.raw_key}={pair.value}" for pair in args.pairs]
    reason = " ".join(p for p in parts if p) or None
    if reason is not None:
        reason = args.value("The reason", reason)
    return Cancel(reference=reference, reason=reason)


@_verb(
    "subscribe",
    "subscribe <backend> [errors] [key=value…]",
    "watch here every order of a backend that matches the filters, as it appears (the backend's list filters)",
    "subscribe wholesale state=inProgress",
)
def _subscribe(args: _Args) -> Subscribe:
    backend = args.backend(args.need("a backend", "wholesale state=inProgress"), hint="")
    rest = [w.lower() for w in args.words[1:] if w]
    if rest not in ([], ["errors"]):
        raise args.fail(f"Unexpected '{_show(args.words[1])}'; the only word after the backend is `errors`.")
    errors_only = bool(rest)
    known = {key.casefold(): key for key in SOURCES[backend].filter_keys}
    filters: list[tuple[str, str]] = []
    for n, pair in enumerate(args.pairs):
        key = known.get(pair.raw_key.casefold())
        if key is None:
            close = difflib.get_close_matches(pair.raw_key, sorted(known.values()), n=1)
            hint = f" Did you mean `{close[0]}=`?" if close else ""
            raise args.fail(
                f"{backend} orders cannot be filtered by '{_show(pair.raw_key)}='; "
                f"the filters are {', '.join(k + '=' for k in sorted(known.values()))}.{hint}"
            )
        value = pair.value
        if n == len(args.pairs) - 1 and value.lower().endswith(" errors"):  # `state=held errors`
            value, errors_only = value[: -len(" errors")].rstrip(), True
        filters.append((key, args.value(f"`{key}=`", value)))
    return Subscribe(backend=backend, filters=tuple(filters), errors_only=errors_only)


@_verb("subscriptions", "subscriptions", "the rules this channel follows orders by, with their counts", "subscriptions")
def _subscriptions(args: _Args) -> Subscriptions:
    args.no_pairs()
    args.at_most(0)
    return Subscriptions()


@_verb("unsubscribe", "unsubscribe <n>", "end rule n of this channel (its watches go on)", "unsubscribe 1")
def _unsubscribe(args: _Args) -> Unsubscribe:
    args.no_pairs()
    word = args.need("the rule's number (see `subscriptions`)", "1")
    args.at_most(1)
    number = word.removeprefix("#")
    if not number.isdigit() or int(number) < 1:
        raise args.fail(f"`unsubscribe` takes a rule's number, as `subscriptions` lists them, not '{_show(word)}'.")
    return Unsubscribe(number=int(number))


_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@_verb(
    "digest",
    "digest [backend]  or  digest daily HH:MM [tz]  or  digest off",
    "open errors, late and stuck orders, old approvals: now, or every day here",
    "digest daily 08:30 Europe/Paris",
)
def _digest(args: _Args) -> DigestNow | DigestDaily | DigestOff:
    args.no_pairs()
    first = args.words[0].lower() if args.words else None
    if first == "off":
        args.at_most(1)
        return DigestOff()
    if first == "daily":
        args.at_most(3)
        if len(args.words) < 2 or not _HH_MM.match(args.words[1]):
            raise args.fail("`digest daily` needs a time of day, HH:MM, e.g. `digest daily 08:30 Europe/Paris`.")
        hours, minutes = args.words[1].split(":")
        tz = args.words[2] if len(args.words) > 2 else "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise args.fail(f"'{_show(tz)}' is not a time zone; use a name such as Europe/Paris or UTC.") from None
        return DigestDaily(at_time=f"{int(hours):02d}:{minutes}", tz=tz)
    args.at_most(1)
    backend = args.backend(args.words[0], hint="") if args.words else None
    return DigestNow(backend=backend)


VERBS: tuple[str, ...] = tuple(VERB_TABLE)
VERB_BACKEND: dict[str, str] = {v.name: v.backend for v in VERB_TABLE.values() if v.backend is not None}
"""Verbs that only one backend serves."""


def _unknown_verb(word: str) -> CommandError:
    hint = ""
    prefix, colon, _ = word.partition(":")
    if colon and prefix.lower() in BACKENDS:
        hint = f" Did you mean `order {_show(word, 60)}`?"
    else:
        close = difflib.get_close_matches(word.lower(), VERBS, n=1, cutoff=0.6)
        if close:
            hint = f" Did you mean `{close[0]}`?"
    return CommandError(f"Unknown command '{_show(word, 30)}'.{hint}", verb=None)


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
                f"Start with a command, e.g. `sites city=Paris`, before '{_show(tokens.pairs[0].raw_key)}='.", verb=None
            )
        return Help()
    verb = tokens.words[0].lower()
    spec = VERB_TABLE.get(verb)
    if spec is None:
        raise _unknown_verb(tokens.words[0])
    on = tuple(b.lower() for b in enabled)
    needed = VERB_BACKEND.get(verb)
    if needed is not None and needed not in on:
        raise CommandError(f"`{verb}` needs the {needed} backend, which is not configured here.", verb=verb)
    args = _Args(
        verb=verb,
        words=tokens.words[1:],
        pairs=tokens.pairs,
        default_backend=default_backend.lower() if default_backend else None,
        enabled=on,
    )
    return spec.parse(args)
