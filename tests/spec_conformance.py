"""Validate JSON bodies against the official MEF / TM Forum schemas, minus Orange's known deviations.

Usage (from a test module in ``tests/``: ``import spec_conformance``, or ``tests.spec_conformance``)::

    errors = validate(body, backend="carrier", api="productOrderManagement", definition="ProductOrder")
    errors = validate(page, backend="wholesale", api="productOrdering", definition="ProductOrder[]", partial=True)
    assert errors == []  # each error: "<instance path>: <message> [<keyword>]"

* :data:`SPEC_FILES` says which official file is used per (backend, api): MEF r4 for site, POQ, quote, order
  and inventory, MEF billie for address validation, TMF v4 for wholesale (see ``shared/specs/README.md``).
* :data:`MODEL_DEFINITIONS` maps the wire-model names of ``integrations/sandbox/data/examples/index.json`` to
  a definition of that file; ``"X[]"`` means a JSON array of ``X``.
* :data:`DEVIATIONS` is the one list of places where Orange's documents differ from the standard. An error
  whose instance path matches a deviation (within its backend/api/definition/keyword/value scopes) is
  dropped; :func:`validate` returns what is left.
* Besides schema errors, properties a schema does not declare are reported (keyword ``additionalProperties``):
  the official files never close their objects, so without this every Orange extension would pass unseen.
* ``partial=True`` (a ``fields=`` selection or an elided excerpt) ignores missing ``required`` properties.

Schema handling: Swagger 2.0 and OAS 3.0 schemas are validated as JSON Schema draft 4 (their base), with
OAS ``nullable``/Swagger ``x-nullable`` turned into ``"null"`` types. ``discriminator``, ``readOnly``,
``example`` and ``x-*`` keys are annotations only (polymorphic ``@type`` children are not dispatched:
an object is checked against the schema its parent names), and ``format`` is not asserted (Orange's
dates such as ``2000-12-31T23:00:00.000+0000`` are not RFC 3339). ``$ref``s resolve inside the file.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

__all__ = [
    "DEVIATIONS",
    "MODEL_DEFINITIONS",
    "PROSE_ONLY",
    "SPEC_FILES",
    "SPECS_DIR",
    "Deviation",
    "Finding",
    "definition_for",
    "errors_for",
    "path_matches",
    "specs_available",
    "validate",
    "validator_for",
]

SPECS_DIR = Path(__file__).resolve().parents[2] / "shared" / "specs"

MEF_R4 = "mef-lso-sonata/r4/"
TMF = "tmforum/"

# (backend, api) -> the official file that best matches Orange's API (shared/specs/README.md).
SPEC_FILES: dict[tuple[str, str], str] = {
    ("carrier", "geographicAddressManagement"): "mef-lso-sonata/billie/geographicAddressManagement.api.yaml",
    ("carrier", "geographicSiteManagement"): MEF_R4 + "MEF_api_geographicSiteManagement_3.0.0.json",
    ("carrier", "productOfferingQualificationManagement"): MEF_R4
    + "MEF_api_productOfferingQualificationManagement_3.0.1.json",
    ("carrier", "quoteManagement"): MEF_R4 + "MEF_api_quoteManagement_2.0.0.json",
    ("carrier", "productOrderManagement"): MEF_R4 + "MEF_api_productOrderManagement_3.0.0.json",
    ("carrier", "productInventoryManagement"): MEF_R4 + "MEF_api_productInventoryManagement_3.0.0.json",
    # Errors shared by every carrier API: r4's ErrorRepresentation (identical in the six r4 files).
    ("carrier", "common"): MEF_R4 + "MEF_api_productOrderManagement_3.0.0.json",
    ("wholesale", "productOrdering"): TMF + "TMF622-ProductOrder-v4.0.0.swagger.json",
    ("wholesale", "productInventory"): TMF + "TMF637-ProductInventory-v4.0.0.swagger.json",
    ("wholesale", "productCatalog"): TMF + "TMF620-ProductCatalog-v4.0.0.swagger.json",
}

# (backend, api) -> {wire model: definition}. Models absent here have no counterpart in the official file
# (e.g. Token, BusinessRequest, TMF632 Organization, Orange's ExternalIdentifier / ProductOfferingCatalog).
MODEL_DEFINITIONS: dict[tuple[str, str], dict[str, str]] = {
    ("carrier", "geographicAddressManagement"): {
        "GeographicAddressValidationCreate": "GeographicAddressValidation_Create",
        "GeographicAddressValidation": "GeographicAddressValidation",
        "GeographicAddress": "GeographicAddress",
        "Error": "Error",
    },
    ("carrier", "geographicSiteManagement"): {
        "GeographicSite": "GeographicSite",
        "GeographicSiteList": "GeographicSiteFindResp[]",
        "Error": "ErrorRepresentation",
    },
    ("carrier", "productOfferingQualificationManagement"): {
        "ProductOfferingQualificationCreate": "ProductOfferingQualification_Create",
        "ProductOfferingQualification": "ProductOfferingQualification",
        "ProductOfferingQualificationList": "ProductOfferingQualification_Find[]",
        "Error": "ErrorRepresentation",
    },
    ("carrier", "quoteManagement"): {
        "QuoteCreate": "Quote_Create",
        "Quote": "Quote",
        "QuoteList": "Quote_Find[]",
        "Error": "ErrorRepresentation",
    },
    ("carrier", "productOrderManagement"): {
        "ProductOrderCreate": "ProductOrder_Create",
        "ProductOrder": "ProductOrder",
        "ProductOrderList": "ProductOrderSummary[]",
        "ProductOrderItem": "ProductOrderItem_Create",
        "Error": "ErrorRepresentation",
    },
    ("carrier", "productInventoryManagement"): {
        "Product": "Product",
        "ProductList": "ProductSummary[]",
        "Error": "ErrorRepresentation",
    },
    ("carrier", "common"): {"Error": "ErrorRepresentation"},
    ("wholesale", "productOrdering"): {
        "ProductOrderCreate": "ProductOrder_Create",
        "ProductOrder": "ProductOrder",
        "ProductOrderList": "ProductOrder[]",
        "ProductOrderItem": "ProductOrderItem",
        "CancelProductOrderCreate": "CancelProductOrder_Create",
        "CancelProductOrder": "CancelProductOrder",
        "EventSubscriptionInput": "EventSubscriptionInput",
        "AgreementRef": "AgreementRef",
        "AppointmentRef": "AppointmentRef",
        "Characteristic": "Characteristic",
        "Note": "Note",
        "OrderTerm": "OrderTerm",
        "Product": "ProductRefOrValue",
        "ProductOfferingRef": "ProductOfferingRef",
        "RelatedParty": "RelatedParty",
        "RelatedPlaceRefOrValue": "RelatedPlaceRefOrValue",
        "Error": "Error",
    },
    ("wholesale", "productInventory"): {
        "Product": "Product",
        "ProductList": "Product[]",
        "EventSubscriptionInput": "EventSubscriptionInput",
        "Error": "Error",
    },
    ("wholesale", "productCatalog"): {
        "ProductOffering": "ProductOffering",
        "ProductOfferingPrice": "ProductOfferingPrice",
        "ProductSpecification": "ProductSpecification",
        "ProductSpecCharacteristic": "ProductSpecificationCharacteristic",
        "Category": "Category",
        "Error": "Error",
    },
}


# Deviations that Orange's prose states but no JSON example shows (e.g. fields "automatically added" to a created
# order); tests/test_sandbox_conformance.py proves each is needed by the sandbox's answers instead.
PROSE_ONLY: frozenset[str] = frozenset({"wholesale-expected-fulfillment-start-date"})


def definition_for(backend: str, api: str, model: str) -> str | None:
    """The official definition for a wire model of (backend, api), or None when there is none."""
    return MODEL_DEFINITIONS.get((backend, api), {}).get(model)


def specs_available() -> bool:
    """Whether the official files are present (``shared/specs`` beside the repo)."""
    return SPECS_DIR.is_dir()


# --------------------------------------------------------------------------------------------
# Deviations
# --------------------------------------------------------------------------------------------

_C = "carrier-evpl-mef-sonata.txt"
_PO = "wholesale-product-ordering-tmf622.txt"
_PI = "wholesale-product-inventory-tmf637.txt"
_PC = "wholesale-product-catalog-tmf620.txt"


@dataclass(frozen=True)
class Deviation:
    """One documented difference between Orange's form and the official schema.

    ``path``: pattern over instance paths (alternatives separated by ``" | "``): ``$`` root, ``.key``,
    ``.{a,b}`` one of these keys, ``.*`` any key, ``[*]`` any index, ``..`` any run of segments (``$..id`` is
    an ``id`` at any depth). A ``required`` error sits at ``<object>.<missing property>``, an unknown property
    (keyword ``additionalProperties``) at ``<object>.<property>``.
    Optional scopes: ``keyword`` (JSON-schema keyword: ``enum``, ``type``, ``required``, ...), ``apis`` and
    ``definitions`` (empty = all), ``values`` (the offending instance value must be one of these).
    ``seed``/``line`` point at a line of Orange's page showing its form; ``shows`` is text found on that line.
    """

    id: str
    backend: str
    path: str
    spec: str
    seed: str
    line: int
    shows: str
    note: str
    keyword: str | None = None
    apis: tuple[str, ...] = ()
    definitions: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()


_ORDER = ("productOrderManagement",)
_QUOTE = ("quoteManagement",)
_POQ = ("productOfferingQualificationManagement",)
_INV = ("productInventoryManagement",)
_ADDR = ("geographicAddressManagement",)
_R4_PARTY_APIS = (*_POQ, *_QUOTE, *_ORDER, *_INV)
_R4_ORDER = "MEF r4 productOrderManagement 3.0.0"
_R4_QUOTE = "MEF r4 quoteManagement 2.0.0"
_R4_POQ = "MEF r4 productOfferingQualificationManagement 3.0.1"
_R4_INV = "MEF r4 productInventoryManagement 3.0.0"
_BILLIE = "MEF billie geographicAddressManagement (v7.0.0-RC)"
_TMF622 = "TMF622 v4.0.0"
_TMF637 = "TMF637 v4.0.0"
_TMF620 = "TMF620 v4.0.0"

DEVIATIONS: list[Deviation] = [
    # ---------------------------------------------------------------- carrier (Orange IC EVPL) vs MEF
    Deviation(
        "carrier-numeric-ids",
        "carrier",
        "$.id | $[*].id",
        f"{_R4_ORDER} ProductOrder(Summary).id, {_R4_QUOTE} Quote(_Find).id: string",
        _C,
        1661,
        '"id": 37',
        "Orange returns order and quote ids as numbers (also quote 34 at line 1016).",
        keyword="type",
        apis=(*_ORDER, *_QUOTE),
    ),
    Deviation(
        "carrier-related-party-role-string",
        "carrier",
        "$..relatedParty[*].role",
        "MEF r4 RelatedParty.role: array of strings",
        _C,
        343,
        '"role": "buyer"',
        "Orange sends one role as a plain string.",
        keyword="type",
        apis=_R4_PARTY_APIS,
    ),
    Deviation(
        "carrier-related-party-required",
        "carrier",
        "$..relatedParty[*].{id,name,number}",
        "MEF r4 RelatedParty required: id, role, name, number",
        _C,
        343,
        '"role": "buyer"',
        "Orange's requests carry a buyer with only a role, and its contacts often lack id or number.",
        keyword="required",
        apis=_R4_PARTY_APIS,
    ),
    Deviation(
        "carrier-related-party-contact-fields",
        "carrier",
        "$..relatedParty[*].{firstName,lastName,companyName,streetAddress,postCode,country,city,title}",
        "MEF r4 RelatedParty: id, role, name, emailAddress, number, numberExtension, @referredType",
        _C,
        427,
        '"firstName": "Vincent"',
        "Orange's contacts carry first/last name, company, postal address and title.",
        keyword="additionalProperties",
        apis=_R4_PARTY_APIS,
    ),
    Deviation(
        "carrier-has-enni-endpoint",
        "carrier",
        "$..{productOfferingQualificationItemRelationship,quoteItemRelationship,productRelationship}[*].type",
        f"{_R4_POQ} RelationshipType (reliesOn, bundled, comesFrom); {_R4_QUOTE} (RELIES_ON, BUNDLED, COMES_FROM)",
        _C,
        364,
        '"type": "hasENNIEndPoint"',
        "Orange links the EVPL to its ENNI end points with its own relationship type.",
        keyword="enum",
        apis=(*_POQ, *_QUOTE),
        values=("hasENNIEndPoint",),
    ),
    Deviation(
        "carrier-action-add-modify",
        "carrier",
        "$.productOfferingQualificationItem[*].action | $.quoteItem[*].action",
        f"{_R4_POQ} ProductActionType (add, change, remove, noChange); {_R4_QUOTE} (INSTALL, CHANGE, ...)",
        _C,
        741,
        '"action": "modify"',
        "Orange uses rc5.1's add/modify (quote 'add' at line 810).",
        keyword="enum",
        apis=(*_POQ, *_QUOTE),
        values=("add", "modify"),
    ),
    Deviation(
        "carrier-product-configuration",
        "carrier",
        "$..productConfiguration",
        "MEF r4 Product has no productConfiguration (rc5.1 and later have it)",
        _C,
        354,
        '"productConfiguration": {',
        "Orange sends the EVPL attributes as product.productConfiguration{@type: EVPL, bandwidth, classOfService}.",
        keyword="additionalProperties",
        apis=(*_POQ, *_QUOTE, *_ORDER, *_INV),
    ),
    Deviation(
        "carrier-product-offering-in-product",
        "carrier",
        "$..product.productOffering",
        f"{_R4_POQ} / {_R4_QUOTE} Product: no productOffering (it sits on the item)",
        _C,
        380,
        '"productOffering": {',
        "Orange repeats the ENNI productOffering inside the product.",
        keyword="additionalProperties",
        apis=(*_POQ, *_QUOTE),
    ),
    Deviation(
        "carrier-currency",
        "carrier",
        "$.{requestCurrency,requestedCurrency}",
        "MEF r4 POQ / Quote / ProductOrder: no currency attribute",
        _C,
        606,
        '"requestCurrency": "EUR"',
        "Orange adds requestedCurrency to requests (line 619) and returns requestCurrency.",
        keyword="additionalProperties",
        apis=(*_POQ, *_QUOTE, *_ORDER),
    ),
    Deviation(
        "carrier-quote-level-lower-case",
        "carrier",
        "$.quoteLevel | $[*].quoteLevel",
        f"{_R4_QUOTE} QuoteLevel: BUDGETARY, INDICATIVE, FIRM",
        _C,
        805,
        '"quoteLevel": "firm"',
        "Orange uses lower-case firm (rc5.1 spelling).",
        keyword="enum",
        apis=_QUOTE,
        values=("firm",),
    ),
    Deviation(
        "carrier-quote-state-approved",
        "carrier",
        "$.state | $[*].state | $.quoteItem[*].state",
        f"{_R4_QUOTE} QuoteStateType / QuoteItemStateType: upper case, no APPROVED",
        _C,
        892,
        '"state": "approved"',
        "Orange returns rc5.1's approved for quotes and quote items.",
        keyword="enum",
        apis=_QUOTE,
        values=("approved",),
    ),
    Deviation(
        "carrier-quote-price-lower-case",
        "carrier",
        "$.quoteItem[*].quoteItemPrice[*].{priceType,recurringChargePeriod}",
        f"{_R4_QUOTE} PriceType (RECURRING, NON_RECURRING), ChargePeriod (DAY, WEEK, MONTH, YEAR)",
        _C,
        915,
        '"priceType": "recurring"',
        "Orange uses lower-case recurring/nonRecurring and day/month.",
        keyword="enum",
        apis=_QUOTE,
    ),
    Deviation(
        "carrier-quote-duration-amount-units",
        "carrier",
        "$..duration.{amount,units,value,unit}",
        f"{_R4_QUOTE} Duration: value, unit (DurationUnit DAY/WEEK/MONTH/YEAR)",
        _C,
        814,
        '"amount": 1,',
        "Orange writes item terms TMF-style as duration{amount, units: year/day}.",
        apis=_QUOTE,
    ),
    Deviation(
        "carrier-quote-no-completion-date",
        "carrier",
        "$.requestedQuoteCompletionDate | $[*].requestedQuoteCompletionDate",
        f"{_R4_QUOTE} Quote_Create / Quote / Quote_Find require requestedQuoteCompletionDate",
        _C,
        805,
        '"quoteLevel": "firm"',
        "Orange's quotes (instant, firm) never carry a requested completion date.",
        keyword="required",
        apis=_QUOTE,
    ),
    Deviation(
        "carrier-quote-new-product-without-id",
        "carrier",
        "$.quoteItem[*].product.id",
        f"{_R4_QUOTE} Product required: id",
        _C,
        818,
        '"product": {',
        "A product to install has no id yet.",
        keyword="required",
        apis=_QUOTE,
    ),
    Deviation(
        "carrier-quote-place-referred-type",
        "carrier",
        "$..place[*].@referredType",
        f"{_R4_QUOTE} RelatedPlaceRefOrValue: id, href, role, @type",
        _C,
        855,
        '"@referredType": "GeographicSite"',
        "Orange's PlaceRef names the referred type (GeographicSite).",
        keyword="additionalProperties",
        apis=_QUOTE,
    ),
    Deviation(
        "carrier-order-product-order-item",
        "carrier",
        "$.orderItem | $.productOrderItem",
        f"{_R4_ORDER} ProductOrder(_Create).orderItem (required)",
        _C,
        1575,
        '"productOrderItem": [',
        "Orange uses rc5.1's productOrderItem, so r4 cannot check the items of a whole order.",
        apis=_ORDER,
    ),
    Deviation(
        "carrier-order-desired-response",
        "carrier",
        "$.desiredResponse | $.desiredResponses",
        f"{_R4_ORDER} ProductOrder.desiredResponses (required; ProductOrder_Create says desiredResponse)",
        _C,
        1667,
        '"desiredResponse": "confirmationAndEngineeringDesign"',
        "Orange returns the request's singular desiredResponse.",
        apis=_ORDER,
        definitions=("ProductOrder",),
    ),
    Deviation(
        "carrier-order-no-href",
        "carrier",
        "$.href",
        f"{_R4_ORDER} ProductOrder required: href",
        _C,
        1661,
        '"id": 37',
        "Orange's orders have no href.",
        keyword="required",
        apis=_ORDER,
    ),
    Deviation(
        "carrier-billing-contact",
        "carrier",
        "$.billingAccount.billingContact.*",
        f"{_R4_ORDER} Contact: contactName, phoneNumber, emailAdress, streetAdress (sic, all required)",
        _C,
        1512,
        '"billingContact": {',
        "Orange's billing contact is split (contactFirstName/LastName, postCode, city, country, vatNumber, "
        "invoicesRecipientEmail, ...) and spells emailAddress/streetAddress correctly.",
        apis=_ORDER,
    ),
    Deviation(
        "carrier-billing-account",
        "carrier",
        "$.billingAccount.{id,name}",
        f"{_R4_ORDER} BillingAccountRef: id (required), billingContact",
        _C,
        1511,
        '"name": "contact"',
        "Orange's requests add a name and its responses drop the id.",
        apis=_ORDER,
    ),
    Deviation(
        "carrier-inventory-pending",
        "carrier",
        "$..status",
        f"{_R4_INV} ProductStatus (active, suspended, activePendingTerminate, terminated, pendingActive, ...)",
        _C,
        2458,
        '"status": "pending"',
        "Orange returns product status pending.",
        keyword="enum",
        apis=_INV,
        values=("pending",),
    ),
    Deviation(
        "carrier-inventory-product-order-id",
        "carrier",
        "$.productOrderId",
        f"{_R4_INV} Product.productOrder (array of ProductOrderRef)",
        _C,
        2519,
        '"productOrderId": 31',
        "Orange gives the (numeric) id of the order as productOrderId.",
        keyword="additionalProperties",
        apis=_INV,
    ),
    Deviation(
        "carrier-inventory-price",
        "carrier",
        "$.productPrice[*].name | $.productPrice[*].price.preTaxAmount",
        f"{_R4_INV} ProductPrice required name; Price: dutyFreeAmount, taxIncludedAmount, taxRate",
        _C,
        2644,
        '"preTaxAmount": {',
        "Orange's prices are unnamed and carry preTaxAmount (the quote/order form).",
        apis=_INV,
    ),
    Deviation(
        "carrier-inventory-no-start-date",
        "carrier",
        "$.startDate",
        f"{_R4_INV} Product required: startDate",
        _C,
        2520,
        '"status": "pending"',
        "A pending product has no start date.",
        keyword="required",
        apis=_INV,
    ),
    Deviation(
        "carrier-error-format",
        "carrier",
        "$.reason | $.description",
        "MEF r4 ErrorRepresentation: code, reason (required), message, status, referenceError",
        _C,
        2712,
        '"description": "The requested service',
        "Orange's gateway errors are {code, message, description}.",
        apis=("common",),
    ),
    Deviation(
        "carrier-address-validation-type",
        "carrier",
        "$.@type",
        f"{_BILLIE} GeographicAddressValidation(_Create): no @type",
        _C,
        116,
        '"@type": "GeographicAddressValidation"',
        "Orange types the validation resource.",
        keyword="additionalProperties",
        apis=_ADDR,
    ),
    Deviation(
        "carrier-address-untyped",
        "carrier",
        "$..@type",
        f"{_BILLIE} GeographicAddress (and FieldedAddress) require @type",
        _C,
        126,
        '"associatedGeographicAddress": {',
        "Orange's associatedGeographicAddress, and the echoed submittedGeographicAddress, are untyped.",
        keyword="required",
        apis=_ADDR,
    ),
    Deviation(
        "carrier-site-formatted-address",
        "carrier",
        "$.formattedAddress",
        "MEF r4 geographicSiteManagement GeographicSite: address under geographicAddress",
        _C,
        302,
        '"formattedAddress": {',
        "GET /geographicSite/{id} puts formattedAddress at the top (the list puts it under geographicAddress).",
        keyword="additionalProperties",
        apis=("geographicSiteManagement",),
    ),
    # ---------------------------------------------------------------- wholesale (United Way) vs TM Forum
    Deviation(
        "wholesale-order-state-upper-case",
        "wholesale",
        "$.state | $[*].state",
        f"{_TMF622} ProductOrderStateType: lowerCamel (inProgress)",
        _PO,
        813,
        '"state": "INPROGRESS"',
        "Orange's examples show INPROGRESS (its prose also has AKNOWLEGDED.INIT / AKNOWLEGDED.ACCEPTED).",
        keyword="enum",
        apis=("productOrdering",),
        definitions=("ProductOrder", "ProductOrder[]"),
        values=("INPROGRESS",),
    ),
    Deviation(
        "wholesale-item-state-in-progress-accepted",
        "wholesale",
        "$.state | $.productOrderItem[*].state | $[*].state | $[*].productOrderItem[*].state",
        f"{_TMF622} ProductOrderItemStateType (and v5): no inProgress.accepted",
        _PO,
        2003,
        '"state": "inProgress.accepted"',
        "Orange's items (and orders) go through inProgress.accepted.",
        keyword="enum",
        apis=("productOrdering",),
        values=("inProgress.accepted",),
    ),
    Deviation(
        "wholesale-numeric-item-ids",
        "wholesale",
        "$.id | $.productOrderItemRelationship[*].id",
        f"{_TMF622} ProductOrderItem.id, OrderItemRelationship.id: string",
        _PO,
        301,
        '"id": 1,',
        "The productOrderItemRelationship example numbers its items 1, 2, 3.",
        keyword="type",
        apis=("productOrdering",),
        definitions=("ProductOrderItem",),
    ),
    Deviation(
        "wholesale-error-format",
        "wholesale",
        "$.code | $.reason | $.description",
        "TMF Error: code (string, required), reason (required), message, status, referenceError",
        _PI,
        589,
        '"code": 42',
        "Orange's gateway errors (401 code 42, 400 code 25) are {code: integer, message, description}.",
        apis=("productOrdering", "productInventory"),
        definitions=("Error",),
    ),
    Deviation(
        "wholesale-list-href-null",
        "wholesale",
        "$[*].href",
        f"{_TMF622} ProductOrder.href: string",
        _PO,
        763,
        '"href":null',
        "Attribute-selection lists return href: null.",
        keyword="type",
        apis=("productOrdering",),
        values=(None,),
    ),
    Deviation(
        "wholesale-product-order-specification",
        "wholesale",
        "$.productOrderSpecification",
        f"{_TMF622} ProductOrder: no productOrderSpecification",
        _PO,
        1021,
        '"productOrderSpecification": "Acquisition"',
        "Orange's operation type (Acquisition, Termination, speedCosModification, gtrModification).",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-expected-fulfillment-start-date",
        "wholesale",
        "$.expectedFulfillmentStartDate | $[*].expectedFulfillmentStartDate",
        f"{_TMF622} ProductOrder: no expectedFulfillmentStartDate (v4 has requestedStartDate)",
        _PO,
        1845,
        "expectedFulfillmentStartDate",
        "Orange adds expectedFulfillmentStartDate to a created order.",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-productorder-specification-misspelt",
        "wholesale",
        "$.productorderSpecification | $[*].productorderSpecification",
        f"{_TMF622} ProductOrder: no productOrderSpecification",
        _PO,
        1039,
        '"productorderSpecification": "Acquisition"',
        "Half of the page's order examples spell it productorderSpecification (lower-case o).",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-external-identifier",
        "wholesale",
        "$..externalIdentifier",
        "TMF622/TMF637/TMF620 v4: externalId string, no externalIdentifier[]",
        _PO,
        585,
        '"externalIdentifier":[',
        "Orange identifies orders, products and offers by externalIdentifier[{id, externalIdentifierType, owner}].",
        keyword="additionalProperties",
    ),
    Deviation(
        "wholesale-instant-sync-product-order",
        "wholesale",
        "$.instantSyncProductOrder",
        f"{_TMF622} ProductOrder_Create: no instantSyncProductOrder",
        _PO,
        1038,
        '"instantSyncProductOrder": false',
        "Orange's order-building examples carry instantSyncProductOrder.",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-item-milestone-error-jeopardy",
        "wholesale",
        "$..{milestone,errorMessage,jeopardyAlert}",
        f"{_TMF622} ProductOrderItem: none of these (v5 has them on ProductOrder only)",
        _PO,
        1913,
        '"milestone": [',
        "Orange follows delivery with milestone[], errorMessage[] and jeopardyAlert[] on the item.",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-cancel-effective-date",
        "wholesale",
        "$.effectiveCancellationDate",
        f"{_TMF622} CancelProductOrder_Create: requestedCancellationDate (effective... is read-only)",
        _PO,
        1973,
        '"effectiveCancellationDate"',
        "Orange's cancel request carries effectiveCancellationDate.",
        keyword="additionalProperties",
        apis=("productOrdering",),
        definitions=("CancelProductOrder_Create",),
    ),
    Deviation(
        "wholesale-place-subtypes",
        "wholesale",
        "$..{buildingCode,geographicAddress,geographicSubAddress,city,postcode,streetName,streetNr,streetType}",
        "TMF622/TMF637 v4 RelatedPlaceRefOrValue: id, href, name, role, @type (no GeographicSiteBuilding)",
        _PO,
        367,
        '"buildingCode":"IMB/69149/C/ZJU1"',
        "Orange's places are GeographicSiteBuilding / GeographicAddress values.",
        keyword="additionalProperties",
        apis=("productOrdering", "productInventory"),
    ),
    Deviation(
        "wholesale-characteristic-id",
        "wholesale",
        "$..productCharacteristic[*].id | $.id",
        "TMF622/TMF637 v4 Characteristic: name, valueType, value (no id)",
        _PO,
        244,
        '"id":"FONC40140084010"',
        "Orange identifies each characteristic by its catalog id.",
        keyword="additionalProperties",
        apis=("productOrdering", "productInventory"),
        definitions=(
            "Characteristic",
            "ProductOrder",
            "ProductOrder[]",
            "ProductOrderItem",
            "ProductOrder_Create",
            "ProductRefOrValue",
            "Product",
            "Product[]",
        ),
    ),
    Deviation(
        "wholesale-product-offering-type",
        "wholesale",
        "$..productOffering.productOfferingType",
        "TMF622/TMF637 v4 ProductOfferingRef: id, href, name, @referredType",
        _PO,
        2081,
        '"productOfferingType": "contract"',
        "Orange adds the offer level (contract, atomicOffer) to the reference.",
        keyword="additionalProperties",
        apis=("productOrdering", "productInventory"),
    ),
    Deviation(
        "wholesale-item-is-bundle",
        "wholesale",
        "$.productOrderItem[*].isBundle",
        f"{_TMF622} ProductOrderItem: no isBundle (Product has one)",
        _PO,
        2074,
        '"isBundle": true,',
        "The termination example sets isBundle on the item.",
        keyword="additionalProperties",
        apis=("productOrdering",),
    ),
    Deviation(
        "wholesale-order-term-quantity-type",
        "wholesale",
        "$.duration.@type",
        f"{_TMF622} Quantity: amount, units",
        _PO,
        647,
        '"@type": "Quantity"',
        "Orange types the duration.",
        keyword="additionalProperties",
        apis=("productOrdering",),
        definitions=("OrderTerm",),
    ),
    Deviation(
        "wholesale-inventory-status-upper-case",
        "wholesale",
        "$..status",
        f"{_TMF637} ProductStatusType: lowerCamel (active, ...)",
        _PI,
        341,
        '"status": "ACTIVE"',
        "Orange returns ACTIVE.",
        keyword="enum",
        apis=("productInventory",),
        values=("ACTIVE",),
    ),
    Deviation(
        "wholesale-inventory-operational-status",
        "wholesale",
        "$..operationalStatus",
        f"{_TMF637} Product: no operationalStatus",
        _PI,
        342,
        '"operationalStatus": "ACTIVE"',
        "Orange's operating status (confirmed, inDisturbance, locked, pendingCancel, pendingModification, ...).",
        keyword="additionalProperties",
        apis=("productInventory",),
    ),
    Deviation(
        "wholesale-inventory-creation-date",
        "wholesale",
        "$.creationDate | $[*].creationDate",
        f"{_TMF637} Product: orderDate, startDate, terminationDate (no creationDate)",
        _PI,
        658,
        '"creationDate"',
        "Orange returns creationDate.",
        keyword="additionalProperties",
        apis=("productInventory",),
    ),
    Deviation(
        "wholesale-inventory-order-item-id",
        "wholesale",
        "$..productOrderItem[*].orderItemId",
        f"{_TMF637} RelatedProductOrderItem required: orderItemId, productOrderId",
        _PI,
        280,
        '"productOrderId": "2"',
        "Orange gives only the productOrderId.",
        keyword="required",
        apis=("productInventory",),
    ),
    Deviation(
        "wholesale-catalog-offering-extensions",
        "wholesale",
        "$.{shortName,visible,isTopLevel,isFulfillable,isInstallable,productOfferingType,viewProperty,otherProperty,"
        "productOfferingRelationship}",
        f"{_TMF620} ProductOffering",
        _PC,
        82,
        '"shortName": "Offre exemple"',
        "Orange's offers carry presentation flags, the offer level, otherProperty[] and productOfferingRelationship.",
        keyword="additionalProperties",
        apis=("productCatalog",),
        definitions=("ProductOffering",),
    ),
    Deviation(
        "wholesale-catalog-price-amounts",
        "wholesale",
        "$.price.{taxIncludedAmount,dutyFreeAmount} | $.type",
        f"{_TMF620} ProductOfferingPrice.price: Money {{unit, value}}",
        _PC,
        206,
        '"taxIncludedAmount": {',
        "Orange gives taxIncludedAmount and dutyFreeAmount {value, units}, and a type.",
        keyword="additionalProperties",
        apis=("productCatalog",),
        definitions=("ProductOfferingPrice",),
    ),
    Deviation(
        "wholesale-catalog-valid-for-start-date",
        "wholesale",
        "$..validFor.startDate",
        "TMF TimePeriod: startDateTime, endDateTime",
        _PC,
        203,
        '"startDate": "2000-12-31T23:00:00.000+0000"',
        "Orange writes validFor.startDate.",
        keyword="additionalProperties",
        apis=("productCatalog",),
    ),
    Deviation(
        "wholesale-catalog-configurable-string",
        "wholesale",
        "$..configurable",
        f"{_TMF620} ProductSpecificationCharacteristic.configurable: boolean",
        _PC,
        248,
        '"configurable": "false"',
        'Orange sends "true"/"false" strings.',
        keyword="type",
        apis=("productCatalog",),
    ),
    Deviation(
        "wholesale-catalog-spec-characteristic",
        "wholesale",
        "$.productSpecCharacteristic[*].{id,href,visible} | $.{id,href,visible}",
        f"{_TMF620} ProductSpecificationCharacteristic: no id/href (not a resource in v4), no visible",
        _PC,
        244,
        '"id": "FONC40140084004"',
        "Orange exposes characteristics as a resource (GET /productSpecCharacteristic/{id}).",
        keyword="additionalProperties",
        apis=("productCatalog",),
        definitions=("ProductSpecification", "ProductSpecificationCharacteristic"),
    ),
    Deviation(
        "wholesale-catalog-characteristic-value",
        "wholesale",
        "$..productSpecCharacteristicValue[*].{systemValueCode,externalIdentifier,property}",
        f"{_TMF620} ProductSpecificationCharacteristicValue",
        _PC,
        251,
        '"systemValueCode"',
        "Orange's values carry a systemValueCode, external ids and a property.",
        keyword="additionalProperties",
        apis=("productCatalog",),
    ),
    Deviation(
        "wholesale-catalog-category-links",
        "wholesale",
        "$.links",
        f"{_TMF620} Category: subCategory[], no links",
        _PC,
        452,
        '"links": {',
        "Orange lists child categories under links.child.",
        keyword="additionalProperties",
        apis=("productCatalog",),
        definitions=("Category",),
    ),
]


# --------------------------------------------------------------------------------------------
# Loading the official files
# --------------------------------------------------------------------------------------------


class _SpecLoader(yaml.SafeLoader):
    """YAML 1.2-ish: only true/false are booleans and dates stay strings (enum values must not change)."""


_DROPPED_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _nullable_to_types(node: Any) -> Any:
    """Turn OAS 3 ``nullable: true`` / Swagger ``x-nullable: true`` into draft-4 ``"null"`` types."""
    if isinstance(node, dict):
        out = {key: _nullable_to_types(value) for key, value in node.items()}
        if out.get("nullable") is True or out.get("x-nullable") is True:
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_nullable_to_types(item) for item in node]
    return node


@cache
def _document(spec_file: str) -> tuple[str, str, Registry[Any], dict[str, Any]]:
    path = SPECS_DIR / spec_file
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_SpecLoader)  # noqa: S506
    document = _nullable_to_types(copy.deepcopy(raw))
    if "definitions" in document:
        prefix = "#/definitions/"
    elif "components" in document:
        prefix = "#/components/schemas/"
    else:
        raise ValueError(f"{spec_file}: neither Swagger 2 definitions nor OAS 3 components/schemas")
    uri = f"urn:orange-bot:spec:{spec_file}"
    registry: Registry[Any] = Registry().with_resource(uri, DRAFT4.create_resource(document))
    return uri, prefix, registry, document


@cache
def validator_for(spec_file: str, definition: str) -> Draft4Validator:
    """A draft-4 validator for ``definitions/X`` (Swagger 2) or ``components/schemas/X`` (OAS 3); ``X[]`` = array."""
    uri, prefix, registry, _ = _document(spec_file)
    many = definition.endswith("[]")
    name = definition.removesuffix("[]")
    try:
        registry.resolver(uri).lookup(f"{uri}{prefix}{name}")
    except Unresolvable as exc:
        raise KeyError(f"{spec_file} has no definition {name!r}") from exc
    schema: dict[str, Any] = {"$ref": f"{uri}{prefix}{name}"}
    if many:
        schema = {"type": "array", "items": schema}
    return Draft4Validator(schema, registry=registry)


# --------------------------------------------------------------------------------------------
# Unknown properties (the official files never set additionalProperties, so plain JSON-schema
# validation would accept any extra field: this walk reports them, as keyword "additionalProperties")
# --------------------------------------------------------------------------------------------


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        node: Any = document
        for token in schema["$ref"][2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        schema = node
        seen += 1
        if seen > 50:
            raise ValueError("$ref loop")
    return schema


def _shape(document: dict[str, Any], schema: Any, instance: Any, depth: int = 0) -> tuple[dict[str, Any], bool]:
    """Declared properties of a (resolved, allOf/anyOf/oneOf-merged) schema, and whether it is open."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict) or depth > 20:
        return {}, True
    props: dict[str, Any] = dict(schema.get("properties") or {})
    closed = "properties" in schema
    choices: list[bool] = []
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key) or []:
            sub, sub_open = _shape(document, branch, instance, depth + 1)
            props.update({k: v for k, v in sub.items() if k not in props})
            if key == "allOf":
                closed = closed or not sub_open
            else:
                choices.append(not sub_open)
    closed = closed or (bool(choices) and all(choices))
    extra = schema.get("additionalProperties")
    open_ = not closed or extra is True or isinstance(extra, dict)
    kind = instance.get("@type") if isinstance(instance, dict) else None
    if "discriminator" in schema and isinstance(kind, str):
        definitions = document.get("definitions") or (document.get("components") or {}).get("schemas") or {}
        child = definitions.get(kind)
        if child is not None and child is not schema:
            sub, _ = _shape(document, {k: v for k, v in child.items() if k != "discriminator"}, None, depth + 1)
            props.update({k: v for k, v in sub.items() if k not in props})
    return props, open_


