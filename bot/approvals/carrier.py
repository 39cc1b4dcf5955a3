"""The one carrier call of a claimed approval, what its answer means, and recording it as the row's owner.

An answer that is ambiguous (a timeout, a dropped connection, 408/429/5xx, an unreadable body) may hide an order
Orange has: the row stays submitting, ownerless, to be looked up (`reconcile`), never sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.format import state_text
from bot.context import BotContext
from bot.i18n import _
from bot.leases import heartbeat
from bot.notify.diff import NoticeKind, diff
from bot.notify.render import NOTICE
from bot.watching import audit_watch_created
from integrations import (
    APIConnectionError,
    APIError,
    APIStatusError,
)
from integrations.requests import BuyerReferences, carrier_order_from_quote
from integrations.types.carrier import CarrierProductOrderCreate
from integrations.views import OrderView, order_view_from_carrier
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState, AuditAction
from storage.models import Approval, Watch

from . import policy
from .cards import THREAD_TS, load, refresh_card

log = logging.getLogger("bot.approvals")


def audit(session: Session, approval: Approval, actor: str, action: AuditAction, **detail: Any) -> None:
    subject = (approval.payload or {}).get("reference") or f"{approval.backend}:{approval.target_id}"
    crud.record_audit(
        session=session,
        actor=actor,
        action=action,
        approval_id=approval.id,
        backend=approval.backend,
        subject=str(subject),
        detail={"kind": approval.kind, "external_id": approval.external_id, **detail},
    )


def operation(approval: Approval) -> str:
    return "cancelProductOrder" if approval.kind == ApprovalKind.CANCEL_ORDER.value else "productOrder"


def held(ctx: BotContext, approval: Approval, owner: str) -> Any:
    """The heartbeat that keeps `owner`'s lease on `approval` while its carrier call runs."""

    async def renew() -> bool:
        until = utcnow() + policy.LEASE
        return await ctx.db(
            lambda s: crud.renew_approval_lease(session=s, approval_id=approval.id, owner=owner, lease_until=until)
        )

    return heartbeat(renew, every=policy.LEASE.total_seconds() / 3, name=f"approval {approval.id}")


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
    buyer = (approval.payload or {}).get("buyer") or {}
    return BuyerReferences(
        external_id=str(buyer.get("external_id") or approval.external_id),
        related_buyer_pon=buyer.get("related_buyer_pon"),
        note=buyer.get("note"),
    )


def quote_order_body(ctx: BotContext, approval: Approval) -> CarrierProductOrderCreate:
    """The carrier order: the buyer's references, and the approval's own key for the look-up (`LOOKUP_FIELD`)."""
    return carrier_order_from_quote(
        items=(approval.payload or {}).get("order_items") or [],
        buyer=buyer_of(approval),
        key=approval.external_id,
        defaults=order_defaults(ctx.settings.orange_carrier_order_defaults),
        at=utcnow(),
    )


@dataclass(frozen=True)
class Result:
    detail: dict[str, Any]
    text: str
    order: OrderView | None = None


@dataclass(frozen=True)
class Placed:
    """Orange has it."""

    result: Result


@dataclass(frozen=True)
class Refused:
    """Orange has nothing, for certain: failed, with Retry."""

    error: str
    code: str | None = None


@dataclass(frozen=True)
class Unknown:
    """Orange may have it: look it up later, never send it again."""

    error: str
    checked: bool = False
    """A look-up ran and found nothing (yet)."""


CallOutcome = Placed | Refused | Unknown


def ambiguous(err: APIError) -> bool:
    """Whether Orange may have acted on a POST that raised `err` (then only a look-up can tell)."""
    if isinstance(err, APIConnectionError):  # timeouts too
        return err.sent
    if isinstance(err, APIStatusError):
        return err.status_code in (408, 429) or err.status_code >= 500
    return True  # an answer we could not read (APIResponseValidationError): it may well say "created"


async def send(ctx: BotContext, approval: Approval) -> Result:
    payload = approval.payload or {}
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        cancel = await ctx.orange.wholesale.cancellations.create(
            order_id=approval.target_id, reason=payload.get("reason") or None
        )
        reference = payload.get("reference") or f"wholesale:{approval.target_id}"
        named = f"{payload['label']} · `{reference}`" if payload.get("label") else reference
        text = _(
            "Orange is cancelling {order} (cancellation {cancellation}, {state}).",
            order=named,
            cancellation=cancel.id,
            state=cancel.state or _("acknowledged"),
        )
        return Result({"cancel_id": cancel.id, "cancel_state": cancel.state, "text": text}, text)
    order = await ctx.orange.carrier.orders.create(quote_order_body(ctx, approval))
    return await order_result(ctx, order_view_from_carrier(order))


async def _named(ctx: BotContext, view: OrderView) -> str:
    """``UW-de76cfa1 · OULLINS C · `wholesale:…` ``, its carrier site named when the sites API can say."""
    label = await ctx.sites.label(ctx.orange.carrier.sites, view)
    return f"{label} · `{view.reference}`" if label != view.reference else view.reference


async def order_result(ctx: BotContext, view: OrderView) -> Result:
    text = _(
        "Order {order} placed ({state}); watched in this thread.",
        order=await _named(ctx, view),
        state=state_text(view.state, view.state_raw),
    )
    return Result(
        {"order": view.reference, "order_id": view.id, "order_state": view.state_raw, "text": text}, text, view
    )


