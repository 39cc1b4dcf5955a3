"""Wire models against every JSON example of Orange's API pages, plus edge tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from integrations.sandbox.examples import Example, load_examples
from integrations.types import TokenResponse
from integrations.types.business import BusinessRequest
from integrations.types.carrier import (
    AddressValidationCreate,
    CarrierProduct,
    CarrierProductOrder,
    CarrierProductOrderCreate,
    CarrierProductOrderItem,
    GeographicAddress,
    GeographicAddressValidation,
    GeographicSite,
    PoqCreate,
    ProductOfferingQualification,
    Quote,
    QuoteCreate,
)
from integrations.types.common import (
    Characteristic,
    CharacteristicChoiceValue,
    ExternalIdentifier,
    Id,
    Money,
    Note,
    OrangeModel,
    ProductOfferingRef,
    RelatedParty,
    RelatedPlace,
    Term,
    Timestamp,
    as_datetime,
    parse_timestamp,
)
from integrations.types.error import ErrorBody
from integrations.types.wholesale import (
    AgreementRef,
    AppointmentRef,
    CancelProductOrder,
    CancelProductOrderCreate,
    Category,
    HubCreate,
    OrderItemProduct,
    ProductOffering,
    ProductOfferingCatalog,
    ProductOfferingPrice,
    ProductSpecCharacteristic,
    ProductSpecification,
    WholesaleProduct,
    WholesaleProductOrder,
    WholesaleProductOrderCreate,
    WholesaleProductOrderItem,
)

# (backend, api, index model) -> (our model, is a list of it). `None` as api matches any api.
MODELS: dict[tuple[str, str | None, str], tuple[type[OrangeModel], bool]] = {
    ("auth", None, "Token"): (TokenResponse, False),
    ("carrier", None, "Error"): (ErrorBody, False),
    ("carrier", None, "GeographicAddress"): (GeographicAddress, False),
    ("carrier", None, "GeographicAddressValidation"): (GeographicAddressValidation, False),
    ("carrier", None, "GeographicAddressValidationCreate"): (AddressValidationCreate, False),
    ("carrier", None, "GeographicSite"): (GeographicSite, False),
    ("carrier", None, "GeographicSiteList"): (GeographicSite, True),
    ("carrier", None, "Product"): (CarrierProduct, False),
    ("carrier", None, "ProductList"): (CarrierProduct, True),
    ("carrier", None, "ProductOfferingQualification"): (ProductOfferingQualification, False),
    ("carrier", None, "ProductOfferingQualificationCreate"): (PoqCreate, False),
    ("carrier", None, "ProductOrder"): (CarrierProductOrder, False),
    ("carrier", None, "ProductOrderCreate"): (CarrierProductOrderCreate, False),
    ("carrier", None, "ProductOrderList"): (CarrierProductOrder, True),
    ("carrier", None, "ProductOrderItem"): (CarrierProductOrderItem, False),
    ("carrier", None, "Quote"): (Quote, False),
    ("carrier", None, "QuoteCreate"): (QuoteCreate, False),
    ("carrier", None, "QuoteList"): (Quote, True),
    ("wholesale", None, "Error"): (ErrorBody, False),
    ("wholesale", None, "EventSubscriptionInput"): (HubCreate, False),
    ("wholesale", "productCatalog", "ProductOfferingCatalog"): (ProductOfferingCatalog, False),
    ("wholesale", "productCatalog", "Category"): (Category, False),
    ("wholesale", "productCatalog", "ProductOffering"): (ProductOffering, False),
    ("wholesale", "productCatalog", "ProductOfferingPrice"): (ProductOfferingPrice, False),
    ("wholesale", "productCatalog", "ProductSpecCharacteristic"): (ProductSpecCharacteristic, False),
    ("wholesale", "productCatalog", "ProductSpecification"): (ProductSpecification, False),
    ("wholesale", "productInventory", "Product"): (WholesaleProduct, False),
    ("wholesale", "productInventory", "ProductList"): (WholesaleProduct, True),
    ("wholesale", "productOrdering", "AgreementRef"): (AgreementRef, False),
    ("wholesale", "productOrdering", "AppointmentRef"): (AppointmentRef, False),
    ("wholesale", "productOrdering", "CancelProductOrder"): (CancelProductOrder, False),
    ("wholesale", "productOrdering", "CancelProductOrderCreate"): (CancelProductOrderCreate, False),
    ("wholesale", "productOrdering", "Characteristic"): (Characteristic, False),
    ("wholesale", "productOrdering", "ExternalIdentifier"): (ExternalIdentifier, False),
    ("wholesale", "productOrdering", "Note"): (Note, False),
    ("wholesale", "productOrdering", "OrderTerm"): (Term, False),
    ("wholesale", "productOrdering", "Product"): (OrderItemProduct, False),
    ("wholesale", "productOrdering", "ProductOfferingRef"): (ProductOfferingRef, False),
    ("wholesale", "productOrdering", "ProductOrder"): (WholesaleProductOrder, False),
    ("wholesale", "productOrdering", "ProductOrderCreate"): (WholesaleProductOrderCreate, False),
    ("wholesale", "productOrdering", "ProductOrderList"): (WholesaleProductOrder, True),
    ("wholesale", "productOrdering", "ProductOrderItem"): (WholesaleProductOrderItem, False),
    ("wholesale", "productOrdering", "RelatedParty"): (RelatedParty, False),
    ("wholesale", "productOrdering", "RelatedPlaceRefOrValue"): (RelatedPlace, False),
    ("business", None, "BusinessRequest"): (BusinessRequest, False),
    ("business", None, "BusinessRequestList"): (BusinessRequest, True),
}

# Pages the seeds quote from APIs we do not call (the operator eligibility and party APIs).
NOT_OURS = {("wholesale", "operatorEligibility"), ("wholesale", "partyManagement")}


# A fragment shows part of a request body: it is checked against the read model.
FRAGMENT_OF_CREATE: dict[type[OrangeModel], type[OrangeModel]] = {
    WholesaleProductOrderCreate: WholesaleProductOrder,
    CarrierProductOrderCreate: CarrierProductOrder,
}


def model_for(example: Example) -> tuple[type[OrangeModel], bool] | None:
    found = _lookup(example)
    if found is not None and example.kind == "fragment" and found[0] in FRAGMENT_OF_CREATE:
        return FRAGMENT_OF_CREATE[found[0]], found[1]
    return found


def _lookup(example: Example) -> tuple[type[OrangeModel], bool] | None:
    return MODELS.get((example.backend, example.api, example.model)) or MODELS.get(
        (example.backend, None, example.model)
    )


def values_of(example: Example) -> list[Any]:
    """The objects the example's model describes: unwraps `{"key": value}` fragments and lists."""
    body = example.body
    _, is_list = model_for(example) or (None, False)
    if example.kind == "fragment" and isinstance(body, dict) and len(body) == 1:
        (inner,) = body.values()
        if isinstance(inner, dict | list):
            body = inner
    if isinstance(body, list):
        return body
    assert not is_list, f"{example.slug}: a list model with a single object"
    return [body]