def _unknown(document: dict[str, Any], schema: Any, instance: Any, path: str) -> Iterator[tuple[str, str]]:
    resolved = _resolve(document, schema)
    if isinstance(instance, dict):
        props, open_ = _shape(document, resolved, instance)
        for key, value in instance.items():
            if key in props:
                yield from _unknown(document, props[key], value, f"{path}.{key}")
            elif not open_:
                yield f"{path}.{key}", f"unknown property {key!r}"
    elif isinstance(instance, list) and isinstance(resolved, dict):
        items = resolved.get("items")
        if isinstance(items, dict):
            for index, value in enumerate(instance):
                yield from _unknown(document, items, value, f"{path}[{index}]")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

_REQUIRED = re.compile(r"^'(.+)' is a required property$")
_PATTERN_TOKEN = re.compile(r"\.\.|\.?\{[^}]*\}|\.?[^.\[{]+|\[\*\]|\[\d+\]")


@dataclass(frozen=True)
class Finding:
    """One schema error: where (instance path), which JSON-schema keyword, the message, what excuses it."""

    path: str
    keyword: str
    message: str
    deviation: Deviation | None


def _render(error: ValidationError) -> str:
    parts = ["$"]
    for segment in error.absolute_path:
        parts.append(f"[{segment}]" if isinstance(segment, int) else f".{segment}")
    if error.validator == "required":
        missing = _REQUIRED.match(error.message)
        if missing:
            parts.append(f".{missing.group(1)}")
    return "".join(parts)


