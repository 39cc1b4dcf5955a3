"""References to other entities and who takes part: entity and attachment references, related parties, external
identifiers."""

from __future__ import annotations

from pydantic import Field

from .model import Id, OrangeModel

__all__ = ["AttachmentRef", "EntityRef", "ExternalIdentifier", "RelatedParty"]


class EntityRef(OrangeModel):
    """A reference to another entity."""

    id: Id | None = None
    """Id of the entity."""
    href: str | None = None
    """Link to the entity."""
    name: str | None = None
    """Name of the entity."""
    type_: str | None = Field(default=None, alias="@type")
    referred_type: str | None = Field(default=None, alias="@referredType")
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


class AttachmentRef(EntityRef):
    """An attachment."""

    url: str | None = None
    """Where to download it."""
    mime_type: str | None = None
    """Its MIME type."""


class RelatedParty(OrangeModel):
    """A party playing a role: the buyer, a contact (MEF inlines the contact's details)."""

    id: Id | None = None
    """Id of the party (the buyer's organisation)."""
    href: str | None = None
    role: str | None = None
    """`buyer`, `billing`, `technical`, `operatorInterlocutor`…"""
    name: str | None = None
    """Name of the party."""
    number: str | None = None
    """Phone number (MEF)."""
    number_extension: str | None = None
    email_address: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    street_address: str | None = None
    post_code: str | None = None
    city: str | None = None
    country: str | None = None
    title: str | None = None
    type_: str | None = Field(default=None, alias="@type")
    referred_type: str | None = Field(default=None, alias="@referredType")
    base_type: str | None = Field(default=None, alias="@baseType")


class ExternalIdentifier(OrangeModel):
    """An id given by someone else: the buyer's order reference, a billing id, an external catalogue id."""

    id: Id | None = None
    """The identifier."""
    external_identifier_type: str | None = None
    """`customerIdentifier`, `billingIdentifier`…"""
    owner: str | None = None
    """Who gave the identifier."""
    referential_id: str | None = None
    """External catalogue (TMF620), e.g. `eRDV`."""
    type_: str | None = Field(default=None, alias="@type")
