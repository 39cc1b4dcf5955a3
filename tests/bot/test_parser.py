from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.commands import (
    USAGE,
    VERBS,
    Address,
    Cancel,
    Command,
    CommandError,
    DigestDaily,
    DigestNow,
    DigestOff,
    Find,
    Help,
    Offer,
    OrderFind,
    OrderGet,
    Orders,
    ProductGet,
    Products,
    QuoteGet,
    QuoteNew,
    Quotes,
    Reference,
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
    parse,
    parse_reference,
    to_text,
    usage,
)
from bot.commands.filters import PAGING_KEYS, PRODUCT_FILTERS
from bot.commands.parser import PRODUCT_BACKENDS
from bot.commands.references import BadReferenceError
from bot.commands.tokens import KEY_PATTERN, Pair, TokenizeError, quote_word, tokenize, unescape_slack
from integrations.orders import SOURCES

ALL = ("carrier", "wholesale", "business")
UUID = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
C11 = Reference("carrier", "11")
W = Reference("wholesale", UUID)
B = Reference("business", "W05VL130721")


def run(text: str, *, default: str | None = "carrier", enabled: Sequence[str] = ALL) -> Command:
    return parse(text, default_backend=default, enabled=enabled)


# --- tokenizer --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "pairs"),
    [
        ("street=des fleurs nr=12", (), [("street", "des fleurs"), ("nr", "12")]),
        ('sites name="Abidjan KM4"', ("sites",), [("name", "Abidjan KM4")]),
        ("sites name=“Abidjan KM4”", ("sites",), [("name", "Abidjan KM4")]),
        ("sites name='Abidjan KM4' city=x", ("sites",), [("name", "Abidjan KM4"), ("city", "x")]),
        ("sites name=«Abidjan KM4»", ("sites",), [("name", "Abidjan KM4")]),
        ("sites name=„Abidjan KM4“", ("sites",), [("name", "Abidjan KM4")]),
        ('cancel wholesale:x "client changed his mind"', ("cancel", "wholesale:x", "client changed his mind"), []),
        ('a "b=c d"', ("a", "b=c d"), []),
        ('name="x=1 y=2"', (), [("name", "x=1 y=2")]),
        ('a"b c"d', ("ab cd",), []),
        ("  a \t\n b   ", ("a", "b"), []),
        ('"  a   b  "', ("a b",), []),
        ("a\u00a0b", ("a", "b"), []),
        ("STATE=inProgress", (), [("state", "inProgress")]),
        ("state=inProgress errors", (), [("state", "inProgress errors")]),
        ("state= inProgress", (), [("state", "inProgress")]),
        ("a= b=2", (), [("a", ""), ("b", "2")]),
        ("productOffering.id=O40160084003", (), [("productoffering.id", "O40160084003")]),
        ("@type=Foo", (), [("@type", "Foo")]),
        ("l'église client's", ("l'église", "client's"), []),
        ("street=rue de l'église nr=1", (), [("street", "rue de l'église"), ("nr", "1")]),
        ("a ’b’", ("a", "’b’"), []),
        ("https://x.example/?a=b =c 1=2", ("https://x.example/?a=b", "=c", "1=2"), []),
        ("AT&amp;T &lt;b&gt;", ("AT&T", "<b>"), []),
        ("&amp;lt;", ("&lt;",), []),
        ("<https://example.com|example.com> <mailto:a@b.c>", ("example.com", "mailto:a@b.c"), []),
        ("<@U123> <@U456|bob> <#C1|general> <!here>", ("<@U123>", "<@U456>", "<#C1>", "<!here>"), []),
        ("a <b c>", ("a", "<b", "c>"), []),
        ('""', ("",), []),
        ("", (), []),
    ],
)
def test_tokenize(text: str, words: tuple[str, ...], pairs: list[tuple[str, str]]) -> None:
    tokens = tokenize(text)
    assert tokens.words == words
    assert [(p.key, p.value) for p in tokens.pairs] == pairs


def test_tokenize_keeps_the_typed_key() -> None:
    assert tokenize("productOffering.id=X").pairs == (Pair("productoffering.id", "X", "productOffering.id"),)


@pytest.mark.parametrize("text", ['sites "Abidjan', "a “b", "a 'b c", "x=«y", "a\x00b", "a\x7fb"])
def test_tokenize_errors(text: str) -> None:
    with pytest.raises(TokenizeError) as info:
        tokenize(text)
    assert info.value.message and "\n" not in info.value.message


