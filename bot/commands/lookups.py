"""The verbs that look something up at Orange: sites, site, address, quotes, quote, orders, order, find, products,
product, offer.

Each parse function reads the `Args` after its verb and returns its command; ``@_verb(…)`` adds it to `LOOKUP_VERBS`
with its usage line, in the order help lists them.
"""

from __future__ import annotations

import re

from bot.commands.filters import PRODUCT_FILTERS
from bot.commands.references import Reference, names_backend
from bot.commands.types import (
    Address,
    Find,
    Offer,
    OrderFind,
    OrderGet,
    Orders,
    ProductGet,
    Products,
    QuoteGet,
    QuoteNew,
    Quotes,
    Site,
    Sites,
)
from bot.commands.verb import Args, Verbs, show
from bot.i18n import _
from integrations import InvalidReferenceError, check_id
from integrations.orders import SOURCES

__all__ = ["LOOKUP_VERBS"]

LOOKUP_VERBS = Verbs()
_verb = LOOKUP_VERBS.add
_STATE = re.compile(r"^[A-Za-z0-9_.,\-]+$")


@_verb(
    "sites",
    "sites [city=…] [country=…] [name=…]  or  sites <text>",
    lambda: _("carrier geographic sites"),
    "sites city=Abidjan",
    backend="carrier",
)
def _sites(args: Args) -> Sites:
    found = args.keyed({"city": "city", "country": "country", "name": "name"}, paged=True)
    text = " ".join(word for word in args.words if word) or None
    if text is not None:
        text = args.value(_("The search text"), text)
    return Sites(city=found.get("city"), country=found.get("country"), name=found.get("name"), text=text)


@_verb("site", "site <id>", lambda: _("one carrier site"), "site 1265904", backend="carrier")
def _site(args: Args) -> Site:
    word = args.only_word(_("a site id"), "1265904")
    return Site(site_id=args.own_id(word, what=_("A site")))


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
    lambda: _("carrier address validation: best match and alternatives"),
    "address street=des fleurs nr=12 city=Paris country=FR",
    backend="carrier",
)
def _address(args: Args) -> Address:
    if args.words:
        raise args.fail(
            _(
                "`address` takes key=value pairs only (street=… nr=… city=… postcode=… country=…);"
                " unexpected '{word}'.",
                word=show(args.words[0]),
            )
        )
    found = args.keyed(_ADDRESS_KEYS)
    if "street" not in found:
        raise args.fail(_("`address` needs street=…, e.g. `address street=des fleurs nr=12 city=Paris`."))
    if "city" not in found and "postcode" not in found:
        raise args.fail(_("`address` needs a city=… or a postcode=… with the street."))
    return Address(
        street=found["street"],
        number=found.get("nr"),
        city=found.get("city"),
        postcode=found.get("postcode"),
        country=found.get("country"),
    )


@_verb("quotes", "quotes", lambda: _("carrier quotes"), "quotes", backend="carrier")
def _quotes(args: Args) -> Quotes:
    args.no_pairs()
    args.at_most(0, hint=" " + _("For one quote: `quote {id}`.", id=show(args.words[0])) if args.words else "")
    return Quotes()


@_verb(
    "quote",
    "quote <id>  or  quote new",
    lambda: _("one carrier quote, or the form for a new one"),
    "quote 6",
    backend="carrier",
)
def _quote(args: Args) -> QuoteGet | QuoteNew:
    word = args.only_word(_("a quote id or `new`"), "6")
    if word.lower() == "new":
        return QuoteNew()
    return QuoteGet(reference=Reference("carrier", args.own_id(word, what=_("A quote"))))


