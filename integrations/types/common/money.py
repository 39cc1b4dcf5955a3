"""Amounts, money and prices: MEF and TMF spell them differently, one model reads both."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

from .model import OrangeModel

__all__ = ["Amount", "Money", "OrderPrice", "Price"]


def _decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _to_decimal(value: object) -> object:
    # Through str() so that 28.1 stays 28.1 rather than the binary float's expansion.
    if isinstance(value, float):
        return Decimal(str(value))
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(_decimal_to_json, return_type=int | float, when_used="json"),
]
"""A decimal amount; written back to JSON as a number, as the carriers send it."""


class Money(OrangeModel):
    """An amount in a currency. MEF spells the currency `unit`, Orange's TMF620 catalog `units`."""

    value: Amount | None = None
    """The amount."""
    unit: str | None = None
    """Currency (MEF, TMF622), e.g. `EUR`."""
    units: str | None = None
    """Currency as the TMF620 catalog spells it, e.g. `eur`."""

    @property
    def currency(self) -> str | None:
        """The currency code, upper case, whichever spelling was used."""
        raw = self.unit or self.units
        return raw.upper() if raw else None


class Price(OrangeModel):
    """A price: MEF `preTaxAmount`, TMF `dutyFreeAmount`/`taxIncludedAmount`."""

    pre_tax_amount: Money | None = None
    """MEF amount before tax."""
    duty_free_amount: Money | None = None
    """TMF amount before tax."""
    tax_included_amount: Money | None = None
    """Amount including tax."""
    tax_rate: Amount | None = None
    """Tax rate in percent."""
    percentage: Amount | None = None
    """TMF percentage (for price alterations)."""
    unit_of_mesure: str | None = None
    """MEF r4 spelling (sic) of the unit of measure."""
    type_: str | None = Field(default=None, alias="@type")


class OrderPrice(OrangeModel):
    """A charge: MEF `orderItemPrice`/`quoteItemPrice`/`productPrice`, TMF `itemTotalPrice`/`productPrice`."""

    name: str | None = None
    """Name of the charge, e.g. `recurring charge`."""
    description: str | None = None
    """Description of the charge."""
    price_type: str | None = None
    """MEF `recurring`/`nonRecurring`/`usageBased`; TMF `recurring`/`one time`/`usage`."""
    recurring_charge_period: str | None = None
    """Period of a recurring charge (`day`, `month`…)."""
    recurring_charge_period_type: str | None = None
    """TMF spelling of the period."""
    unit_of_measure: str | None = None
    """Unit of a usage charge."""
    price: Price | None = None
    """The amounts."""
    price_alteration: list[dict[str, Any]] = []
    """TMF discounts and the like, kept as sent."""
    type_: str | None = Field(default=None, alias="@type")