def test_unescape_slack_is_one_pass() -> None:
    assert unescape_slack("&amp;amp; &lt;https://x&gt;") == "&amp; <https://x>"


# --- references -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("carrier:11", None, C11),
        (f"wholesale:{UUID}", "carrier", W),
        ("business:W05VL130721", "carrier", B),
        ("Carrier:11", None, C11),
        ("BUSINESS:W05VL130721", None, B),
        ("11", "carrier", C11),
        ("W05VL130721", "business", B),
        ("carrier:foo:1", None, Reference("carrier", "foo:1")),
        ("12:34", "carrier", Reference("carrier", "12:34")),
    ],
)
def test_parse_reference(text: str, default: str | None, expected: Reference) -> None:
    assert parse_reference(text, default_backend=default, enabled=ALL) == expected


@pytest.mark.parametrize(
    ("text", "default", "enabled", "message"),
    [
        ("11", None, ALL, "no default"),
        ("carier:11", "carrier", ALL, "Unknown backend 'carier'; the backends are carrier, wholesale, business."),
        ("foo:11", "carrier", ALL, "Unknown backend 'foo'"),
        ("wholesale:x", "carrier", ("carrier",), "The wholesale backend is not configured here; enabled: carrier."),
        ("11", "business", ("carrier",), "business backend is not configured"),
        ("carrier:", None, ALL, "The carrier id is empty."),
        ("carrier:a/b", None, ALL, "must not contain '/'"),
        ("carrier:..", None, ALL, "not a valid id"),
        ("a?b", "carrier", ALL, "must not contain '?'"),
        ("carrier:" + "x" * 129, None, ALL, "at most 128"),
    ],
)
def test_parse_reference_errors(text: str, default: str | None, enabled: Sequence[str], message: str) -> None:
    with pytest.raises(BadReferenceError) as info:
        parse_reference(text, default_backend=default, enabled=enabled)
    assert message in info.value.message


def test_reference_str() -> None:
    assert str(W) == f"wholesale:{UUID}"