@_verb(
    "orders", "orders [backend] [state=…]", lambda: _("orders with their state"), "orders wholesale state=inProgress"
)
def _orders(args: Args) -> Orders:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=" " + _("For one order: `order {id}`.", id=show(args.words[0])))
    state = args.keyed({"state": "state"}, paged=True).get("state")
    if state is not None and not _STATE.match(state):
        raise args.fail(
            _(
                "`state=` takes one state such as inProgress (several: inProgress,held), not '{state}';"
                " a value runs until the next key=, so put other words before it.",
                state=show(state),
            )
        )
    return Orders(backend=backend, state=state)


@_verb(
    "order", "order <ref>", lambda: _("one order: state, items, prices, error messages, milestones"), "order carrier:11"
)
def _order(args: Args) -> OrderGet | OrderFind:
    """``backend:id`` is that order; a bare word is an id of the default backend when it can be one (its shape:
    `OrderSource.looks_like_id`), else the buyer's reference to `find` (``order BOA12``)."""
    word = args.only_word(_("an order reference"), "carrier:11")
    if names_backend(word) or _can_be_id(word, args):
        return OrderGet(reference=args.reference(word))
    return OrderFind(text=args.value(_("The reference"), word))


def _can_be_id(word: str, args: Args) -> bool:
    try:
        check_id(word)
    except InvalidReferenceError:
        return False
    if args.default_backend is not None:
        return args.default_backend not in SOURCES or SOURCES[args.default_backend].looks_like_id(word)
    # No default backend: an id of a known shape still needs its backend written (the reference's own error).
    shaped = [SOURCES[b] for b in args.enabled if b in SOURCES and SOURCES[b].id_pattern is not None]
    return any(source.looks_like_id(word) for source in shaped)


@_verb(
    "find",
    "find <text>",
    lambda: _(
        "orders whose buyer's reference (externalIdentifier, externalId, relatedBuyerPON, customerReference) is the"
        " text, across the enabled backends"
    ),
    "find UW-de76cfa1",
)
def _find(args: Args) -> Find:
    args.no_pairs()
    args.need(_("your reference for the order"), "ACME-LYON-0042")
    return Find(text=args.value(_("The reference"), " ".join(args.words)))


@_verb(
    "products",
    "products [backend] [key=value…]",
    lambda: _("inventory"),
    "products wholesale productOffering.id=O40160084003",
)
def _products(args: Args) -> Products:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=" " + _("For one product: `product {id}`.", id=show(args.words[0])))
    inventory = backend or args.default_backend
    if backend is None and not args.pairs:
        return Products()
    if inventory is None:
        raise args.fail(_("`products` with filters needs a backend: `products carrier …` or `products wholesale …`."))
    known = PRODUCT_FILTERS.get(inventory)
    if known is None:
        first, second = PRODUCT_FILTERS
        raise args.fail(
            _(
                "The {backend} backend has no product inventory; use {first} or {second}.",
                backend=inventory,
                first=first,
                second=second,
            )
        )
    filters: dict[str, str] = {}
    for pair in args.pairs:
        key = args.filter_key(pair.raw_key, known, what=_("{backend} products", backend=inventory), paged=True)
        if key in filters:
            raise args.fail(
                _("`{key}=` is given twice; several values go in one, comma-separated: `{key}=a,b`.", key=key)
            )
        filters[key] = args.value(f"`{key}=`", pair.value)
    return Products(backend=backend, filters=tuple(filters.items()))


@_verb(
    "product",
    "product <ref>",
    lambda: _("one product of the inventory"),
    "product wholesale:2c9004647f69a6da017f6a1c55ba0000",
)
def _product(args: Args) -> ProductGet:
    word = args.only_word(_("a product reference"), "wholesale:2c9004647f69a6da017f6a1c55ba0000")
    return ProductGet(reference=args.reference(word))


@_verb(
    "offer", "offer <id>", lambda: _("a wholesale catalog product offering"), "offer O40160084003", backend="wholesale"
)
def _offer(args: Args) -> Offer:
    word = args.only_word(_("a product offering id"), "O40160084003")
    return Offer(offering_id=args.own_id(word, what=_("A product offering")))
