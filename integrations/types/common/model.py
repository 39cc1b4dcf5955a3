"""The base of every wire model: camelCase aliases, unknown fields kept (`OrangeModel`), the `@type` fields
(`TypedModel`), and ids that arrive as numbers or strings (`Id`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = ["Id", "OrangeModel", "TypedModel", "coerce_id"]


class OrangeModel(BaseModel):
    """Base of every wire model: camelCase aliases, unknown fields kept, serialised by alias."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        frozen=False,
        alias_generator=to_camel,
        serialize_by_alias=True,
    )


class TypedModel(OrangeModel):
    """A model that may carry the TM Forum / MEF polymorphism fields."""

    type_: str | None = Field(default=None, alias="@type")
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")


def coerce_id(value: object) -> str:
    """Normalise an id sent as a JSON number (carrier orders and quotes) or string to `str`."""
    # bool is an int subclass: `"id": true` is a carrier bug, not an id.
    if isinstance(value, bool) or value is None:
        raise ValueError("an id must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"an id must be a string or an integer, not {type(value).__name__}")


Id = Annotated[str, BeforeValidator(coerce_id)]
"""An identifier: accepts `11` or `"11"`, gives `"11"`; refuses bool, float and null."""