# --- parser: the contract's examples and the edges around them ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("HELP Orders", Help("orders")),
        ("sites", Sites()),
        ("sites city=Abidjan country=CI", Sites(city="Abidjan", country="CI")),
        ('sites name="Abidjan KM4"', Sites(name="Abidjan KM4")),
        ("sites name=“Abidjan KM4”", Sites(name="Abidjan KM4")),
        ("sites Abidjan KM4", Sites(text="Abidjan KM4")),
        ("Sites CITY=Paris", Sites(city="Paris")),
        ("site 1", Site("1")),
        ("site carrier:1", Site("1")),
        ("address street=des fleurs nr=12 city=Paris", Address("des fleurs", "12", "Paris")),
        (
            "address street=des fleurs nr=12 city=Paris postcode=75001 country=FR",
            Address("des fleurs", "12", "Paris", "75001", "FR"),
        ),
        (
            "address Street=Rue Pierre &amp; Marie Curie postcode=75005",
            Address("Rue Pierre & Marie Curie", None, None, "75005"),
        ),
        ("address street=x number=3 zip=123", Address("x", "3", None, "123")),
        ("quotes", Quotes()),
        ("quote 3", QuoteGet(Reference("carrier", "3"))),
        ("quote carrier:3", QuoteGet(Reference("carrier", "3"))),
        ("quote new", QuoteNew()),
        ("Quote NEW", QuoteNew()),
        ("quote carrier:new", QuoteGet(Reference("carrier", "new"))),
        ("orders", Orders()),
        ("orders wholesale", Orders("wholesale")),
        ("orders state=inProgress", Orders(state="inProgress")),
        ("ORDERS Wholesale STATE=inProgress", Orders("wholesale", "inProgress")),
        ("orders carrier state=inProgress,held", Orders("carrier", "inProgress,held")),
        ("order carrier:11", OrderGet(C11)),
        (f"order wholesale:{UUID}", OrderGet(W)),
        ("order business:W05VL130721", OrderGet(B)),
        ("order 11", OrderGet(C11)),
        ("ORDER Carrier:11", OrderGet(C11)),
        ("order BOA12", OrderFind("BOA12")),
        ("order ACME-LYON-0042", OrderFind("ACME-LYON-0042")),
        ("order #DEMO#", OrderFind("#DEMO#")),
        ('order "PO 12/3"', OrderFind("PO 12/3")),
        ("find BOA12", Find("BOA12")),
        ("FIND UW-de76cfa1", Find("UW-de76cfa1")),
        ("find PO 12 Lyon", Find("PO 12 Lyon")),
        ('find "a=b"', Find("a=b")),
        ("find carrier:11", Find("carrier:11")),
        ("products", Products()),
        ("products wholesale status=active", Products("wholesale", (("status", "active"),))),
        (
            "products wholesale productoffering.ID=O40160084003 Status=active",
            Products("wholesale", (("productOffering.id", "O40160084003"), ("status", "active"))),
        ),
        (
            "products wholesale creationDate.GTE=2026-01-01 status.ne=TERMINATED",
            Products("wholesale", (("creationDate.gte", "2026-01-01"), ("status.ne", "TERMINATED"))),
        ),
        ("products buyerproductid=B1", Products(None, (("buyerProductId", "B1"),))),
        ("products carrier startDate.gt=2026-01-01", Products("carrier", (("startDate.gt", "2026-01-01"),))),
        ("product business:W05VL130721", ProductGet(B)),
        ("offer O40160084003", Offer("O40160084003")),
        ("offer wholesale:O40160084003", Offer("O40160084003")),
        ("watch carrier:11", WatchOrder(C11)),
        ("watch carrier:11 errors", WatchOrder(C11, errors_only=True)),
        ("Watch 11 ERRORS", WatchOrder(C11, errors_only=True)),
        ("unwatch carrier:11", Unwatch(C11)),
        ("watches", Watches()),
        (f"cancel wholesale:{UUID}", Cancel(W)),
        (f'cancel wholesale:{UUID} "client changed his mind"', Cancel(W, "client changed his mind")),
        (f"cancel wholesale:{UUID} “client changed his mind”", Cancel(W, "client changed his mind")),
        (f"cancel wholesale:{UUID} client changed his mind", Cancel(W, "client changed his mind")),
        (f"cancel wholesale:{UUID} client's mind", Cancel(W, "client's mind")),
        (f"cancel wholesale:{UUID} reason=duplicate order", Cancel(W, "duplicate order")),
        (f"cancel wholesale:{UUID} see ticket=42", Cancel(W, "see ticket=42")),
        ("cancel wholesale:x AT&amp;T asked <@U123>", Cancel(Reference("wholesale", "x"), "AT&T asked <@U123>")),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert run(text) == expected


def test_bare_id_uses_the_default_backend() -> None:
    assert run(f"order {UUID}", default="wholesale") == OrderGet(W)


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("order 11", "carrier", OrderGet(C11)),
        ("order BOA12", "carrier", OrderFind("BOA12")),  # carrier ids are numbers
        (f"order {UUID}", "wholesale", OrderGet(W)),
        ("order UW-de76cfa1", "wholesale", OrderFind("UW-de76cfa1")),  # wholesale ids are UUIDs
        ("order 11", "wholesale", OrderFind("11")),
        ("order REF-0001", "business", OrderGet(Reference("business", "REF-0001"))),  # no known shape: an id
        ("order BOA12", None, OrderFind("BOA12")),
        ("order wholesale:UW-de76cfa1", "carrier", OrderGet(Reference("wholesale", "UW-de76cfa1"))),  # as written
        ("order a/b", "business", OrderFind("a/b")),  # no backend's id
    ],
)
def test_order_text_that_is_no_id_is_a_find(text: str, default: str | None, expected: Command) -> None:
    assert run(text, default=default) == expected
    assert run(f"cancel {UUID}", default="wholesale") == Cancel(W)
    assert run("quote 3", default="business") == QuoteGet(Reference("carrier", "3"))