EXAMPLES = load_examples()
OURS = [e for e in EXAMPLES if model_for(e) is not None]


def test_every_example_is_ours_or_known_foreign() -> None:
    foreign = {(e.backend, e.api) for e in EXAMPLES if model_for(e) is None}
    assert foreign <= NOT_OURS, foreign


def assert_keys_kept(original: Any, dumped: Any, path: str = "$") -> None:
    """Every key of the input is in the output, recursively (values may be normalised)."""
    if isinstance(original, dict):
        assert isinstance(dumped, dict), path
        missing = set(original) - set(dumped)
        assert not missing, f"{path}: lost {sorted(missing)}"
        for key, value in original.items():
            assert_keys_kept(value, dumped[key], f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(dumped, list) and len(dumped) == len(original), path
        for i, (a, b) in enumerate(zip(original, dumped, strict=True)):
            assert_keys_kept(a, b, f"{path}[{i}]")


def ids_are_str(value: Any, path: str = "$") -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in {"id", "productOrderId", "externalId", "projectId"} and inner is not None:
                assert isinstance(inner, str), f"{path}.{key} = {inner!r}"
            ids_are_str(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            ids_are_str(inner, f"{path}[{i}]")


@pytest.mark.parametrize("example", OURS, ids=lambda e: e.slug)
def test_example_parses(example: Example) -> None:
    model, _ = model_for(example) or (None, False)
    assert model is not None
    for value in values_of(example):
        parsed = model.model_validate(value)
        assert isinstance(parsed, model)


@pytest.mark.parametrize("example", OURS, ids=lambda e: e.slug)
def test_example_round_trips(example: Example) -> None:
    model, _ = model_for(example) or (None, False)
    assert model is not None
    for value in values_of(example):
        parsed = model.model_validate(value)
        dumped = parsed.model_dump(by_alias=True, exclude_unset=True)
        assert_keys_kept(value, dumped)
        as_json = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert_keys_kept(value, as_json)
        # what we write back parses to the same model
        assert model.model_validate(as_json) == parsed


@pytest.mark.parametrize("example", OURS, ids=lambda e: e.slug)
def test_example_ids_are_str(example: Example) -> None:
    model, _ = model_for(example) or (None, False)
    assert model is not None
    for value in values_of(example):
        ids_are_str(model.model_validate(value).model_dump(by_alias=True, exclude_unset=True))


# --- ids -------------------------------------------------------------------------------------

ID = TypeAdapter(Id)


@pytest.mark.parametrize(("raw", "expected"), [(11, "11"), ("11", "11"), (0, "0"), ("LDD30114", "LDD30114")])
def test_id_accepts_int_and_str(raw: object, expected: str) -> None:
    assert ID.validate_python(raw) == expected


@pytest.mark.parametrize("raw", [True, False, 1.5, 11.0, None, [1], {"id": 1}])
def test_id_refuses_other_types(raw: object) -> None:
    with pytest.raises(ValidationError):
        ID.validate_python(raw)


def test_numeric_and_string_order_ids_are_equal() -> None:
    assert CarrierProductOrder.model_validate({"id": 11}) == CarrierProductOrder.model_validate({"id": "11"})
    assert Quote.model_validate({"id": 6}).id == "6"
    assert CarrierProduct.model_validate({"productOrderId": 31}).product_order_id == "31"
    item = WholesaleProductOrderItem.model_validate({"id": 1, "productOrderItemRelationship": [{"id": 2}]})
    assert (item.id, item.product_order_item_relationship[0].id) == ("1", "2")


def test_required_id_refuses_null() -> None:
    with pytest.raises(ValidationError):
        HubCreate.model_validate({"callback": None})
    from integrations.types.carrier import QuoteItemCreate

    with pytest.raises(ValidationError):
        QuoteItemCreate.model_validate({"id": None, "product": {}})
    with pytest.raises(ValidationError):
        QuoteItemCreate.model_validate({"id": True, "product": {}})


# --- dates -----------------------------------------------------------------------------------

TS = TypeAdapter(Timestamp)
PARIS_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2000-12-31T23:00:00.000+0000", datetime(2000, 12, 31, 23, tzinfo=UTC)),
        ("2021-04-04T16:23:12Z", datetime(2021, 4, 4, 16, 23, 12, tzinfo=UTC)),
        ("2021-04-04T03:25:35.967Z", datetime(2021, 4, 4, 3, 25, 35, 967000, tzinfo=UTC)),
        ("2022-10-14T19:06:19+02:00", datetime(2022, 10, 14, 19, 6, 19, tzinfo=PARIS_SUMMER)),
        ("2023-05-25T11:38:04+0200", datetime(2023, 5, 25, 11, 38, 4, tzinfo=PARIS_SUMMER)),
        ("2021-07-22T11:27:22.000+02:00", datetime(2021, 7, 22, 9, 27, 22, tzinfo=UTC)),
        ("2021-04-04T16:23:12", datetime(2021, 4, 4, 16, 23, 12, tzinfo=UTC)),
        ("2021-05-23", date(2021, 5, 23)),
    ],
)
def test_timestamps(raw: str, expected: datetime | date) -> None:
    parsed = TS.validate_python(raw)
    assert parsed == expected
    if isinstance(expected, datetime):
        assert isinstance(parsed, datetime) and parsed.tzinfo is not None
    else:
        assert type(parsed) is date


