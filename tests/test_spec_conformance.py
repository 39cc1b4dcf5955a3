"""Every seed example against the official MEF / TM Forum schemas: only DEVIATIONS may differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integrations.sandbox.examples import Example, load_examples

try:
    import spec_conformance as sc
except ImportError:  # tests/ imported as a package
    from tests import spec_conformance as sc  # type: ignore[no-redef]

pytestmark = pytest.mark.skipif(
    not sc.specs_available(), reason=f"official specs not found at {sc.SPECS_DIR} (shared/ beside the repo)"
)

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# Models with no counterpart in the file used for their API (checked so a typo cannot silently skip one).
NO_COUNTERPART: set[tuple[str, str, str]] = {
    ("auth", "oauth", "Token"),  # OAuth token endpoint: not an MEF/TMF API
    ("business", "requests", "BusinessRequest"),  # Orange Business ordering v2: no official schema
    ("business", "requests", "BusinessRequestList"),
    ("wholesale", "partyManagement", "Organization"),  # TMF632 is not among the official files
    ("wholesale", "operatorEligibility", "ProductOfferingQualificationCreate"),  # Orange's eligibility API
    ("wholesale", "productOrdering", "ExternalIdentifier"),  # not in TMF622 v4 (externalId is a string)
    ("wholesale", "productCatalog", "ProductOfferingCatalog"),  # Orange's /productOffering/{id}/catalog
}

EXAMPLES = load_examples()
CHECKED = [e for e in EXAMPLES if sc.definition_for(e.backend, e.api, e.model) is not None]


def _findings(example: Example) -> list[sc.Finding]:
    definition = sc.definition_for(example.backend, example.api, example.model)
    assert definition is not None
    out: list[sc.Finding] = []
    for instance in example.instances():
        out += sc.errors_for(
            instance, backend=example.backend, api=example.api, definition=definition, partial=example.partial
        )
    return out


def test_every_model_is_mapped_or_known_to_have_no_counterpart() -> None:
    unmapped = {(e.backend, e.api, e.model) for e in EXAMPLES if e not in CHECKED}
    assert unmapped == NO_COUNTERPART
    assert len(CHECKED) > 80


@pytest.mark.parametrize("example", CHECKED, ids=lambda e: e.slug)
def test_example_conforms_up_to_deviations(example: Example) -> None:
    definition = sc.definition_for(example.backend, example.api, example.model)
    assert definition is not None
    errors = [
        error
        for instance in example.instances()
        for error in sc.validate(
            instance, backend=example.backend, api=example.api, definition=definition, partial=example.partial
        )
    ]
    assert errors == [], f"{example.slug} ({example.seed}:{example.line}) vs {definition}"


def test_every_deviation_is_used() -> None:
    used = {f.deviation.id for example in CHECKED for f in _findings(example) if f.deviation is not None}
    assert sorted({d.id for d in sc.DEVIATIONS} - used - sc.PROSE_ONLY) == [], "deviations no example needs"


def test_deviations_are_well_formed() -> None:
    ids = [d.id for d in sc.DEVIATIONS]
    assert len(ids) == len(set(ids))
    for deviation in sc.DEVIATIONS:
        assert deviation.backend in {"carrier", "wholesale"}
        for api in deviation.apis:
            assert (deviation.backend, api) in sc.SPEC_FILES, deviation.id
        for alternative in deviation.path.split("|"):
            sc.path_matches(alternative.strip(), "$")  # raises on a malformed pattern
        assert deviation.spec and deviation.note


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"seed texts not found at {SEEDS_DIR}")
@pytest.mark.parametrize("deviation", sc.DEVIATIONS, ids=lambda d: d.id)
def test_deviation_points_at_the_seed_line_showing_it(deviation: sc.Deviation) -> None:
    lines = (SEEDS_DIR / deviation.seed).read_text(encoding="utf-8").split("\n")
    assert deviation.shows in lines[deviation.line - 1]


# ---------------------------------------------------------------------------------------------
# The validator is not a no-op


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "de76cfa1-9a55-412f-a9ee-61ca2f662a63",
        "state": "inProgress",
        "productOrderItem": [{"id": "1", "action": "add"}],
    }
    order.update(changes)
    return order


def test_valid_wholesale_order_passes() -> None:
    assert sc.validate(_order(), backend="wholesale", api="productOrdering", definition="ProductOrder") == []


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        (_order(state=42), "$.state: 42 is not of type 'string' [type]"),
        (_order(state="INPROGRES"), "$.state: 'INPROGRES' is not one of"),  # a deviation excuses only INPROGRESS
        (_order(bogus=1), "$.bogus: unknown property 'bogus' [additionalProperties]"),
        (_order(productOrderItem=[{"id": "1"}]), "$.productOrderItem[0].action: 'action' is a required property"),
        (_order(productOrderItem=[{"id": 1, "action": "add"}]), "$.productOrderItem[0].id: 1 is not of type"),
    ],
)
def test_wrong_wholesale_order_is_reported(instance: dict[str, Any], expected: str) -> None:
    errors = sc.validate(instance, backend="wholesale", api="productOrdering", definition="ProductOrder")
    assert any(error.startswith(expected) for error in errors), errors


def test_wrong_carrier_order_is_reported() -> None:
    body = sc.validate({"state": 42}, backend="carrier", api="productOrderManagement", definition="ProductOrder")
    assert any(error.startswith("$.state: 42 is not of type 'string'") for error in body), body
    assert any("'externalId' is a required property" in error for error in body), body


def test_partial_ignores_only_required() -> None:
    errors = sc.validate(
        {"state": 42}, backend="wholesale", api="productOrdering", definition="ProductOrder", partial=True
    )
    assert errors and all(error.startswith("$.state: 42 ") for error in errors), errors


def test_list_definitions() -> None:
    errors = sc.validate(
        [_order(), {"state": 42}], backend="wholesale", api="productOrdering", definition="ProductOrder[]"
    )
    assert any(error.startswith("$[1].state: 42") for error in errors)
    assert sc.validate([], backend="wholesale", api="productOrdering", definition="ProductOrder[]") == []


def test_unknown_definition() -> None:
    with pytest.raises(KeyError):
        sc.validate({}, backend="wholesale", api="productOrdering", definition="NoSuchThing")


# ---------------------------------------------------------------------------------------------
# Loader details


@pytest.mark.parametrize(
    ("spec_file", "definition"),
    [
        ("mef-lso-sonata/rc5.1/productOrderManagement.api.yaml", "ProductOrder"),
        ("mef-lso-sonata/grace/productOrderManagement.api.yaml", "ProductOrder"),
        ("mef-lso-sonata/billie/geographicAddressManagement.api.yaml", "GeographicAddressValidation"),
        ("tmforum/TMF622-ProductOrdering-v5.0.0.oas.yaml", "ProductOrder"),
        ("tmforum/TMF620-ProductCatalog-v4.0.0.swagger.json", "ProductOffering"),
    ],
)
def test_other_releases_load(spec_file: str, definition: str) -> None:
    validator = sc.validator_for(spec_file, definition)
    assert list(validator.iter_errors("not an object"))


def test_yaml_keeps_enum_strings() -> None:
    _, _, _, document = sc._document("mef-lso-sonata/rc5.1/quoteManagement.api.yaml")
    states = document["definitions"]["MEFQuoteStateType"]["enum"]
    assert "approved" in states and all(isinstance(state, str) for state in states)


def test_nullable_becomes_null_type() -> None:
    converted = sc._nullable_to_types({"properties": {"a": {"type": "string", "nullable": True, "enum": ["x"]}}})
    assert converted["properties"]["a"]["type"] == ["string", "null"]
    assert converted["properties"]["a"]["enum"] == ["x", None]


def test_discriminator_does_not_break_validation() -> None:
    # billie GeographicAddress carries an OAS3 discriminator on @type; a FieldedAddress child validates.
    body = {"@type": "FieldedAddress", "city": "Paris", "streetName": "des fleurs"}
    errors = sc.validate(body, backend="carrier", api="geographicAddressManagement", definition="GeographicAddress")
    assert errors == []


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("$..id", "$.a[0].id", True),
        ("$..id", "$.id", True),
        ("$..id", "$.idx", False),
        ("$.productOrderItem[*].state", "$.productOrderItem[3].state", True),
        ("$.productOrderItem[*].state", "$.productOrderItem.state", False),
        ("$..place[*].{buildingCode,city}", "$.x.place[0].city", True),
        ("$.*.x", "$[0].x", False),
        ("$.a | $.b", "$.b", True),
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert sc.path_matches(pattern, path) is expected