@pytest.mark.parametrize(
    ("text", "verb", "message"),
    [
        ("foo", None, "Unknown command 'foo'."),
        ("ordrs", None, "Unknown command 'ordrs'. Did you mean `orders`?"),
        ("carrier:11", None, "Did you mean `order carrier:11`?"),
        ("help foo", None, "Unknown command 'foo'."),
        ("help orders now", "help", "Unexpected 'now'"),
        ("state=inProgress", None, "Start with a command"),
        ("order", "order", "`order` needs an order reference, e.g. `order carrier:11`."),
        ("site", "site", "`site` needs a site id"),
        ("quote", "quote", "`quote` needs a quote id or `new`"),
        ("product", "product", "needs a product reference"),
        ("watch", "watch", "needs an order reference"),
        ("cancel", "cancel", "needs a wholesale order reference"),
        ("order carrier:11 extra", "order", "Unexpected 'extra' after `order carrier:11`."),
        ("order carrier:11 state=x", "order", "takes no key=value pairs"),
        ("orders wholesale carrier", "orders", "Unexpected 'carrier'"),
        ("orders carrier:11", "orders", "For one order: `order carrier:11`."),
        ("orders inprogress", "orders", "Unknown backend 'inprogress'"),
        ("orders state=", "orders", "`state=` needs a value."),
        ("orders state=inProgress errors", "orders", "takes one state"),
        ("orders status=x", "orders", "Unknown key 'status=' for `orders`; allowed: state=."),
        ("quotes 3", "quotes", "For one quote: `quote 3`."),
        ("quote wholesale:3", "quote", "A quote exists only on the carrier backend"),
        ("offer carrier:O1", "offer", "only on the wholesale backend"),
        ("watch carrier:11 all", "watch", "the only option of `watch` is `errors`"),
        ("watches now", "watches", "Unexpected 'now'"),
        ("cancel carrier:11", "cancel", "Only wholesale orders can be cancelled; carrier:11 is a carrier order."),
        ("cancel 11", "cancel", "Only wholesale orders can be cancelled"),
        ("cancel business:W05VL130721 why", "cancel", "is a business order"),
        ("address", "address", "`address` needs street="),
        ("address city=Paris", "address", "`address` needs street="),
        ("address street=x", "address", "needs a city=… or a postcode=…"),
        ("address foo=1 street=x city=y", "address", "Unknown key 'foo=' for `address`; allowed: street=, nr="),
        ("address street=x citi=y", "address", "Did you mean `city=`?"),
        ("address street=x street=y city=z", "address", "`street=` is given twice."),
        ("address 12 rue x", "address", "takes key=value pairs only"),
        ("sites planet=Mars", "sites", "allowed: city=, country=, name="),
        ("order foo:11", "order", "Unknown backend 'foo'"),
        ("order carrier:a/b", "order", "must not contain '/'"),
        ('sites "Abidjan', "sites", "Unterminated quote"),
        ("order carrier:1\x00", "order", "control character"),
        ("sites city=" + "x" * 1001, "sites", "at most 1000"),
        ("sites limit=5", "sites", "'limit=' is not a filter: `sites` pages, sorts and picks the fields itself"),
        ("orders wholesale offset=40", "orders", "'offset=' is not a filter: `orders` pages"),
        ("products carrier stat=active", "products", "carrier products cannot be filtered by 'stat='"),
        ("products wholesale stauts=ACTIVE", "products", "Did you mean `status=`?"),
        ("products wholesale creationDate.after=2026-01-01", "products", "each may end in .eq, .ne, .gt"),
        (
            "products carrier startDate.gte=2026-01-01",
            "products",
            "the filters are buyerProductId=, lastUpdateDate.gt=",
        ),
        ("products wholesale status=a status=b", "products", "`status=` is given twice; several values go in one"),
        ("products business", "products", "The business backend has no product inventory; use carrier or wholesale."),
        ("products wholesale status=", "products", "`status=` needs a value."),
        ("find", "find", "`find` needs your reference for the order, e.g. `find ACME-LYON-0042`."),
        ("find state=x", "find", "`find` takes no key=value pairs; unexpected 'state='."),
        ("find BOA12 PON=1", "find", "`find` takes no key=value pairs"),
        ("order carier:BOA12", "order", "Did you mean `carrier`?"),
        ("order BOA12 x", "order", "Unexpected 'x'"),
    ],
)
def test_parse_errors(text: str, verb: str | None, message: str) -> None:
    with pytest.raises(CommandError) as info:
        run(text)
    assert info.value.verb == verb
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "default", "enabled", "verb", "message"),
    [
        ("order 11", None, ALL, "order", "'11' names no backend and there is no default one; write it as carrier:11"),
        ("order wholesale:x", "carrier", ("carrier",), "order", "The wholesale backend is not configured here"),
        ("orders business", "carrier", ("carrier",), "orders", "The business backend is not configured here"),
        ("order carier:11", "carrier", ALL, "order", "Did you mean `carrier`?"),
        ("sites", "wholesale", ("wholesale",), "sites", "`sites` needs the carrier backend"),
        ("quote new", None, ("business",), "quote", "needs the carrier backend"),
        ("offer O1", "carrier", ("carrier",), "offer", "needs the wholesale backend"),
        ("products status=active", "business", ALL, "products", "The business backend has no product inventory"),
        ("products status=active", None, ALL, "products", "`products` with filters needs a backend"),
    ],
)
def test_parse_configuration_errors(
    text: str, default: str | None, enabled: Sequence[str], verb: str, message: str
) -> None:
    with pytest.raises(CommandError) as info:
        run(text, default=default, enabled=enabled)
    assert info.value.verb == verb
    assert message in info.value.message