@pytest.mark.parametrize("raw", ["", "soon", "31/12/2021", "2021-13-45", "2021-02-30T00:00:00Z"])
def test_unparseable_timestamp_is_kept_raw(raw: str) -> None:
    assert TS.validate_python(raw) == raw
    order = CarrierProductOrder.model_validate({"id": 1, "orderDate": raw, "state": "pending"})
    assert order.order_date == raw
    assert order.model_dump(exclude_unset=True)["orderDate"] == raw
    assert as_datetime(order.order_date) is None


def test_timestamp_round_trip_and_as_datetime() -> None:
    note = Note.model_validate({"date": "2023-05-25T11:38:04+02:00"})
    assert note.model_dump(mode="json")["date"] == "2023-05-25T11:38:04+02:00"
    assert as_datetime(note.date) == datetime(2023, 5, 25, 9, 38, 4, tzinfo=UTC)
    assert as_datetime(date(2021, 5, 23)) == datetime(2021, 5, 23, tzinfo=UTC)
    assert parse_timestamp(None) is None


# --- money -----------------------------------------------------------------------------------


def test_mef_and_tmf_money() -> None:
    mef = Money.model_validate({"value": 28.000, "unit": "EUR"})
    tmf = Money.model_validate({"value": 111, "units": "eur"})
    assert (mef.value, mef.currency) == (Decimal("28"), "EUR")
    assert (tmf.value, tmf.currency) == (Decimal("111"), "EUR")
    assert Money.model_validate({"value": 0.1}).value == Decimal("0.1")
    assert Money.model_validate({"value": "12.50"}).model_dump(mode="json") == {
        "value": 12.5,
        "unit": None,
        "units": None,
    }