def _segments(path: str) -> list[str]:
    if not path.startswith("$"):
        raise ValueError(f"path must start with $: {path!r}")
    rest = path[1:]
    tokens = _PATTERN_TOKEN.findall(rest)
    if "".join(tokens) != rest:
        raise ValueError(f"bad path pattern: {path!r}")
    out: list[str] = []
    for token in tokens:
        if not token.startswith((".", "[")):
            if not out or out[-1] != "..":
                raise ValueError(f"a key must follow '.', '..' or '[*]': {path!r}")
            token = "." + token
        out.append(token)
    return out


def _segment_matches(head: str, segment: str) -> bool:
    if head == "[*]":
        return segment.startswith("[")
    if head == ".*":
        return segment.startswith(".")
    if head.startswith(".{") and head.endswith("}"):
        return segment.startswith(".") and segment[1:] in head[2:-1].split(",")
    return head == segment


def _match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, tail = pattern[0], pattern[1:]
    if head == "..":
        return any(_match(tail, path[i:]) for i in range(len(path) + 1))
    return bool(path) and _segment_matches(head, path[0]) and _match(tail, path[1:])


def path_matches(pattern: str, path: str) -> bool:
    """Whether an instance path such as ``$.productOrderItem[0].state`` matches a deviation pattern."""
    target = _segments(path)
    return any(_match(_segments(alternative.strip()), target) for alternative in pattern.split("|"))