def test_every_verb_has_a_usage_line() -> None:
    assert set(USAGE) == set(VERBS)
    for verb, line in USAGE.items():
        assert "\n" not in line and f"`/orange {verb}" in line and "e.g." in line


def test_usage() -> None:
    assert usage("orders", enabled=ALL) == f"Usage: {USAGE['orders']}"
    assert "`/o2 order <ref>`" in usage("order", command="/o2", enabled=ALL)
    general = usage(None, enabled=("carrier", "wholesale"), default_backend="carrier")
    assert all(f"`/orange {verb}" in general for verb in VERBS)
    assert "Backends: carrier, wholesale; a bare id means carrier." in general
    assert "needs business" not in general
    assert "offer <id>` — a wholesale catalog product offering, e.g. `/orange offer O40160084003`\n" in general
    assert "(needs wholesale, not configured)" in usage(None, enabled=("carrier",))
    assert "No backend is configured." in usage(None, enabled=())


@pytest.mark.parametrize(
    "command",
    [
        Sites(text="l'église", city="a=b"),
        Cancel(W, "see ticket=42"),
        Cancel(W, 'said "no"'),
        QuoteGet(Reference("carrier", "new")),
        Site("a:b"),
        OrderGet(Reference("carrier", "a b")),
        Products(None, (("productOffering.id", "O1"),)),
        Find("PO 12 Lyon"),
        Find('say "hi"'),
        OrderFind("BOA12"),
        OrderFind("PO 12/3"),
    ],
)
def test_to_text_round_trips(command: Command) -> None:
    assert run(to_text(command)) == command


def test_to_text_examples() -> None:
    assert to_text(Address("des fleurs", "12", "Paris")) == 'address street="des fleurs" nr=12 city=Paris'
    assert to_text(Cancel(W, "client changed his mind")) == f"cancel wholesale:{UUID} client changed his mind"
    assert to_text(WatchOrder(C11, errors_only=True)) == "watch carrier:11 errors"
    assert to_text(Help()) == "help"


def test_quote_word() -> None:
    assert quote_word("x") == "x"
    assert quote_word("a b") == '"a b"'
    assert quote_word('say "hi"') == '“say "hi"”'
    assert quote_word("a=1") == '"a=1"'
    assert quote_word("") == '""'
    assert quote_word("AT&T") == "AT&amp;T"
    with pytest.raises(ValueError):
        quote_word("\"'“”«»")


# --- properties -------------------------------------------------------------------------------------------------

_NASTY_CHARS = "\"'“”„«»‘’=:/\\?#&<>|@!., \t\n\x00\x1f\x7f\x85\u2028\u00a0\u200b"
_FRAGMENTS = [
    *VERBS,
    "carrier:",
    "wholesale:",
    "business:",
    "new",
    "errors",
    "state=",
    "&amp;",
    "&lt;",
    "<https://x|y>",
    "<@U1>",
    "..",
]
_ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(st.characters(), st.sampled_from(_NASTY_CHARS))),
    st.lists(
        st.sampled_from(_FRAGMENTS) | st.text(alphabet=st.sampled_from(_NASTY_CHARS), max_size=3), max_size=12
    ).map("".join),
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=5), max_size=12).map(" ".join),
)
_ENABLED = st.lists(st.sampled_from(ALL), unique=True)
_DEFAULT = st.none() | st.sampled_from(ALL)


