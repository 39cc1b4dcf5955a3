"""Approval requests, decisions, the one carrier call, and reconciliation after a crash (CONTRACT §5).

The approval row is the lock: a compare-and-set pending → submitting picks the one click that calls Orange.
The carrier order carries the approval's `external_id`, so an approval left `submitting` (a crash between the
call and recording its result) is settled by looking the order up, never by sending it again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.approvals import (
    ApprovalCard,
    Outcome,
    approval_decided_blocks,
    approval_request_blocks,
)
from bot.blocks.approvals import ApprovalKind as CardKind
from bot.blocks.format import fallback_text, mention, state_text, when
from bot.blocks.quotes import quote_item_text
from bot.commands import parse_reference
from bot.context import BotContext
from bot.jobs.diff import diff
from bot.queries import Reply, fetch_order_view, render_error
from bot.watching import CHANNEL_ERRORS, Where, audit_watch_created, cannot_post_text, permalink
from integrations._exceptions import APIError, APIStatusError
from integrations.states import OrderState
from integrations.views import OrderView, PriceView, QuoteView, order_view_from_carrier, quote_view_from_carrier
from storage import crud
from storage.enums import ApprovalKind, ApprovalState, AuditAction, Backend
from storage.models import Approval

from . import store

__all__ = [
    "Click",
    "handle_click",
    "reconcile",
    "request_cancel_order",
    "request_quote_order",
]

log = logging.getLogger("bot.approvals")

Action = Literal["approve", "reject", "retry"]

CANCELLING = frozenset({OrderState.assessing_cancellation, OrderState.pending_cancellation, OrderState.cancelled})
STALE_SUBMITTING = timedelta(minutes=2)


def now() -> datetime:
    """The time used for decisions and quote validity (tests move it)."""
    return store.now()


# --- the card kept in the approval's payload ---------------------------------------------------------


def _prices(raw: object) -> tuple[PriceView, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(PriceView.model_validate(p) for p in raw)


def card_of(approval: Approval) -> ApprovalCard:
    payload = approval.payload or {}
    summary = payload.get("summary")
    reason = payload.get("reason")
    reference = payload.get("reference")
    return ApprovalCard(
        approval_id=str(approval.id),
        kind=cast(CardKind, approval.kind),
        requester_id=approval.requester_id,
        summary=tuple(str(s) for s in summary) if isinstance(summary, list) else (),
        one_off=_prices(payload.get("one_off")),
        recurring=_prices(payload.get("recurring")),
        reason=str(reason) if reason else None,
        reference=str(reference) if reference else None,
    )


def _dump(prices: Sequence[PriceView]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in prices]


# --- asking -----------------------------------------------------------------------------------


async def _post_request(
    ctx: BotContext,
    client: AsyncWebClient,
    where: Where,
    *,
    kind: ApprovalKind,
    backend: Backend,
    target_id: str,
    payload: dict[str, Any],
) -> Reply:
    """Store a pending approval, post it in the channel with Approve / Reject, answer the requester with a link."""
    command = ctx.settings.slack_command

    def open_(session: Session) -> tuple[Approval, bool]:
        return store.open_approval(
            session=session,
            kind=kind.value,
            team_id=where.team_id,
            channel_id=where.channel_id,
            requester_id=where.user_id,
            backend=backend.value,
            target_id=target_id,
            payload=payload,
        )

    approval, created = await ctx.db(open_)
    what = payload.get("reference") or target_id
    if not created:
        link = await permalink(client, approval.channel_id, approval.message_ts)
        where_text = f" (<{link}|see the request>)" if link else ""
        verb = "ordering" if kind == ApprovalKind.QUOTE_ORDER else "cancelling"
        return Reply(
            text=f"{verb.capitalize()} `{what}` was already asked for by {mention(approval.requester_id)} "
            f"and is {approval.state}{where_text}.",
            shareable=False,
        )
    card = card_of(approval)
    blocks = approval_request_blocks(card)
    try:
        response = await client.chat_postMessage(
            channel=where.channel_id, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
        )
    except SlackApiError as err:
        error = str(err.response.get("error", ""))
        await ctx.db(
            lambda s: crud.transition_approval(
                session=s,
                approval_id=approval.id,
                expected_state=ApprovalState.PENDING.value,
                expected_version=approval.version,
                new_state=ApprovalState.FAILED.value,
                error=f"could not post the request: {error}",
            )
        )
        if error in CHANNEL_ERRORS:
            return Reply(text=cannot_post_text(error, command=command), shareable=False)
        return Reply(text=f"Slack refused the approval request ({error}); try again in a moment.", shareable=False)
    ts = str(response["ts"])

    def posted(session: Session) -> None:
        store.set_message_ts(session=session, approval_id=approval.id, message_ts=ts)
        crud.record_audit(
            session=session,
            actor=where.user_id,
            action=AuditAction.APPROVAL_REQUESTED,
            approval_id=approval.id,
            backend=backend.value,
            subject=str(what),
            detail={"kind": kind.value, "channel": where.channel_id, "reason": payload.get("reason")},
        )

    await ctx.db(posted)
    link = await permalink(client, where.channel_id, ts)
    request = f"<{link}|approval request>" if link else "approval request"
    verb = "order" if kind == ApprovalKind.QUOTE_ORDER else "cancel"
    return Reply(
        text=f"Asked for approval to {verb} `{what}`: an approver decides on the {request} in this channel.",
        shareable=False,
    )


async def request_cancel_order(
    ctx: BotContext, client: AsyncWebClient, where: Where, order_id: str, reason: str | None
) -> Reply:
    command = ctx.settings.slack_command
    try:
        view = await fetch_order_view(ctx, Backend.WHOLESALE.value, order_id)
    except APIError as err:
        return render_error(err, verb="cancel", command=command, enabled=ctx.enabled)
    state = state_text(view.state, view.state_raw)
    if view.is_final:
        return Reply(text=f"`{view.reference}` can't be cancelled: it is {state}, a final state.", shareable=False)
    if view.state in CANCELLING:
        return Reply(text=f"`{view.reference}` is already being cancelled ({state}).", shareable=False)
    summary = [f"Order {view.reference} · {state}"]
    if view.description:
        summary.append(view.description)
    if view.specification:
        summary.append(f"Specification: {view.specification}")
    if view.external_ids:
        summary.append("External ids: " + ", ".join(view.external_ids))
    summary.append(f"{len(view.items)} item(s)")
    payload: dict[str, Any] = {
        "reference": view.reference,
        "summary": summary,
        "reason": reason,
        "order_id": view.id,
    }
    return await _post_request(
        ctx,
        client,
        where,
        kind=ApprovalKind.CANCEL_ORDER,
        backend=Backend.WHOLESALE,
        target_id=view.id,
        payload=payload,
    )


def _quote_order_items(quote_id: str, raw_items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One productOrderItem per quote item, each naming the quote (the seed's "order with a Quote Identifier")."""
    items: list[dict[str, Any]] = []
    for raw in raw_items:
        item: dict[str, Any] = {"id": str(raw.get("id")), "action": raw.get("action") or "add"}
        for key in ("productOffering", "product"):
            if raw.get(key) is not None:
                item[key] = raw[key]
        term = raw.get("quoteItemTerm") or raw.get("requestedQuoteItemTerm")
        if term:
            item["requestedOrderItemTerm"] = term
        relations = raw.get("quoteItemRelationship")
        if relations:
            item["orderItemRelationship"] = relations
        item["quote"] = {"id": quote_id}
        items.append(item)
    return items


