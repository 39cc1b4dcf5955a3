"""TMF product characteristics: a name and a value, plain or picked from a catalog list."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .model import Id, OrangeModel

__all__ = ["Characteristic", "CharacteristicChoiceValue", "CharacteristicValue"]


class CharacteristicChoiceValue(OrangeModel):
    """A value picked from a catalog list."""

    id: Id | None = None
    """Catalog value code, e.g. `VF0000140140084004`."""
    name: str | None = None
    """The value, e.g. `300M/300M`."""
    type_: str | None = Field(default=None, alias="@type")


CharacteristicValue = CharacteristicChoiceValue | bool | int | float | str | list[Any] | None


class Characteristic(OrangeModel):
    """A product characteristic (TMF)."""

    id: Id | None = None
    """Catalog characteristic id, e.g. `FONC40140084004`."""
    name: str | None = None
    """Characteristic name."""
    value_type: str | None = None
    """`object` (a choice) or `string`."""
    value: CharacteristicValue = None
    """The value: a choice object or a plain value."""
    type_: str | None = Field(default=None, alias="@type")

    @property
    def display_value(self) -> str | None:
        """The value as text: a choice's name, else the plain value."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, CharacteristicChoiceValue):
            return value.name if value.name is not None else value.id
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)