@given(text=_ANY_TEXT, enabled=_ENABLED, default=_DEFAULT)
@example(text="order", enabled=[], default=None)
@example(text="cancel wholesale:\u2028x", enabled=list(ALL), default=None)
@example(text="order carrier:\u200bx ..", enabled=list(ALL), default=None)
def test_parse_raises_only_command_errors(text: str, enabled: list[str], default: str | None) -> None:
    try:
        command = parse(text, default_backend=default, enabled=enabled)
    except CommandError as err:
        assert err.message and err.message == err.message.strip()
        assert len(err.message.splitlines()) == 1
        assert str(err) == err.message
        assert err.verb is None or err.verb in VERBS
    else:
        assert isinstance(command, Command)


def _is_plain(char: str) -> bool:
    return not char.isspace() and char.isprintable()


_WORD = st.text(alphabet=st.characters(codec="utf-8").filter(_is_plain), min_size=1, max_size=12)
_VALUE = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
_ID = (
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_characters="/\\?#").filter(_is_plain), min_size=1, max_size=20
        ),
        min_size=1,
        max_size=3,
    )
    .map(" ".join)
    .filter(lambda s: s not in {".", ".."})
)
_ANY_REF = st.builds(Reference, backend=st.sampled_from(ALL), id=_ID)


def _product_filter(backend: str) -> st.SearchStrategy[str]:
    """A documented filter of the backend's inventory, as the API spells it (with an operator where it takes one)."""
    known = PRODUCT_FILTERS[backend]
    names = st.sampled_from(sorted(known.names))
    if not known.operators:
        return names
    return st.tuples(names, st.none() | st.sampled_from(known.operators)).map(
        lambda pair: pair[0] if pair[1] is None else f"{pair[0]}.{pair[1]}"
    )


_OPT = st.none() | _VALUE
_COMMANDS: st.SearchStrategy[Command] = st.one_of(
    st.builds(Help, topic=st.none() | st.sampled_from(VERBS)),
    st.builds(Sites, city=_OPT, country=_OPT, name=_OPT, text=_OPT),
    st.builds(Site, site_id=_ID),
    st.builds(Address, street=_VALUE, number=_OPT, city=_VALUE, postcode=_OPT, country=_OPT),
    st.builds(Address, street=_VALUE, number=_OPT, city=st.none(), postcode=_VALUE, country=_OPT),
    st.just(Quotes()),
    st.builds(QuoteGet, reference=st.builds(Reference, backend=st.just("carrier"), id=_ID)),
    st.just(QuoteNew()),
    st.builds(
        Orders,
        backend=st.none() | st.sampled_from(ALL),
        state=st.none() | st.from_regex(r"[A-Za-z0-9_.,\-]+", fullmatch=True),
    ),
    st.builds(OrderGet, reference=_ANY_REF),
    st.just(Products()),
    st.sampled_from(PRODUCT_BACKENDS).flatmap(
        lambda backend: st.builds(
            Products,
            backend=st.just(backend),
            filters=st.dictionaries(_product_filter(backend), _VALUE, max_size=3).map(lambda d: tuple(d.items())),
        )
    ),
    st.builds(ProductGet, reference=_ANY_REF),
    st.builds(Find, text=_VALUE),
    # a text no backend takes for an id (a `/`), whatever the default backend
    st.builds(OrderFind, text=st.tuples(_ID, _ID).map("/".join).filter(lambda s: ":" not in s)),
    st.builds(Offer, offering_id=_ID),
    st.builds(WatchOrder, reference=_ANY_REF, errors_only=st.booleans()),
    st.builds(Unwatch, reference=_ANY_REF),
    st.just(Watches()),
    st.builds(Cancel, reference=st.builds(Reference, backend=st.just("wholesale"), id=_ID), reason=_OPT),
    st.builds(WatchProduct, reference=st.builds(Reference, backend=st.sampled_from(PRODUCT_BACKENDS), id=_ID)),
    st.builds(UnwatchProduct, reference=st.builds(Reference, backend=st.sampled_from(PRODUCT_BACKENDS), id=_ID)),
    st.sampled_from(ALL).flatmap(
        lambda backend: st.builds(
            Subscribe,
            backend=st.just(backend),
            filters=st.lists(
                st.tuples(st.sampled_from(sorted(SOURCES[backend].filter_keys)), _VALUE.filter(_no_trailing_errors)),
                max_size=3,
                unique_by=lambda pair: pair[0],
            ).map(tuple),
            errors_only=st.booleans(),
        )
    ),
    st.just(Subscriptions()),
    st.builds(Unsubscribe, number=st.integers(min_value=1, max_value=10_000)),
    st.builds(DigestNow, backend=st.none() | st.sampled_from(ALL)),
    st.builds(
        DigestDaily,
        at_time=st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
        tz=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
    ),
    st.just(DigestOff()),
)