def test_catalog_price_with_plus0000_offset() -> None:
    price = ProductOfferingPrice.model_validate(
        {
            "id": "TAR40150084003",
            "type": "productOfferingPrice",
            "priceType": "one time",
            "validFor": {"startDate": "2000-12-31T23:00:00.000+0000"},
            "price": {"taxIncludedAmount": {"value": 111, "units": "eur"}},
        }
    )
    assert price.kind == "productOfferingPrice"
    assert price.valid_for is not None and price.valid_for.start_date == datetime(2000, 12, 31, 23, tzinfo=UTC)
    assert price.model_dump(exclude_unset=True)["type"] == "productOfferingPrice"


# --- tolerance -------------------------------------------------------------------------------


def test_unknown_fields_are_kept_at_every_level() -> None:
    raw = {
        "id": 11,
        "state": "pending",
        "carrierSpecific": {"a": 1},
        "productOrderItem": [{"id": "1", "newThing": [1, 2], "product": {"productConfiguration": {"vlan": 12}}}],
    }
    order = CarrierProductOrder.model_validate(raw)
    assert order.model_extra == {"carrierSpecific": {"a": 1}}
    dumped = order.model_dump(mode="json", exclude_unset=True)
    assert dumped["carrierSpecific"] == {"a": 1}
    assert dumped["productOrderItem"][0]["newThing"] == [1, 2]
    assert dumped["productOrderItem"][0]["product"]["productConfiguration"]["vlan"] == 12


def test_meta_fields_by_alias_and_by_name() -> None:
    place = RelatedPlace.model_validate({"id": "1", "@type": "PlaceRef", "@referredType": "GeographicSite"})
    assert (place.type_, place.referred_type) == ("PlaceRef", "GeographicSite")
    assert place.model_dump(exclude_unset=True) == {"id": "1", "@type": "PlaceRef", "@referredType": "GeographicSite"}
    built = RelatedPlace(id="1", type_="PlaceRef", referred_type="GeographicSite", role="ENNI Site")
    assert built.model_dump(exclude_none=True)["@referredType"] == "GeographicSite"


