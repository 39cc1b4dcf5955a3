"""Building blocks shared by every backend's wire models.

The carriers send MEF Sonata (carrier) and TM Forum (wholesale) JSON, both in camelCase with
`@type`-style meta fields. Models here are tolerant: unknown fields are kept and re-serialised,
every collection field is optional (a `fields=` selection returns partial objects), ids arrive as
numbers or strings and are normalised to `str`, and a date we cannot parse stays a raw string.

One module per concept: the base models and ids (`model`), list query parameters (`params`), dates and
terms (`dates`), money and prices (`money`), references and parties (`refs`), notes and state changes
(`notes`), what an item is about (`products`), addresses and places (`places`), characteristics
(`characteristics`). Import them from here.
"""

from __future__ import annotations

from .characteristics import Characteristic, CharacteristicChoiceValue, CharacteristicValue
from .dates import Duration, Term, TimePeriod, Timestamp, as_datetime, parse_timestamp
from .model import Id, OrangeModel, TypedModel, coerce_id
from .money import Amount, Money, OrderPrice, Price
from .notes import Note, StateChange
from .params import DateFilter, Fields, FilterValue
from .places import GeographicAddressValue, GeographicLocation, GeographicSubAddress, RelatedPlace, SubUnit
from .products import (
    ItemRelationship,
    ProductConfiguration,
    ProductOfferingRef,
    ProductRef,
    ProductRelationship,
    ProductSpecificationRef,
)
from .refs import AttachmentRef, EntityRef, ExternalIdentifier, RelatedParty

__all__ = [
    "Amount",
    "AttachmentRef",
    "Characteristic",
    "CharacteristicChoiceValue",
    "CharacteristicValue",
    "DateFilter",
    "Duration",
    "EntityRef",
    "ExternalIdentifier",
    "Fields",
    "FilterValue",
    "GeographicAddressValue",
    "GeographicLocation",
    "GeographicSubAddress",
    "Id",
    "ItemRelationship",
    "Money",
    "Note",
    "OrangeModel",
    "OrderPrice",
    "Price",
    "ProductConfiguration",
    "ProductOfferingRef",
    "ProductRef",
    "ProductRelationship",
    "ProductSpecificationRef",
    "RelatedParty",
    "RelatedPlace",
    "StateChange",
    "SubUnit",
    "Term",
    "TimePeriod",
    "Timestamp",
    "TypedModel",
    "as_datetime",
    "coerce_id",
    "parse_timestamp",
]
