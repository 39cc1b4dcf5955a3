"""Ordering a carrier quote: its payload, the carrier order, the look-up by the approval's key, the card's fields."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from bot.blocks.format import TermTotal
from bot.context import BotContext
from bot.i18n import n_
from integrations.requests import BuyerReferences, carrier_order_from_quote
from integrations.types.carrier import CarrierProductOrderCreate
from integrations.views import PriceView, order_view_from_carrier
from storage.columns import utcnow
from storage.enums import ApprovalKind
from storage.models import Approval

from .base import Payload, Result, order_result


class Buyer(BaseModel):
    """The buyer's references kept with the request (from the order modal)."""

    model_config = ConfigDict(extra="ignore")

    external_id: str | None = None
    related_buyer_pon: str | None = None
    note: str | None = None


class QuoteOrderPayload(Payload):
    quote_id: str | None = None
    one_off: list[PriceView] = []
    recurring: list[PriceView] = []
    term_total: list[PriceView] = []
    term_months: str | None = None
    order_items: list[Any] = []
    buyer: Buyer | None = None
    """None for a request from before the modal: its key was the order's externalId."""

    @field_validator("one_off", "recurring", "term_total", "order_items", mode="before")
    @classmethod
    def _list(cls, raw: object) -> object:
        return raw if isinstance(raw, list) else []

    @field_validator("term_months", mode="before")
    @classmethod
    def _months(cls, raw: object) -> object:
        return str(raw) if raw else None

    def term(self) -> TermTotal | None:
        if not self.term_total:
            return None
        try:
            months = Decimal(self.term_months) if self.term_months else None
        except InvalidOperation:
            months = None
        return TermTotal(prices=tuple(self.term_total), months=months)


def order_defaults(path: Path | None) -> dict[str, Any]:
    """Buyer fields for carrier orders (billingAccount, relatedParty, relatedBuyerPON…) from the YAML file."""
    if path is None:
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of productOrder fields")
    return {str(k): v for k, v in loaded.items()}


def buyer_of(approval: Approval) -> BuyerReferences:
    """The buyer's references kept with the request; a request from before the modal named the order by its key."""
    buyer = KIND.payload(approval.payload).buyer or Buyer()
    return BuyerReferences(
        external_id=str(buyer.external_id or approval.external_id),
        related_buyer_pon=buyer.related_buyer_pon,
        note=buyer.note,
    )


def quote_order_body(ctx: BotContext, approval: Approval) -> CarrierProductOrderCreate:
    """The carrier order: the buyer's references, and the approval's own key for the look-up (`LOOKUP_FIELD`)."""
    return carrier_order_from_quote(
        items=KIND.payload(approval.payload).order_items,
        buyer=buyer_of(approval),
        key=approval.external_id,
        defaults=order_defaults(ctx.settings.orange_carrier_order_defaults),
        at=utcnow(),
    )


class QuoteOrder:
    kind: ClassVar[ApprovalKind] = ApprovalKind.QUOTE_ORDER
    operation: ClassVar[str] = "productOrder"
    again: ClassVar[str] = "quote …"

    def payload(self, raw: Mapping[str, Any] | None) -> QuoteOrderPayload:
        return QuoteOrderPayload.model_validate(raw or {})

    async def send(self, ctx: BotContext, approval: Approval) -> Result:
        order = await ctx.orange.carrier.orders.create(quote_order_body(ctx, approval))
        return await order_result(ctx, order_view_from_carrier(order))

    async def look_up(self, ctx: BotContext, approval: Approval) -> Result | None:
        key = approval.external_id
        if "buyer" not in (approval.payload or {}):  # sent before the buyer's references: the key is its externalId
            orders = ctx.orange.carrier.orders.list({"externalId": key}, max_items=10)
            async for entry in orders:
                if entry.id and str(entry.external_id) == key:
                    full = await ctx.orange.carrier.orders.get(entry.id)
                    return await order_result(ctx, order_view_from_carrier(full))
            return None
        # Lists show a summary without projectId: each match is read whole to check the key is really ours.
        async for entry in ctx.orange.carrier.orders.list({"projectId": key}, max_items=10):
            if entry.id:
                full = await ctx.orange.carrier.orders.get(entry.id)
                if str(full.project_id) == key:
                    return await order_result(ctx, order_view_from_carrier(full))
        return None

    def not_found(self, approval: Approval, minutes: int) -> str:
        return n_(
            "Orange has no order with external id {external_id} {n} minute after the call: not placed",
            "Orange has no order with external id {external_id} {n} minutes after the call: not placed",
            minutes,
            external_id=approval.external_id,
        )

    def card_fields(self, approval: Approval) -> dict[str, Any]:
        payload = self.payload(approval.payload)
        return {"one_off": tuple(payload.one_off), "recurring": tuple(payload.recurring), "term_total": payload.term()}


KIND = QuoteOrder()