@pytest.mark.parametrize(
    ("model", "raw"),
    [
        (CarrierProductOrder, {"id": 9, "state": "inProgress"}),
        (WholesaleProductOrder, {"id": "2a89ed67", "href": "/api/v1/productOrder/2a89ed67", "state": "INPROGRESS"}),
        (WholesaleProductOrder, {"id": "9240353c", "href": None}),
        (WholesaleProduct, {"id": "2c90", "href": "/api/v1/product/2c90", "name": "Collecte régionale"}),
        (Quote, {"id": 4, "state": "approved"}),
        (GeographicSite, {"id": "105740"}),
        (BusinessRequest, {"id": "W05VL130721"}),
    ],
)
def test_partial_objects_from_fields_selection(model: type[BaseModel], raw: dict[str, Any]) -> None:
    parsed = model.model_validate(raw)
    assert parsed.model_dump(exclude_unset=True) == {k: (str(v) if k == "id" else v) for k, v in raw.items()}


def test_characteristic_values() -> None:
    choice = Characteristic.model_validate(
        {"name": "VLAN", "value": {"@type": "CharacteristicChoiceValue", "name": "Sans TAG"}}
    )
    assert isinstance(choice.value, CharacteristicChoiceValue)
    assert choice.display_value == "Sans TAG"
    assert Characteristic.model_validate({"value": "236"}).display_value == "236"
    assert Characteristic.model_validate({"value": 4}).display_value == "4"
    assert Characteristic.model_validate({"value": True}).display_value == "true"


def test_error_code_normalised_to_str() -> None:
    assert ErrorBody.model_validate({"code": 42, "message": "Expired credentials"}).code == "42"
    assert ErrorBody.model_validate({"code": "60", "reason": "Resource not found", "@type": "Error"}).code == "60"
    assert ErrorBody.model_validate({}).text == "unknown error"
    body = ErrorBody.model_validate({"code": 25, "description": "Missing header", "message": "...."})
    assert body.text == "Missing header" or "Missing header" in body.text


def test_token_expires_in_optional() -> None:
    token = TokenResponse.model_validate({"token_type": "Bearer", "access_token": "abc"})
    assert token.expires_in is None
    assert token.model_dump(exclude_unset=True) == {"token_type": "Bearer", "access_token": "abc"}


def test_wholesale_misspelt_specification_and_business_misspelt_archived() -> None:
    order = WholesaleProductOrder.model_validate({"productorderSpecification": "Acquisition"})
    assert order.specification == "Acquisition"
    assert order.model_dump(exclude_unset=True) == {"productorderSpecification": "Acquisition"}
    assert BusinessRequest.model_validate({"isAchived": True}).archived is True
    assert BusinessRequest.model_validate({"isArchived": False, "isAchived": True}).archived is False


def test_create_bodies_serialise_by_alias() -> None:
    body = CarrierProductOrderCreate.model_validate(
        {
            "externalId": "1",
            "relatedBuyerPON": "BOA12",
            "productOrderItem": [
                {"id": "1", "product": {"productConfiguration": {"@type": "EVPL", "bandwidth": 4}}, "quote": {"id": 10}}
            ],
        }
    )
    dumped = body.model_dump(mode="json", exclude_none=True)
    assert dumped["relatedBuyerPON"] == "BOA12"
    assert dumped["orderActivity"] == "install"
    assert dumped["productOrderItem"][0]["quote"] == {"id": "10"}
    assert dumped["productOrderItem"][0]["product"]["productConfiguration"]["@type"] == "EVPL"
    cancel = CancelProductOrderCreate.model_validate({"productOrder": {"id": "de76cfa1"}, "cancellationReason": "x"})
    assert cancel.model_dump(exclude_none=True)["@type"] == "cancelProductOrder"