async def look_up(ctx: BotContext, approval: Approval) -> Result | None:
    """What Orange has for this approval: the result, or None when Orange shows nothing (yet)."""
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        view = await ctx.orange.orders("wholesale").get(approval.target_id)
        if view.state in policy.CANCELLING:
            text = _(
                "Orange is cancelling {order} ({state}).",
                order=await _named(ctx, view),
                state=state_text(view.state, view.state_raw),
            )
            return Result({"order_state": view.state_raw, "reconciled": True, "text": text}, text)
        return None
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


async def call(ctx: BotContext, approval: Approval, *, look_first: bool = False) -> CallOutcome:
    """The one carrier call of a claimed approval (after a look-up, for a retry), as an outcome."""
    if look_first:
        try:
            found = await look_up(ctx, approval)
        except APIError as err:
            return Unknown(_("{error} (while checking for an earlier attempt)", error=err))
        if found is not None:
            return Placed(found)
    try:
        return Placed(await send(ctx, approval))
    except APIError as err:
        if ambiguous(err):
            log.warning("approval %s: %s; Orange may have it, looking it up later", approval.id, err)
            return Unknown(str(err))
        return Refused(_("Orange refused: {error}", error=err), code=err.code)


def watch_order(session: Session, approval: Approval, view: OrderView, *, actor: str) -> Watch:
    """Watch the new order in the approval message's thread, from the order as Orange returned it (the channel's
    watch of it, when there is one already)."""
    watch, created = crud.create_watch(
        session=session,
        team_id=approval.team_id,
        channel_id=approval.channel_id,
        backend=view.backend,
        order_id=view.id,
        created_by=approval.requester_id,
        thread_ts=approval.message_ts,
    )
    if created:
        crud.save_snapshot(session=session, watch_id=watch.id, view=diff(None, view)[1].to_json())
        audit_watch_created(session, watch, view, actor=actor, approval_id=approval.id)
    return watch


def watch_cancelled(session: Session, approval: Approval) -> Watch:
    """Watch the order being cancelled until it is final: the channel's watch of it, else one in the card's thread
    (its first poll reads the order as a baseline)."""
    watch, _created = crud.create_watch(
        session=session,
        team_id=approval.team_id,
        channel_id=approval.channel_id,
        backend=approval.backend,
        order_id=approval.target_id,
        created_by=approval.requester_id,
        thread_ts=approval.message_ts,
    )
    return watch


def tell_thread(session: Session, approval: Approval, watch: Watch, *, reference: str, now: datetime) -> None:
    """The order's thread owes one reply naming who approved and who asked, with the card; the card remembers the
    thread when it is not its own. Inside the transaction that settles the approval: once, whatever retries."""
    facts = {
        "kind": approval.kind,
        "reference": reference,
        "approver": approval.decided_by or "orange-bot",
        "requester": approval.requester_id,
        "card_channel": approval.channel_id,
        "card_ts": approval.message_ts,
    }
    crud.enqueue_outbox(
        session=session,
        watch_id=watch.id,
        fingerprint=f"approval:{approval.id}",
        kind=NoticeKind.approval_note,
        payload={NOTICE: facts, "seq": 0},
        now=now,
    )
    if watch.thread_ts and watch.thread_ts != approval.message_ts:
        crud.add_to_result(session=session, approval_id=approval.id, now=now, **{THREAD_TS: watch.thread_ts})


async def conclude(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, owner: str, outcome: CallOutcome, *, actor: str
) -> str:
    """Record what the call (or look-up) showed, as the row's owner, then redraw the card; the row's state."""
    at = utcnow()
    told = ctx.now()  # the notifier's clock: the thread's reply is owed at it

    def work(session: Session) -> bool:
        if isinstance(outcome, Placed):
            result = outcome.result
            done = crud.settle_approval(
                session=session,
                approval_id=approval.id,
                owner=owner,
                new_state=ApprovalState.SUBMITTED.value,
                now=at,
                result=result.detail,
                error=None,
            )
            if done:
                audit(session, approval, actor, AuditAction.CARRIER_RESULT, ok=True, **result.detail)
                settled = crud.get_approval(session=session, approval_id=approval.id) or approval
                if result.order is not None:
                    watch = watch_order(session, settled, result.order, actor=actor)
                    tell_thread(session, settled, watch, reference=result.order.reference, now=told)
                elif approval.kind == ApprovalKind.CANCEL_ORDER.value:
                    reference = str(
                        (approval.payload or {}).get("reference") or f"{approval.backend}:{approval.target_id}"
                    )
                    tell_thread(session, settled, watch_cancelled(session, settled), reference=reference, now=told)
            return done
        if isinstance(outcome, Refused):
            done = crud.settle_approval(
                session=session,
                approval_id=approval.id,
                owner=owner,
                new_state=ApprovalState.FAILED.value,
                now=at,
                error=outcome.error,
            )
            if done:
                audit(
                    session,
                    approval,
                    actor,
                    AuditAction.CARRIER_RESULT,
                    ok=False,
                    error=outcome.error,
                    code=outcome.code,
                )
            return done
        done = crud.release_approval(
            session=session,
            approval_id=approval.id,
            owner=owner,
            check_at=at + policy.check_gap(approval.checks),
            error=outcome.error,
            now=at,
            checked=outcome.checked,
        )
        if done and not outcome.checked:
            audit(session, approval, actor, AuditAction.CARRIER_RESULT, ok=None, unknown=outcome.error)
        return done

    if not await ctx.db(work):
        log.error("approval %s: its claim was taken over while the carrier call ran; the taker settles it", approval.id)
    current = await load(ctx, approval.id)
    if current is not None:
        await refresh_card(ctx, client, current)
        return current.state
    return approval.state
