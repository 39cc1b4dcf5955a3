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
from integrations import InvalidReferenceError, check_id
from integrations.orders import SOURCES

__all__ = ["LOOKUP_VERBS"]

LOOKUP_VERBS = Verbs()
_verb = LOOKUP_VERBS.add
_STATE = re.compile(r"^[A-Za-z0-9_.,\-]+$")


@_verb(
    "sites",
    "sites [city=…] [country=…] [name=…]  or  sites <text>",
    "carrier geographic sites",
    "sites city=Abidjan",
    backend="carrier",
)
def _sites(args: Args) -> Sites:
    found = args.keyed({"city": "city", "country": "country", "name": "name"}, paged=True)
    text = " ".join(word for word in args.words if word) or None
    if text is not None:
        text = args.value("The search text", text)
    return Sites(city=found.get("city"), country=found.get("country"), name=found.get("name"), text=text)


@_verb("site", "site <id>", "one carrier site", "site 1265904", backend="carrier")
def _site(args: Args) -> Site:
    word = args.only_word("a site id", "1265904")
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
def _address(args: Args) -> Address:
    if args.words:
        raise args.fail(
            f"`address` takes key=value pairs only (street=… nr=… city=… postcode=… country=…);"
            f" unexpected '{show(args.words[0])}'."
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
def _quotes(args: Args) -> Quotes:
    args.no_pairs()
    args.at_most(0, hint=f" For one quote: `quote {show(args.words[0])}`." if args.words else "")
    return Quotes()


@_verb(
    "quote", "quote <id>  or  quote new", "one carrier quote, or the form for a new one", "quote 6", backend="carrier"
)
def _quote(args: Args) -> QuoteGet | QuoteNew:
    word = args.only_word("a quote id or `new`", "6")
    if word.lower() == "new":
        return QuoteNew()
    return QuoteGet(reference=Reference("carrier", args.own_id(word, what="quote")))


@_verb("orders", "orders [backend] [state=…]", "orders with their state", "orders wholesale state=inProgress")
def _orders(args: Args) -> Orders:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=f" For one order: `order {show(args.words[0])}`.")
    state = args.keyed({"state": "state"}, paged=True).get("state")
    if state is not None and not _STATE.match(state):
        raise args.fail(
            f"`state=` takes one state such as inProgress (several: inProgress,held), not '{show(state)}';"
            " a value runs until the next key=, so put other words before it."
        )
    return Orders(backend=backend, state=state)


@_verb("order", "order <ref>", "one order: state, items, prices, error messages, milestones", "order carrier:11")
def _order(args: Args) -> OrderGet | OrderFind:
    """``backend:id`` is that order; a bare word is an id of the default backend when it can be one (its shape:
    `OrderSource.looks_like_id`), else the buyer's reference to `find` (``order BOA12``)."""
    word = args.only_word("an order reference", "carrier:11")
    if names_backend(word) or _can_be_id(word, args):
        return OrderGet(reference=args.reference(word))
    return OrderFind(text=args.value("The reference", word))


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
    "orders whose buyer's reference (externalIdentifier, externalId, relatedBuyerPON, customerReference) is the text,"
    " across the enabled backends",
    "find UW-de76cfa1",
)
def _find(args: Args) -> Find:
    args.no_pairs()
    args.need("your reference for the order", "ACME-LYON-0042")
    return Find(text=args.value("The reference", " ".join(args.words)))


@_verb("products", "products [backend] [key=value…]", "inventory", "products wholesale productOffering.id=O40160084003")
def _products(args: Args) -> Products:
    args.at_most(1)
    backend = None
    if args.words:
        backend = args.backend(args.words[0], hint=f" For one product: `product {show(args.words[0])}`.")
    inventory = backend or args.default_backend
    if backend is None and not args.pairs:
        return Products()
    if inventory is None:
        raise args.fail("`products` with filters needs a backend: `products carrier …` or `products wholesale …`.")
    known = PRODUCT_FILTERS.get(inventory)
    if known is None:
        raise args.fail(f"The {inventory} backend has no product inventory; use {' or '.join(PRODUCT_FILTERS)}.")
    filters: dict[str, str] = {}
    for pair in args.pairs:
        key = args.filter_key(pair.raw_key, known, what=f"{inventory} products", paged=True)
        if key in filters:
            raise args.fail(f"`{key}=` is given twice; several values go in one, comma-separated: `{key}=a,b`.")
        filters[key] = args.value(f"`{key}=`", pair.value)
    return Products(backend=backend, filters=tuple(filters.items()))


@_verb("product", "product <ref>", "one product of the inventory", "product wholesale:2c9004647f69a6da017f6a1c55ba0000")
def _product(args: Args) -> ProductGet:
    word = args.only_word("a product reference", "wholesale:2c9004647f69a6da017f6a1c55ba0000")
    return ProductGet(reference=args.reference(word))


@_verb("offer", "offer <id>", "a wholesale catalog product offering", "offer O40160084003", backend="wholesale")
def _offer(args: Args) -> Offer:
    word = args.only_word("a product offering id", "O40160084003")
    return Offer(offering_id=args.own_id(word, what="product offering"))