async def request_quote_order(ctx: BotContext, client: AsyncWebClient, where: Where, value: str) -> Reply:
    command = ctx.settings.slack_command
    try:
        reference = parse_reference(value, default_backend="carrier", enabled=ctx.enabled)
    except ValueError:
        return Reply(text="That button is out of date; show the quote again.", shareable=False)
    if reference.backend != Backend.CARRIER.value:
        return Reply(text="Only carrier quotes can be ordered.", shareable=False)
    try:
        quote = await ctx.orange.carrier.quotes.get(reference.id)
    except APIError as err:
        return render_error(err, verb="quote", command=command, enabled=ctx.enabled)
    view: QuoteView = quote_view_from_carrier(quote)
    moment = now()
    if not view.is_orderable(moment):
        until = f", valid until {when(view.valid_until)}" if view.valid_until else ""
        return Reply(
            text=f"`{view.reference}` can't be ordered: it is {state_text(view.state, view.state_raw)}{until}. "
            f"Ask for a new quote with `{command} quote new`.",
            shareable=False,
        )
    summary = [f"Quote {view.reference}" + (f" · {view.description}" if view.description else "")]
    if view.valid_until:
        summary.append(f"Valid until {view.valid_until.date().isoformat()}")
    summary.extend(quote_item_text(item) for item in view.items)
    raw_items = [i.model_dump(mode="json", exclude_none=True, by_alias=True) for i in quote.quote_item]
    payload: dict[str, Any] = {
        "reference": view.reference,
        "summary": summary,
        "one_off": _dump([p for p in view.prices if p.kind == "one_off"]),
        "recurring": _dump([p for p in view.prices if p.kind == "recurring"]),
        "quote_id": view.id,
        "order_items": _quote_order_items(view.id, raw_items),
    }
    return await _post_request(
        ctx, client, where, kind=ApprovalKind.QUOTE_ORDER, backend=Backend.CARRIER, target_id=view.id, payload=payload
    )