def _no_trailing_errors(value: str) -> bool:
    # `subscribe … state=held errors`: a last value ending in the word "errors" means the option
    return not value.lower().endswith(" errors")


@given(command=_COMMANDS, default=_DEFAULT)
def test_to_text_then_parse_gives_the_command_back(command: Command, default: str | None) -> None:
    try:
        text = to_text(command)
    except ValueError:
        assume(False)  # a value holding every kind of quote has no written form
        return
    assert parse(text, default_backend=default, enabled=ALL) == command


_PLAIN_VALUE_WORD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="=\"'“”„«»‘’&<>").filter(_is_plain), min_size=1
)


@given(
    pairs=st.lists(
        st.tuples(st.from_regex(KEY_PATTERN, fullmatch=True), st.lists(_PLAIN_VALUE_WORD, max_size=4)), max_size=5
    ),
    sep=st.sampled_from([" ", "  ", "\t", "\n", " \u00a0"]),
)
def test_tokenize_pairs_round_trip(pairs: list[tuple[str, list[str]]], sep: str) -> None:
    text = sep.join(f"{key}={sep.join(words)}" for key, words in pairs)
    tokens = tokenize(text)
    assert tokens.words == ()
    assert tokens.pairs == tuple(Pair(key.lower(), " ".join(words), key) for key, words in pairs)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("subscribe wholesale state=inProgress", Subscribe("wholesale", (("state", "inProgress"),))),
        ("subscribe wholesale state=held errors", Subscribe("wholesale", (("state", "held"),), errors_only=True)),
        ("Subscribe WHOLESALE errors STATE=held", Subscribe("wholesale", (("state", "held"),), errors_only=True)),
        ("subscribe carrier orderdate.gt=2026-01-01", Subscribe("carrier", (("orderDate.gt", "2026-01-01"),))),
        ("subscribe business step=DELIVERY", Subscribe("business", (("step", "DELIVERY"),))),
        ("subscriptions", Subscriptions()),
        ("unsubscribe #2", Unsubscribe(2)),
        ("digest", DigestNow()),
        ("digest carrier", DigestNow("carrier")),
        ("digest daily 8:05", DigestDaily("08:05", "UTC")),
        ("digest daily 18:30 Europe/Paris", DigestDaily("18:30", "Europe/Paris")),
        ("digest off", DigestOff()),
        ("watch product wholesale:P1", WatchProduct(Reference("wholesale", "P1"))),
        ("unwatch product carrier:LDD30200", UnwatchProduct(Reference("carrier", "LDD30200"))),
    ],
)
def test_rules_digests_and_product_watches_parse(text: str, command: Command) -> None:
    assert run(text) == command


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("subscribe", "needs a backend"),
        ("subscribe wholesale colour=red", "cannot be filtered by 'colour='"),
        ("subscribe wholesale loud", "the only word after the backend is `errors`"),
        ("unsubscribe two", "takes a rule's number"),
        ("unsubscribe 0", "takes a rule's number"),
        ("digest daily", "needs a time of day"),
        ("digest daily 24:00", "needs a time of day"),
        ("digest daily 08:00 Nowhere/Land", "is not a time zone"),
        ("digest nowhere", "Unknown backend"),
        ("watch product business:W05VL130721", "product inventory"),
    ],
)
def test_bad_rules_and_digests_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(CommandError) as raised:
        run(text)
    assert fragment in raised.value.message


# --- the filters a list verb passes to Orange -------------------------------------------------------------------