_MISSING = object()


def _excuse(keyword: str, path: str, value: Any, backend: str, api: str, definition: str) -> Deviation | None:
    for deviation in DEVIATIONS:
        if deviation.backend != backend or (deviation.apis and api not in deviation.apis):
            continue
        if deviation.definitions and definition not in deviation.definitions:
            continue
        if deviation.keyword is not None and deviation.keyword != keyword:
            continue
        if deviation.values and (value is _MISSING or value not in deviation.values):
            continue
        if path_matches(deviation.path, path):
            return deviation
    return None


def _leaves(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """Errors, with anyOf/oneOf/allOf wrappers replaced by their own sub-errors."""
    for error in errors:
        if error.context and error.validator in ("anyOf", "oneOf", "allOf"):
            yield from _leaves(error.context)
        else:
            yield error


def errors_for(instance: Any, *, backend: str, api: str, definition: str, partial: bool = False) -> list[Finding]:
    """Every schema error and unknown property, each with the deviation that excuses it (or None).

    ``partial``: the instance is an attribute selection (``fields=``) or an elided excerpt, so missing
    ``required`` properties are not errors.
    """
    spec_file = SPEC_FILES[(backend, api)]
    validator = validator_for(spec_file, definition)
    _, prefix, _, document = _document(spec_file)
    root: dict[str, Any] = {"$ref": prefix + definition.removesuffix("[]")}
    if definition.endswith("[]"):
        root = {"type": "array", "items": root}
    raw: list[tuple[str, str, str, Any]] = []
    for error in _leaves(validator.iter_errors(instance)):
        if partial and error.validator == "required":
            continue
        value = _MISSING if error.validator == "required" else error.instance
        raw.append((_render(error), str(error.validator), error.message, value))
    for path, message in _unknown(document, root, instance, "$"):
        raw.append((path, "additionalProperties", message, _MISSING))
    findings = [
        Finding(path, keyword, message, _excuse(keyword, path, value, backend, api, definition))
        for path, keyword, message, value in raw
    ]
    return sorted(findings, key=lambda f: (f.path, f.keyword))


def validate(instance: Any, *, backend: str, api: str, definition: str, partial: bool = False) -> list[str]:
    """Validate against the official definition; return the errors no entry of DEVIATIONS excuses."""
    return [
        f"{f.path}: {f.message} [{f.keyword}]"
        for f in errors_for(instance, backend=backend, api=api, definition=definition, partial=partial)
        if f.deviation is None
    ]