# --- deciding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Click:
    action: Action
    approval_id: str
    user_id: str
    delivery_key: str | None = None
    """Set for clicks: a redelivery of the same click finds it and stops."""


def _decided_word(approval: Approval) -> str:
    return "rejected" if approval.state == ApprovalState.REJECTED.value else "approved"


def decided_text(approval: Approval) -> str:
    """What a click on a request already decided is told: who decided it, when, and where it stands."""
    who = mention(approval.decided_by) if approval.decided_by else "someone"
    at = when(approval.decided_at) if approval.decided_at else "earlier"
    text = f"This request was already {_decided_word(approval)} by {who} ({at})"
    if approval.state == ApprovalState.SUBMITTING.value:
        text += "; it is being sent to Orange."
    elif approval.state == ApprovalState.SUBMITTED.value:
        text += "; " + (_result_text(approval) or "Orange has it") + "."
    elif approval.state == ApprovalState.FAILED.value:
        text += f"; it failed: {approval.error or 'unknown error'}."
    else:
        text += "."
    return text


def refusal(ctx: BotContext, approval: Approval, user_id: str) -> str | None:
    """Why `user_id` may not decide `approval`, or None when they may."""
    approvers = ctx.settings.approver_user_ids
    if approvers and user_id not in approvers:
        names = ", ".join(mention(a) for a in approvers)
        return f"Only the approvers ({names}) can decide this request; nothing was changed."
    if user_id == approval.requester_id and not ctx.settings.allow_self_approval:
        return "You asked for this yourself: another approver has to decide it. Nothing was changed."
    return None


async def _load(ctx: BotContext, approval_id: uuid.UUID) -> Approval | None:
    return await ctx.db(lambda s: crud.get_approval(session=s, approval_id=approval_id))


async def _move(ctx: BotContext, approval: Approval, new_state: ApprovalState, **fields: Any) -> Approval | None:
    """Compare-and-set from what `approval` was read as; the moved row, or None when someone else moved it first."""

    def work(session: Session) -> Approval | None:
        moved = crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state=approval.state,
            expected_version=approval.version,
            new_state=new_state.value,
            **fields,
        )
        return crud.get_approval(session=session, approval_id=approval.id) if moved else None

    return await ctx.db(work)


async def _audit(ctx: BotContext, approval: Approval, actor: str, action: AuditAction, **detail: Any) -> None:
    subject = (approval.payload or {}).get("reference") or f"{approval.backend}:{approval.target_id}"
    await ctx.db(
        lambda s: crud.record_audit(
            session=s,
            actor=actor,
            action=action,
            approval_id=approval.id,
            backend=approval.backend,
            subject=str(subject),
            detail={"kind": approval.kind, "external_id": approval.external_id, **detail},
        )
    )


async def update_message(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, *, outcome: Outcome, result_text: str | None
) -> None:
    if not approval.message_ts:
        return
    card = card_of(approval)
    blocks = approval_decided_blocks(
        card,
        decided_by=approval.decided_by or "orange-bot",
        decided_at=approval.decided_at or now(),
        outcome=outcome,
        result_text=result_text,
    )
    try:
        await client.chat_update(
            channel=approval.channel_id,
            ts=approval.message_ts,
            text=fallback_text(blocks),
            blocks=[b.to_dict() for b in blocks],
        )
    except SlackApiError as err:
        log.warning("could not update approval %s: %s", approval.id, err.response.get("error"))


