"""Cancelling a wholesale order: its payload, the cancellation call, the look-up, the card's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from bot.blocks.format import state_text
from bot.context import BotContext
from bot.i18n import _, n_
from storage.enums import ApprovalKind
from storage.models import Approval

from .. import policy
from .base import Payload, Result, named


class CancelOrderPayload(Payload):
    order_id: str | None = None
    reason: str | None = None


class CancelOrder:
    kind: ClassVar[ApprovalKind] = ApprovalKind.CANCEL_ORDER
    operation: ClassVar[str] = "cancelProductOrder"
    again: ClassVar[str] = "cancel …"

    def payload(self, raw: Mapping[str, Any] | None) -> CancelOrderPayload:
        return CancelOrderPayload.model_validate(raw or {})

    async def send(self, ctx: BotContext, approval: Approval) -> Result:
        payload = self.payload(approval.payload)
        cancel = await ctx.orange.wholesale.cancellations.create(
            order_id=approval.target_id, reason=payload.reason or None
        )
        reference = payload.reference or f"wholesale:{approval.target_id}"
        shown = f"{payload.label} · `{reference}`" if payload.label else reference
        text = _(
            "Orange is cancelling {order} (cancellation {cancellation}, {state}).",
            order=shown,
            cancellation=cancel.id,
            state=cancel.state or _("acknowledged"),
        )
        return Result({"cancel_id": cancel.id, "cancel_state": cancel.state, "text": text}, text)

    async def look_up(self, ctx: BotContext, approval: Approval) -> Result | None:
        view = await ctx.orange.orders("wholesale").get(approval.target_id)
        if view.state in policy.CANCELLING:
            text = _(
                "Orange is cancelling {order} ({state}).",
                order=await named(ctx, view),
                state=state_text(view.state, view.state_raw),
            )
            return Result({"order_state": view.state_raw, "reconciled": True, "text": text}, text)
        return None

    def not_found(self, approval: Approval, minutes: int) -> str:
        return n_(
            "Orange does not show the order as cancelling {n} minute after the call: not sent",
            "Orange does not show the order as cancelling {n} minutes after the call: not sent",
            minutes,
        )

    def card_fields(self, approval: Approval) -> dict[str, Any]:
        reason = self.payload(approval.payload).reason
        return {"reason": str(reason) if reason else None}


KIND = CancelOrder()
