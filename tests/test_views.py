"""Views: every order, quote, site, product, POQ, address, offering and business example maps."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_views import VIEWED, views_of  # noqa: E402

from integrations.sandbox.examples import Example, get_example
from integrations.states import OrderState, ProductStatus, QuoteState
from integrations.views import (
    AddressMatchView,
    AddressValidationView,
    OfferingView,
    OrderItemView,
    OrderView,
    PoqView,
    PriceView,
    ProductView,
    QuoteView,
    SiteView,
    address_validation_view,
    offering_view,
    order_label,
    order_view_from_business,
    order_view_from_carrier,
    order_view_from_wholesale,
    poq_view,
    product_view_from_carrier,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)


def test_every_kind_of_view_is_covered() -> None:
    kinds = {type(v) for e in VIEWED for v in views_of(e)}
    assert {
        OrderView,
        OrderItemView,
        QuoteView,
        SiteView,
        ProductView,
        PoqView,
        AddressValidationView,
        AddressMatchView,
        OfferingView,
        PriceView,
    } <= kinds


@pytest.mark.parametrize("example", VIEWED, ids=lambda e: e.slug)
def test_example_maps_to_view(example: Example) -> None:
    views = views_of(example)
    assert views or example.model == "ProductOfferingCatalog"  # the seed shows it with every list elided
    for view in views:
        assert view.model_config.get("frozen") is True
        hash(view)
        # deterministic and re-loadable
        assert type(view).model_validate(view.model_dump(mode="json")) == view
        assert type(view).model_validate_json(view.model_dump_json()) == view
        if isinstance(view, OrderView | ProductView | QuoteView):
            assert view.reference == f"{view.backend}:{view.id}"
    # mapping twice gives the same views
    assert views_of(example) == views


# --- meaningful values, example by example -----------------------------------------------------------


def view(slug: str, index: int = 0) -> Any:
    return views_of(get_example(slug))[index]


def test_carrier_order_11() -> None:
    order = view("carrier/product-order-get-11")
    assert isinstance(order, OrderView)
    assert (order.backend, order.id, order.reference) == ("carrier", "11", "carrier:11")
    assert (order.state, order.state_raw, order.is_final) == (OrderState.pending, "pending", False)
    assert order.specification == "install"
    assert order.external_ids == ("1",)
    assert order.order_date == datetime(2021, 3, 30, 16, 10, 8, tzinfo=UTC)
    assert order.expected_completion_date == datetime(2021, 4, 6, 16, 10, 8, tzinfo=UTC)
    assert [i.id for i in order.items] == ["1", "2", "3"]
    first, second, third = order.items
    assert first.prices == (
        PriceView(
            name="recurring charge",
            kind="recurring",
            amount=Decimal("28.000"),
            currency="EUR",
            period="day",
            tax_included=False,
            item_id="1",
        ),
    )
    assert (first.product_id, first.specification_id, first.bandwidth, first.class_of_service) == (
        "LDD30106",
        "TransitELine",
        "4",
        "GUARANTEED",
    )
    assert second.prices[0].kind == "one_off" and second.prices[0].amount == Decimal(3000)
    assert second.prices[0].period is None
    assert (second.specification_id, second.site_ids) == ("ENNI", ("1440397",))
    assert third.site_ids == ("730124",)
    assert [(p.item_id, p.amount) for p in order.prices] == [
        ("1", Decimal(28)),
        ("2", Decimal(3000)),
        ("3", Decimal(1000)),
    ]
    # buyer id only, no contact data
    assert [p.model_dump() for p in order.related_parties_summary] == [
        {"role": "buyer", "id": "27117624", "name": None}
    ]
    assert "emailAddress" not in order.model_dump_json() and "test@mail.com" not in order.model_dump_json()
    assert order.open_errors == ()


def test_carrier_order_list_is_partial() -> None:
    orders = views_of(get_example("carrier/product-order-list"))
    assert [(o.id, o.state) for o in orders] == [
        ("9", OrderState.in_progress),
        ("11", OrderState.pending),
        ("13", OrderState.pending),
        ("14", OrderState.pending),
    ]
    assert all(o.items == () and o.is_partial for o in orders)
    assert not view("carrier/product-order-get-11").is_partial


def test_carrier_order_item_with_quote() -> None:
    item = view("carrier/product-order-item-with-quote-fragment")
    assert (item.quote_id, item.bandwidth, item.class_of_service) == ("10", "220", "GUARANTEED")


def test_carrier_order_request_carries_quote_ids() -> None:
    body = copy.deepcopy(get_example("carrier/product-order-create-3-modify-request").body)
    body["productOrderItem"][0]["quote"] = {"id": 10}
    order = order_view_from_carrier(body)
    assert order.quote_ids == ("10",)
    assert order.items[0].action == "modify" and order.items[0].product_id == "LDD01100"


def test_wholesale_item_milestones_and_errors() -> None:
    item = view("wholesale/product-order-item-milestones-fragment")
    assert isinstance(item, OrderItemView)
    assert item.state is OrderState.in_progress
    statuses = [e.status for e in item.error_messages]
    assert sorted(statuses) == ["closed", "opened", "opened"]
    assert [e.reason for e in item.error_messages if e.is_open] == ["OWF", "ORT"]
    assert len(item.milestones) == 3
    assert item.milestones[0].message == "Validation de la commande en cours"
    assert item.milestones[0].date == datetime(2022, 9, 30, 12, 26, 23, tzinfo=UTC)
    assert all(m.status == "completed" for m in item.milestones)
    assert item.jeopardy_alerts == ()
    # an error message is known by item, reason, message and timestamp
    assert len({e.key for e in item.error_messages}) == 3


def test_wholesale_order_gathers_item_errors_and_milestones() -> None:
    item = get_example("wholesale/product-order-item-milestones-fragment").body
    order = order_view_from_wholesale(
        {
            "id": "de76cfa1-9a55-412f-a9ee-61ca2f662a63",
            "state": "inProgress",
            "productOrderSpecification": "Acquisition",
            "externalIdentifier": [{"id": "myExternalId", "externalIdentifierType": "customerIdentifier"}],
            "productOrderItem": [{**item, "id": "O40140084001"}, {"id": "GOC40140084001", "state": "completed"}],
            "note": [{"author": "System", "date": "2023-05-25T11:38:04+02:00", "text": "067 …", "@type": "errorNote"}],
        }
    )
    assert order.reference == "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63"
    assert order.specification == "Acquisition" and order.external_ids == ("myExternalId",)
    assert len(order.error_messages) == 3 and {e.item_id for e in order.error_messages} == {"O40140084001"}
    assert len(order.open_errors) == 2
    assert len(order.milestones) == 3
    assert order.notes[0].type == "errorNote" and order.notes[0].date == datetime(2023, 5, 25, 9, 38, 4, tzinfo=UTC)
    assert [i.id for i in order.items] == ["GOC40140084001", "O40140084001"]


def test_wholesale_order_item_get() -> None:
    item = view("wholesale/product-order-item-get")
    assert (item.id, item.state, item.state_raw) == ("O40140084001", OrderState.accepted, "inProgress.accepted")
    assert (item.offering_id, item.offering_name, item.bandwidth) == ("O40140084001", "Accès", "300M/300M")


def test_wholesale_partial_orders() -> None:
    orders = views_of(get_example("wholesale/product-order-list-filter-state"))
    assert {(o.state, o.state_raw) for o in orders} == {(OrderState.in_progress, "INPROGRESS")}
    dated = views_of(get_example("wholesale/product-order-list-fields"))
    assert dated[0].order_date == datetime(2021, 7, 22, 9, 27, 22, tzinfo=UTC)
    assert dated[0].description == "ProductOrder illustration Ariane"
    paged = view("wholesale/product-order-list-paged")
    assert (paged.id, paged.state) == ("9240353c-cd38-447c-9437-9d4aa229d5ff", OrderState.unknown)


def test_wholesale_create_request_misspelt_specification() -> None:
    order = view("wholesale/product-order-create-request")
    assert order.specification == "Acquisition"
    assert len(order.items) == 10
    atomic = next(i for i in order.items if i.id == "O40140084001")
    assert atomic.bandwidth == "300M/300M"
    termination = view("wholesale/product-order-create-termination-request")
    assert termination.specification == "Termination" and termination.items[0].action == "delete"


def test_quote_6() -> None:
    quote = view("carrier/quote-get-6")
    assert isinstance(quote, QuoteView)
    assert (quote.id, quote.reference, quote.state, quote.level) == ("6", "carrier:6", QuoteState.approved, "firm")
    assert quote.valid_until == datetime(2021, 4, 1, 23, 59, 59, tzinfo=UTC)
    assert quote.valid_from == datetime(2021, 3, 30, 14, 13, 52, tzinfo=UTC)
    assert not quote.is_orderable()
    assert quote.is_orderable(datetime(2021, 4, 1, 12, tzinfo=UTC))
    assert not quote.is_orderable(datetime(2021, 4, 2, tzinfo=UTC))
    (item,) = quote.items
    assert (item.term and (item.term.amount, item.term.units)) == (Decimal(1), "day")
    assert item.prices[0].amount == Decimal(50) and item.prices[0].period == "day"
    assert item.related_product_ids == ("ROUTA591-TenGigEth1-0-5", "ROUTA659-TenGigEth1-0-6")


def test_quote_34_and_list() -> None:
    quote = view("carrier/quote-create-1-response")
    assert quote.id == "34" and [i.site_ids for i in quote.items] == [(), ("45540",), ("105740",)]
    assert quote.items[0].term is not None and quote.items[0].term.units == "year"
    assert [p.amount for p in quote.prices] == [86, 1000, 1000]
    listed = views_of(get_example("carrier/quote-list"))
    assert [q.id for q in listed] == ["4", "5", "6", "7"]
    assert not any(q.is_orderable(datetime(2021, 3, 31, tzinfo=UTC)) for q in listed)  # no validity in a list


def test_sites() -> None:
    (bagnolet,) = views_of(get_example("carrier/geographic-site-list-city-paris"))
    assert (bagnolet.id, bagnolet.name, bagnolet.city, bagnolet.locality) == ("105740", "Bagnolet", "Bagnolet", "Paris")
    assert bagnolet.address_lines == ("7, avenue Gambetta",)
    assert bagnolet.state_or_province == "EUROPE_ZONE1"
    single = view("carrier/geographic-site-get")
    assert (single.name, single.locality, single.postcode, single.country) == ("Bagnolet", "Paris", "93177", "France")
    assert single.one_line == "7, avenue Gambetta, 93177 Bagnolet, France"
    assert [s.name for s in views_of(get_example("carrier/geographic-site-list"))] == [
        "Abidjan KM4",
        "Aman Hashim Datacenter",
        "Bagnolet",
    ]


def test_carrier_products() -> None:
    product = view("carrier/product-get")
    assert (product.id, product.status, product.status_raw, product.order_id) == (
        "LDD30114",
        ProductStatus.pending,
        "pending",
        "31",
    )
    assert (product.bandwidth, product.class_of_service, product.offering_id) == ("4", "GUARANTEED", "Intense")
    assert product.relationships == (
        ("hasENNIEndPoint", "ROUTA591-TenGigEth1-0-5"),
        ("hasENNIEndPoint", "ROUTA659-TenGigEth1-0-6"),
    )
    assert [(p.kind, p.amount) for p in product.prices] == [("one_off", 0), ("recurring", 50)]
    assert product.terms[0].name == "FULL_FLEXIBLE"
    assert product.last_update == datetime(2021, 4, 2, 14, 13, 57, tzinfo=UTC)
    statuses = [p.status for p in views_of(get_example("carrier/product-list"))]
    assert ProductStatus.active in statuses and ProductStatus.pending in statuses


def test_wholesale_products() -> None:
    product = view("wholesale/inventory-product-get")
    assert (product.name, product.status, product.status_raw, product.operational_status) == (
        "Collecte régionale",
        ProductStatus.active,
        "ACTIVE",
        "active",
    )
    assert ("Région Collecte", "LORRAINE") in product.characteristics
    assert ("N° de VLAN de livraison", "236") in product.characteristics
    assert product.start_date == datetime(2021, 2, 2, 23, tzinfo=UTC)
    tree = view("wholesale/inventory-product-get-depth-2")
    assert tree.offering_id == "GOC40140084001" and tree.order_id == "2"
    (play,) = tree.children
    assert play.offering_id == "OC40140084001"
    assert len(play.children) == 4 and len(play.relationships) == 4
    assert all(c.children == () and len(c.relationships) == 1 for c in play.children)
    named = views_of(get_example("wholesale/inventory-product-list-fields-name"))
    assert named[0].status is ProductStatus.unknown and named[0].name == "Caractéristiques principales"


def test_poq() -> None:
    poq = view("carrier/poq-create-1-response")
    assert (poq.id, poq.state, poq.all_green) == ("75b2b6da-d52e-470e-9e92-b39841435c00", "done", True)
    first, second, _ = poq.items
    assert first.installation_interval is not None
    assert (first.installation_interval.amount, first.installation_interval.unit) == (5, "businessDays")
    assert second.site_ids == ("1265904",) and second.installation_interval is not None
    assert second.installation_interval.unit == "businessHours"
    assert poq.guaranteed_until == datetime(2021, 4, 4, 1, 20, 56, tzinfo=UTC)


def test_address_validation() -> None:
    result = view("carrier/geographic-address-validation-create-response")
    assert result.result == "success"
    assert result.best_match == AddressMatchView(
        id="22482972", line="12 rue des fleurs, 95870 bezons, France", allows_new_site=True, has_public_site=False
    )
    assert result.submitted == "12 rue des fleurs, 95870 Bézons, france"
    assert result.alternatives == ()
    assert view("carrier/geographic-address-get") == result.best_match


def test_offering_and_catalog_prices() -> None:
    offering = view("wholesale/catalog-product-offering-get")
    assert (offering.id, offering.type) == ("GOC40150084001", "contract")
    assert offering.categories == ("Aero", "FTTH")
    assert offering.bundled_offerings[0].id == "OC40150084001"
    assert ("apiOrderable", "false") in offering.properties
    price = view("wholesale/catalog-product-offering-price-get")
    assert (price.kind, price.amount, price.currency, price.tax_included) == ("one_off", 111, "EUR", False)
    spec = get_example("wholesale/catalog-product-specification-get").body
    joined = offering_view(
        get_example("wholesale/catalog-product-offering-get").body,
        prices=[get_example("wholesale/catalog-product-offering-price-get").body],
        specifications=[spec],
    )
    assert joined.prices == (price,)
    assert joined.characteristics[0].values == ("300M/300M", "400M/1000M", "800M/1000M")


def test_business_requests() -> None:
    first = view("business/requests-list-item")
    assert (first.backend, first.reference, first.state, first.state_raw) == (
        "business",
        "business:3-00286023",
        OrderState.acknowledged,
        "REQUEST",
    )
    assert (first.specification, first.description, first.external_ids) == (
        "R_BVPN_S1A",
        "Ceci est un test ne pas traiter",
        ("#DEMO#",),
    )
    assert first.related_parties_summary[0].name == "demo.gcompte"
    generic = view("business/requests-list-filter-type")
    assert generic.expected_completion_date == datetime(2021, 5, 23, tzinfo=UTC)
    assert "nicolas.sergent" not in generic.model_dump_json()
    detail = view("business/request-get")
    assert (detail.id, detail.state) == ("W05VL130721", OrderState.unknown)


def test_order_label_names_the_order_as_the_buyer_knows_it() -> None:
    carrier = view("carrier/product-order-get-11")
    assert (carrier.buyer_pon, carrier.place) == ("BOA12", "site 1440397")
    assert order_label(carrier) == "1 / BOA12 · site 1440397"
    wholesale = view("wholesale/product-order-create-request")
    assert wholesale.place == "OULLINS C"  # the delivery building, as the order carries it
    assert order_label(wholesale) == "myExternalId · OULLINS C"
    business = view("business/requests-list-filter-type")
    assert business.place == "DEMO ECE - GC GRP 2 ENT 1, NANTES"
    assert order_label(view("business/requests-list-item")) == "#DEMO# · Ceci est un test ne pas traiter"
    assert order_label(view("business/request-get")) == "business:W05VL130721"  # nothing else to name it by
    long = OrderView(
        backend="wholesale", id="x", reference="wholesale:x", external_ids=("R" * 30,), description="d" * 90
    )
    assert len(order_label(long)) == 80 and order_label(long).endswith("…")
    assert order_label(long, limit=20) == "R" * 19 + "…"
    spaced = OrderView(backend="business", id="y", reference="business:y", description="  two\n lines  ")
    assert order_label(spaced) == "two lines"


# --- properties ------------------------------------------------------------------------------------


def _shuffle_lists(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _shuffle_lists(v, rnd) for k, v in items}
    if isinstance(value, list):
        out = [_shuffle_lists(v, rnd) for v in value]
        rnd.shuffle(out)
        return out
    return value


def _rich_wholesale_order() -> dict[str, Any]:
    milestones = get_example("wholesale/product-order-item-milestones-fragment").body
    atomic = get_example("wholesale/product-order-item-atomic-offer-fragment").body
    return {
        "id": "de76cfa1-9a55-412f-a9ee-61ca2f662a63",
        "state": "inProgress",
        "externalIdentifier": [{"id": "b"}, {"id": "a"}],
        "productOrderItem": [
            {**milestones, "id": "O1"},
            {**milestones, "id": "O2"},
            atomic,
            get_example("wholesale/product-order-item-get").body,
            {"id": "P", "itemTotalPrice": [_tmf_price(10), _tmf_price(20), _tmf_price(10, "recurring")]},
        ],
        "note": [
            {"author": "a", "date": "2023-05-25T11:38:04+02:00", "text": "x"},
            {"author": "b", "date": "2023-05-25T11:38:04+02:00", "text": "x"},
        ],
        "relatedParty": [{"id": "2", "role": "buyer"}, {"id": "1", "role": "buyer", "name": "n"}],
    }


def _tmf_price(value: int, kind: str = "one time") -> dict[str, Any]:
    return {"priceType": kind, "price": {"dutyFreeAmount": {"value": value, "unit": "EUR"}}}


ORDER_CASES: list[tuple[Callable[[Any], OrderView], dict[str, Any]]] = [
    (order_view_from_carrier, get_example("carrier/product-order-get-11").body),
    (order_view_from_carrier, get_example("carrier/product-order-create-1-response").body),
    (order_view_from_wholesale, _rich_wholesale_order()),
    (order_view_from_wholesale, get_example("wholesale/product-order-create-request").body),
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ORDER_CASES), st.randoms(use_true_random=False))
def test_list_order_does_not_change_the_view(case: tuple[Callable[[Any], OrderView], Any], rnd: random.Random) -> None:
    mapper, body = case
    shuffled = _shuffle_lists(copy.deepcopy(body), rnd)
    assert mapper(shuffled) == mapper(body)
    assert mapper(shuffled).model_dump_json() == mapper(body).model_dump_json()


IDS = st.one_of(st.integers(min_value=0, max_value=10**9), st.text(min_size=1, max_size=12))
STATES = st.one_of(
    st.sampled_from(
        ["pending", "inProgress", "INPROGRESS", "inProgress.accepted", "completed", "assesssingCancellation"]
    ),
    st.text(max_size=15),
)
DATES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=10),
    st.none(),
)
AMOUNTS = st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, places=3).map(float)


@st.composite
def mef_prices(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "priceType": draw(st.sampled_from(["recurring", "nonRecurring", "usageBased", "one time", "weird"])),
        "name": draw(st.one_of(st.none(), st.text(max_size=10))),
        "price": {"preTaxAmount": {"value": draw(AMOUNTS), "unit": draw(st.sampled_from(["EUR", "eur", "USD"]))}},
        "recurringChargePeriod": draw(st.sampled_from(["day", "month"])),
    }


@st.composite
def carrier_orders(draw: st.DrawFn) -> dict[str, Any]:
    items = [
        {
            "id": draw(IDS),
            "state": draw(STATES),
            "action": "add",
            "orderItemPrice": draw(st.lists(mef_prices(), max_size=3)),
            "product": {
                "id": draw(st.text(max_size=8)),
                "productConfiguration": {"bandwidth": draw(st.integers(1, 10_000)), "classOfService": "STANDARD"},
                "place": [{"id": draw(IDS), "@referredType": "GeographicSite"}],
            },
            "quote": {"id": draw(IDS)},
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    return {
        "id": draw(IDS),
        "state": draw(STATES),
        "orderDate": draw(DATES),
        "expectedCompletionDate": draw(DATES),
        "externalId": draw(st.text(min_size=1, max_size=5)),
        "productOrderItem": items,
        "unknownField": draw(st.integers()),
    }


@st.composite
def wholesale_orders(draw: st.DrawFn) -> dict[str, Any]:
    def messages(draw: st.DrawFn) -> list[dict[str, Any]]:
        return [
            {
                "message": draw(st.text(max_size=10)),
                "reason": draw(st.sampled_from(["OWF", "ORT"])),
                "status": draw(st.sampled_from(["opened", "closed", "OPENED", "other"])),
                "timestamp": draw(DATES),
            }
            for _ in range(draw(st.integers(0, 3)))
        ]

    items = [
        {
            "id": draw(IDS),
            "state": draw(STATES),
            "errorMessage": messages(draw),
            "milestone": [{"message": draw(st.text(max_size=5)), "milestoneDate": draw(DATES)}],
            "itemTotalPrice": draw(st.lists(mef_prices(), max_size=2)),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {"id": draw(IDS), "state": draw(STATES), "productOrderItem": items, "errorMessage": messages(draw)}


@settings(max_examples=80, deadline=None)
@given(carrier_orders(), st.randoms(use_true_random=False))
def test_carrier_views_round_trip_and_ignore_list_order(body: dict[str, Any], rnd: random.Random) -> None:
    order = order_view_from_carrier(body)
    assert OrderView.model_validate(order.model_dump(mode="json")) == order
    assert OrderView.model_validate_json(order.model_dump_json()) == order
    assert order_view_from_carrier(_shuffle_lists(copy.deepcopy(body), rnd)) == order
    hash(order)


@settings(max_examples=80, deadline=None)
@given(wholesale_orders(), st.randoms(use_true_random=False))
def test_wholesale_views_round_trip_and_ignore_list_order(body: dict[str, Any], rnd: random.Random) -> None:
    order = order_view_from_wholesale(body)
    assert OrderView.model_validate(order.model_dump(mode="json")) == order
    assert order_view_from_wholesale(_shuffle_lists(copy.deepcopy(body), rnd)) == order
    assert len(order.error_messages) == len(body["errorMessage"]) + sum(
        len(i["errorMessage"]) for i in body["productOrderItem"]
    )


def test_partial_fields_state_list_entry_maps() -> None:
    for body in ({"id": 1}, {"id": "x", "href": None, "state": None}, {}):
        assert order_view_from_carrier(body).items == ()
        assert order_view_from_wholesale(body).state is OrderState.unknown
        assert product_view_from_wholesale(body).status is ProductStatus.unknown
        assert quote_view_from_carrier(body).state is QuoteState.unknown
        assert site_view_from_carrier(body).address_lines == ()
        assert order_view_from_business(body).state is OrderState.unknown
        assert poq_view(body).items == ()
        assert address_validation_view(body).best_match is None
        assert offering_view(body).prices == ()
        assert product_view_from_carrier(body).relationships == ()


def test_order_label_names_a_carrier_site_once_resolved() -> None:
    carrier = view("carrier/product-order-get-11")
    assert order_label(carrier, site_name="Marseille MRS1, Marseille") == "1 / BOA12 · Marseille MRS1, Marseille"
    assert order_label(carrier, site_name=None) == "1 / BOA12 · site 1440397"  # unresolved: the bare id
    assert order_label(carrier, site_name="Marseille MRS1, Marseille", limit=20) == "1 / BOA12 · Marseil…"