async def handle_click(ctx: BotContext, client: AsyncWebClient, click: Click) -> str | None:
    """Approve, Reject or Retry; the text for the clicker (ephemeral), or None when the message says it all."""
    try:
        approval_id = uuid.UUID(click.approval_id)
    except ValueError:
        return "That button is out of date."
    if click.delivery_key is not None:
        key = click.delivery_key[:255]
        if not await ctx.db(lambda s: crud.mark_delivery_processed(session=s, key=key)):
            return None  # the same click delivered again: the first delivery answers
    approval = await _load(ctx, approval_id)
    if approval is None:
        return "That approval request no longer exists."
    wanted = ApprovalState.FAILED.value if click.action == "retry" else ApprovalState.PENDING.value
    if approval.state != wanted:
        return decided_text(approval)
    refused = refusal(ctx, approval, click.user_id)
    if refused is not None:
        return refused
    decided = {"decided_by": click.user_id, "decided_at": now()}
    if click.action == "reject":
        moved = await _move(ctx, approval, ApprovalState.REJECTED, **decided)
        if moved is None:
            return await _lost(ctx, approval_id)
        await _audit(ctx, moved, click.user_id, AuditAction.APPROVAL_REJECTED)
        await update_message(ctx, client, moved, outcome="rejected", result_text=None)
        return None
    if click.action == "approve":
        moved = await _move(ctx, approval, ApprovalState.SUBMITTING, **decided)
        if moved is None:
            return await _lost(ctx, approval_id)
        await _audit(ctx, moved, click.user_id, AuditAction.APPROVAL_APPROVED)
        await update_message(ctx, client, moved, outcome="approved", result_text="Sending to Orange…")
        await submit(ctx, client, moved, actor=click.user_id)
        return None
    return await _retry(ctx, client, approval, click.user_id)


async def _lost(ctx: BotContext, approval_id: uuid.UUID) -> str:
    current = await _load(ctx, approval_id)
    return decided_text(current) if current is not None else "That approval request no longer exists."


async def _retry(ctx: BotContext, client: AsyncWebClient, failed: Approval, user_id: str) -> str | None:
    """A failed approval stays failed (crud allows no way back); the retry is a new approval row, linked to it.

    `open_approval` lets one retry in however many clicks race, and refuses while another request is live.
    """
    payload = {**(failed.payload or {}), "retry_of": str(failed.id)}

    def open_(session: Session) -> tuple[Approval, bool]:
        return store.open_approval(
            session=session,
            kind=failed.kind,
            team_id=failed.team_id,
            channel_id=failed.channel_id,
            requester_id=failed.requester_id,
            backend=failed.backend,
            target_id=failed.target_id,
            payload=payload,
            message_ts=failed.message_ts,
        )

    try:
        fresh, created = await ctx.db(open_)
    except RuntimeError:
        created = False
        fresh = None
    if not created or fresh is None:
        return "This request is already being retried." if fresh is None else decided_text(fresh)
    moved = await _move(ctx, fresh, ApprovalState.SUBMITTING, decided_by=user_id, decided_at=now())
    if moved is None:
        return await _lost(ctx, fresh.id)
    await _audit(ctx, moved, user_id, AuditAction.APPROVAL_APPROVED, retry_of=str(failed.id))
    await update_message(ctx, client, moved, outcome="approved", result_text="Retrying: sending to Orange…")
    await submit(ctx, client, moved, actor=user_id)
    return None


# --- the carrier call ---------------------------------------------------------------------------


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


def quote_order_body(ctx: BotContext, approval: Approval) -> dict[str, Any]:
    payload = approval.payload or {}
    body: dict[str, Any] = {
        "orderActivity": "install",
        "desiredResponse": "confirmationAndEngineeringDesign",
        **order_defaults(ctx.settings.orange_carrier_order_defaults),
    }
    body["externalId"] = approval.external_id
    body["productOrderItem"] = payload.get("order_items") or []
    return body


@dataclass(frozen=True)
class Result:
    detail: dict[str, Any]
    text: str
    order: OrderView | None = None


async def _call_carrier(ctx: BotContext, approval: Approval) -> Result:
    payload = approval.payload or {}
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        cancel = await ctx.orange.wholesale.cancellations.create(
            order_id=approval.target_id, reason=payload.get("reason") or None
        )
        reference = payload.get("reference") or f"wholesale:{approval.target_id}"
        return Result(
            {"cancel_id": cancel.id, "cancel_state": cancel.state},
            f"Orange is cancelling {reference} (cancellation {cancel.id}, {cancel.state or 'acknowledged'}).",
        )
    order = await ctx.orange.carrier.orders.create(quote_order_body(ctx, approval))
    view = order_view_from_carrier(order)
    return _order_result(view)


def _order_result(view: OrderView) -> Result:
    return Result(
        {"order": view.reference, "order_id": view.id, "order_state": view.state_raw},
        f"Order {view.reference} placed ({state_text(view.state, view.state_raw)}); watched in this thread.",
        view,
    )


async def _look_up(ctx: BotContext, approval: Approval) -> Result | None:
    """What Orange has for an approval whose call's answer was lost: the result, or None when nothing was placed."""
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        view = await fetch_order_view(ctx, Backend.WHOLESALE.value, approval.target_id)
        if view.state in CANCELLING:
            return Result(
                {"order_state": view.state_raw, "reconciled": True},
                f"Orange is cancelling {view.reference} ({state_text(view.state, view.state_raw)}).",
            )
        return None
    orders = ctx.orange.carrier.orders.list({"externalId": approval.external_id}, max_items=10)
    async for entry in orders:
        if entry.id and str(entry.external_id) == approval.external_id:
            full = await ctx.orange.carrier.orders.get(entry.id)
            return _order_result(order_view_from_carrier(full))
    return None


