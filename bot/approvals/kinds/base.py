"""What every approval kind shares: the stored payload's common fields, the call's result, and the `Kind` protocol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

from bot.blocks.format import state_text
from bot.context import BotContext
from bot.i18n import _
from integrations.views import OrderView
from storage.enums import ApprovalKind
from storage.models import Approval


class Payload(BaseModel):
    """An approval's stored payload, read back with `model_validate` from its JSON: keys an older row lacks are
    defaulted, keys this code does not know are ignored (`decisions` and `policy` write their own: `approved_by`,
    `retry_of`, `needed`)."""

    model_config = ConfigDict(extra="ignore")

    reference: str | None = None
    label: str | None = None
    summary: list[str] = []
    first_year: dict[str, Any] | None = None
    approvers: Any = None
    limit: dict[str, Any] | None = None
    approved_by: list[str] = []

    @field_validator("summary", "approved_by", mode="before")
    @classmethod
    def _list(cls, raw: object) -> object:
        return [str(s) for s in raw] if isinstance(raw, list) else []

    @field_validator("first_year", "limit", mode="before")
    @classmethod
    def _mapping(cls, raw: object) -> object:
        return raw if isinstance(raw, dict) else None

    @field_validator("reference", "label", mode="before")
    @classmethod
    def _text(cls, raw: object) -> object:
        return str(raw) if raw else None


@dataclass(frozen=True)
class Result:
    detail: dict[str, Any]
    text: str
    order: OrderView | None = None


class Kind(Protocol):
    """One approval kind: its payload, its one call to Orange, its look-up after a lost answer, its card's fields."""

    kind: ClassVar[ApprovalKind]
    operation: ClassVar[str]
    """The carrier operation named in the audit (`productOrder`, `cancelProductOrder`)."""
    again: ClassVar[str]
    """The command to run again when the request could not be posted."""

    def payload(self, raw: Mapping[str, Any] | None) -> Payload: ...

    async def send(self, ctx: BotContext, approval: Approval) -> Result: ...

    async def look_up(self, ctx: BotContext, approval: Approval) -> Result | None: ...

    def not_found(self, approval: Approval, minutes: int) -> str:
        """Why the request failed when Orange still shows nothing `minutes` after the call."""
        ...

    def card_fields(self, approval: Approval) -> dict[str, Any]:
        """The kind's own `ApprovalCard` fields (prices, reason…), from its payload."""
        ...


async def named(ctx: BotContext, view: OrderView) -> str:
    """``UW-de76cfa1 · OULLINS C · `wholesale:…` ``, its carrier site named when the sites API can say."""
    label = await ctx.sites.label(ctx.orange.carrier.sites, view)
    return f"{label} · `{view.reference}`" if label != view.reference else view.reference


async def order_result(ctx: BotContext, view: OrderView) -> Result:
    text = _(
        "Order {order} placed ({state}); watched in this thread.",
        order=await named(ctx, view),
        state=state_text(view.state, view.state_raw),
    )
    return Result(
        {"order": view.reference, "order_id": view.id, "order_state": view.state_raw, "text": text}, text, view
    )