# What the documents say, written out again here so that the parser is checked against them, not against itself:
# TMF637 "Product attribute filter" (seeds/wholesale-product-inventory-tmf637.txt) with its operators, and the
# carrier inventory's query (MEF LSO Sonata productInventoryManagement `GET /product`).
TMF637_FILTERS = {
    "id",
    "name",
    "externalIdentifier.id",
    "externalIdentifier.externalIdentifierType",
    "productOffering.id",
    "productOffering.productOfferingType",
    "productRelationship.relationshipType",
    "productRelationship.product.id",
    "status",
    "operationalStatus",
    "productCharacteristic.id",
    "productCharacteristic.name",
    "productCharacteristic.value",
    "productCharacteristic.value.id",
    "productCharacteristic.value.name",
    "productOrderItem.productOrderId",
    "realizingService.id",
    "realizingService.name",
    "relatedParty.id",
    "relatedParty.role",
    "creationDate",
    "startDate",
    "terminationDate",
    "lastUpdateDate",
}
DOCUMENTED = {
    "wholesale": TMF637_FILTERS
    | {f"{key}.{op}" for key in TMF637_FILTERS for op in ("eq", "ne", "gt", "gte", "lt", "lte")},
    "carrier": {
        "status",
        "productOrderId",
        "buyerProductId",
        "productOffering.id",
        "productSpecification.id",
        "startDate.gt",
        "startDate.lt",
        "lastUpdateDate.gt",
        "lastUpdateDate.lt",
    },
}
_ANY_CASE = st.sampled_from([str.lower, str.upper, str.title, str])
_ANY_VALUE = st.one_of(_VALUE, st.integers().map(str), st.sampled_from(["abc", "0", "-1", "100000", "1e9", "50"]))


def test_the_product_filters_are_the_documented_ones() -> None:
    assert {backend: filters.keys for backend, filters in PRODUCT_FILTERS.items()} == DOCUMENTED


@given(
    backend=st.sampled_from(PRODUCT_BACKENDS),
    key=st.sampled_from(PAGING_KEYS),
    case=_ANY_CASE,
    value=_ANY_VALUE,
    before=st.lists(st.sampled_from(["status=active", "productOffering.id=O1"]), max_size=2, unique=True),
)
@example(backend="wholesale", key="limit", case=str, value="100000", before=[])
@example(backend="carrier", key="limit", case=str, value="abc", before=[])
@example(backend="wholesale", key="offset", case=str.upper, value="-1", before=["status=active"])
def test_paging_keys_belong_to_the_bot(
    backend: str, key: str, case: Callable[[str], str], value: str, before: list[str]
) -> None:
    text = " ".join(["products", backend, *before, f"{case(key)}={quote_word(value)}"])
    with pytest.raises(CommandError) as raised:
        run(text)
    assert raised.value.verb == "products"
    assert raised.value.message == (
        f"'{case(key)}=' is not a filter: `products` pages, sorts and picks the fields itself"
        " (Next and Previous buttons under the list)."
    )


@given(key=st.sampled_from(PAGING_KEYS), case=_ANY_CASE, value=_ANY_VALUE, verb=st.sampled_from(["orders", "sites"]))
def test_other_lists_refuse_paging_keys_too(key: str, case: Callable[[str], str], value: str, verb: str) -> None:
    with pytest.raises(CommandError) as raised:
        run(f"{verb} {case(key)}={quote_word(value)}")
    assert raised.value.verb == verb and "is not a filter" in raised.value.message


@given(
    backend=st.sampled_from(PRODUCT_BACKENDS),
    keys=st.lists(
        st.from_regex(KEY_PATTERN, fullmatch=True) | st.sampled_from(sorted(DOCUMENTED["wholesale"])), max_size=4
    ),
    case=_ANY_CASE,
    value=_VALUE,
    default=_DEFAULT,
    named=st.booleans(),
)
def test_products_passes_on_only_documented_filters(
    backend: str, keys: list[str], case: Callable[[str], str], value: str, default: str | None, named: bool
) -> None:
    assume(named or keys)
    text = " ".join(["products", *([backend] if named else []), *(f"{case(k)}={quote_word(value)}" for k in keys)])
    try:
        command = run(text, default=backend if not named else default)
    except CommandError as err:
        assert err.verb == "products" and len(err.message.splitlines()) == 1
        documented = {k.casefold() for k in DOCUMENTED[backend]}
        folded = [k.casefold() for k in keys]
        assert any(k not in documented for k in folded) or len(set(folded)) < len(folded)
    else:
        assert isinstance(command, Products)
        assert [k for k, _ in command.filters] == [
            next(d for d in DOCUMENTED[backend] if d.casefold() == k.casefold()) for k in keys
        ]
        assert all(v == value for _, v in command.filters)