async def submit(ctx: BotContext, client: AsyncWebClient, approval: Approval, *, actor: str) -> None:
    """The one carrier call for an approval just moved to `submitting`, then its result, recorded and shown."""
    operation = "cancelProductOrder" if approval.kind == ApprovalKind.CANCEL_ORDER.value else "productOrder"
    await _audit(ctx, approval, actor, AuditAction.CARRIER_CALL, operation=operation)
    try:
        result = await _call_carrier(ctx, approval)
    except APIStatusError as err:  # Orange answered no: nothing was placed
        await _fail(ctx, client, approval, actor, str(err), code=err.code)
        return
    except APIError as err:  # no answer, or one we could not read: Orange may have it, look before saying
        log.warning("approval %s: %s; looking it up", approval.id, err)
        try:
            found = await _look_up(ctx, approval)
        except APIError:
            return  # still unknown: stays submitting, `reconcile` settles it later
        if found is None:
            await _fail(ctx, client, approval, actor, f"{err} (not placed; retry)", code=err.code)
            return
        result = found
    await _succeed(ctx, client, approval, actor, result)


async def _succeed(ctx: BotContext, client: AsyncWebClient, approval: Approval, actor: str, result: Result) -> None:
    moved = await _move(ctx, approval, ApprovalState.SUBMITTED, result=result.detail)
    await _audit(ctx, approval, actor, AuditAction.CARRIER_RESULT, ok=True, **result.detail)
    if moved is None:
        log.error("approval %s moved while its carrier call ran", approval.id)
        return
    if result.order is not None:
        await watch_new_order(ctx, moved, result.order, actor=actor)
    await update_message(ctx, client, moved, outcome="submitted", result_text=result.text)


async def _fail(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, actor: str, error: str, *, code: str | None
) -> None:
    moved = await _move(ctx, approval, ApprovalState.FAILED, error=error)
    await _audit(ctx, approval, actor, AuditAction.CARRIER_RESULT, ok=False, error=error, code=code)
    if moved is None:
        log.error("approval %s moved while its carrier call ran", approval.id)
        return
    await update_message(
        ctx, client, moved, outcome="failed", result_text=f"Orange refused: {error}. An approver can retry."
    )


def _result_text(approval: Approval) -> str | None:
    result = approval.result or {}
    if result.get("order"):
        return f"order {result['order']} placed"
    if result.get("cancel_id") or result.get("order_state"):
        return "Orange is cancelling the order"
    return None


async def watch_new_order(ctx: BotContext, approval: Approval, view: OrderView, *, actor: str) -> None:
    """Watch the new order in the approval message's thread, from the order as Orange returned it."""
    baseline = diff(None, view)[1].to_json()

    def work(session: Session) -> None:
        watch, created = crud.create_watch(
            session=session,
            team_id=approval.team_id,
            channel_id=approval.channel_id,
            backend=view.backend,
            order_id=view.id,
            created_by=approval.requester_id,
            thread_ts=approval.message_ts,
        )
        if not created:
            return
        crud.save_snapshot(session=session, watch_id=watch.id, view=baseline)
        audit_watch_created(session, watch, view, actor=actor, approval_id=approval.id)

    await ctx.db(work)


# --- after a crash ------------------------------------------------------------------------------


async def reconcile(
    ctx: BotContext, client: AsyncWebClient, *, min_age: timedelta = STALE_SUBMITTING
) -> dict[str, str]:
    """Settle approvals left `submitting` by asking Orange, never by sending again; {approval id: new state}.

    Only rows older than `min_age` are looked at, so a call still in flight is left to finish.
    """
    cutoff = now() - min_age
    pending = await ctx.db(lambda s: store.list_submitting(session=s, updated_before=cutoff))
    settled: dict[str, str] = {}
    for approval in pending:
        try:
            found = await _look_up(ctx, approval)
        except APIError as err:
            log.warning("reconcile %s: Orange did not answer (%s); trying later", approval.id, err)
            continue
        if found is None:
            await _fail(ctx, client, approval, "orange-bot", "not placed; retry", code=None)
            settled[str(approval.id)] = ApprovalState.FAILED.value
        else:
            await _succeed(ctx, client, approval, "orange-bot", found)
            settled[str(approval.id)] = ApprovalState.SUBMITTED.value
    return settled
