"""Approval requests, decisions, the one carrier call, and what happens when its answer is lost.

The approval row is the lock: a compare-and-set pending → submitting, with an owner and a lease, picks the one
click that calls Orange, and the call goes out right after that claim (nothing slow in between). The owner
renews its lease while the call runs, so it is never taken over while alive. The carrier order carries the
approval's `external_id`:

* Orange answered: submitted (with the new order watched, in the same transaction) or failed (with Retry).
* Orange's answer is ambiguous (a timeout, a dropped connection, 408/429/5xx, an unreadable body): Orange may
  have the order, so the row stays submitting, ownerless, and is looked up later (`reconcile`), never sent again.
  "Not found" right after a call may only mean "not indexed yet": the look-up waits and looks again, and only
  after `SETTLE` with nothing found does the approval fail with Retry.
* The owner died (its lease ran out): `reconcile` claims the row by compare-and-set, then looks it up.
* Retry is a new approval with the failed one's `external_id`: it looks the order up before any POST, so an
  order the first attempt placed after all is adopted, not doubled.

The Slack card is always drawn from the current row (`refresh_card`), and drawn again when the row moved while
it was being drawn, so a late update never leaves an older state on screen; `reconcile` also redraws cards whose
update failed.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import aiohttp
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
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
from bot.leases import heartbeat
from bot.queries import fetch_order_view
from bot.slack import CHANNEL_ERRORS, Reply, Where, cannot_post_text, permalink, render_error
from bot.watching import audit_watch_created
from integrations._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
)
from integrations.states import OrderState
from integrations.views import OrderView, PriceView, QuoteView, order_view_from_carrier, quote_view_from_carrier
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState, AuditAction, Backend
from storage.models import Approval

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
LEASE = timedelta(seconds=60)
"""How long a claim on a submitting approval lasts without a heartbeat (its owner renews it every third)."""
FIRST_CHECK = timedelta(seconds=10)
"""After an ambiguous answer, the first look-up waits this long: Orange indexes a new order late."""
MAX_CHECK_GAP = timedelta(minutes=5)
SETTLE = timedelta(minutes=15)
"""How long after the call "not found" still means "not indexed yet"; then the approval fails, with Retry."""
STALE_CARD = timedelta(seconds=30)
"""A card behind its row for this long is redrawn by `reconcile` (its update failed or was lost)."""


def now() -> datetime:
    """The time quote validity is judged at (tests move it)."""
    return utcnow()


def _claim_owner() -> str:
    """One claim's token: which process, and which claim in it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _check_gap(checks: int) -> timedelta:
    return min(FIRST_CHECK * (1 << min(checks, 10)), MAX_CHECK_GAP)


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
        return crud.open_approval(
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
        crud.set_message_ts(session=session, approval_id=approval.id, message_ts=ts)
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


def _answer_lost(approval: Approval) -> bool:
    """Submitting with no owner: Orange's answer was lost and the order is being looked for."""
    return approval.state == ApprovalState.SUBMITTING.value and approval.lease_owner is None


def decided_text(approval: Approval) -> str:
    """What a click on a request already decided is told: who decided it, when, and where it stands."""
    who = mention(approval.decided_by) if approval.decided_by else "someone"
    at = when(approval.decided_at) if approval.decided_at else "earlier"
    text = f"This request was already {_decided_word(approval)} by {who} ({at})"
    if _answer_lost(approval):
        text += "; Orange's answer was lost, and I am checking whether Orange has it."
    elif approval.state == ApprovalState.SUBMITTING.value:
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


def _audit(session: Session, approval: Approval, actor: str, action: AuditAction, **detail: Any) -> None:
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


def _operation(approval: Approval) -> str:
    return "cancelProductOrder" if approval.kind == ApprovalKind.CANCEL_ORDER.value else "productOrder"


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
    if click.action == "reject":
        return await _reject(ctx, client, approval, click.user_id)
    if click.action == "approve":
        return await _approve(ctx, client, approval, click.user_id)
    return await _retry(ctx, client, approval, click.user_id)


async def _lost(ctx: BotContext, approval_id: uuid.UUID) -> str:
    current = await _load(ctx, approval_id)
    return decided_text(current) if current is not None else "That approval request no longer exists."


async def _reject(ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str) -> str | None:
    def work(session: Session) -> Approval | None:
        moved = crud.transition_approval(
            session=session,
            approval_id=approval.id,
            expected_state=approval.state,
            expected_version=approval.version,
            new_state=ApprovalState.REJECTED.value,
            decided_by=user_id,
            decided_at=utcnow(),
        )
        if not moved:
            return None
        _audit(session, approval, user_id, AuditAction.APPROVAL_REJECTED)
        return crud.get_approval(session=session, approval_id=approval.id)

    moved = await ctx.db(work)
    if moved is None:
        return await _lost(ctx, approval.id)
    await refresh_card(ctx, client, moved)
    return None


def _claim(
    session: Session, approval: Approval, *, owner: str, user_id: str, retry_of: Approval | None = None
) -> Approval | None:
    """pending → submitting for `owner`, audited as approved and called, in one transaction; None: lost the race."""
    at = utcnow()
    if not crud.claim_approval(
        session=session,
        approval_id=approval.id,
        expected_version=approval.version,
        owner=owner,
        lease_until=at + LEASE,
        now=at,
        decided_by=user_id,
        decided_at=at,
    ):
        return None
    claimed = crud.get_approval(session=session, approval_id=approval.id)
    assert claimed is not None
    extra = {"retry_of": str(retry_of.id)} if retry_of is not None else {}
    _audit(session, claimed, user_id, AuditAction.APPROVAL_APPROVED, **extra)
    _audit(session, claimed, user_id, AuditAction.CARRIER_CALL, operation=_operation(claimed), **extra)
    return claimed


async def _approve(ctx: BotContext, client: AsyncWebClient, approval: Approval, user_id: str) -> str | None:
    owner = _claim_owner()
    claimed = await ctx.db(lambda s: _claim(s, approval, owner=owner, user_id=user_id))
    if claimed is None:
        return await _lost(ctx, approval.id)
    async with _held(ctx, claimed, owner):
        outcome = await _call(ctx, claimed)  # right after the claim: nothing slow in between
    await _conclude(ctx, client, claimed, owner, outcome, actor=user_id)
    return None


async def _retry(ctx: BotContext, client: AsyncWebClient, failed: Approval, user_id: str) -> str | None:
    """A failed approval stays failed (crud allows no way back); the retry is a new approval row, linked to it.

    It sends the failed one's `external_id` and looks the order up before any POST: an order the first attempt
    placed after all (indexed later than `SETTLE`) is adopted, not placed twice. `uq_approval_live` lets one
    retry in however many clicks race, and none while another request for the target is live.
    """
    payload = {**(failed.payload or {}), "retry_of": str(failed.id)}
    owner = _claim_owner()

    def open_and_claim(session: Session) -> tuple[Approval, Approval | None]:
        fresh, created = crud.open_approval(
            session=session,
            kind=failed.kind,
            team_id=failed.team_id,
            channel_id=failed.channel_id,
            requester_id=failed.requester_id,
            backend=failed.backend,
            target_id=failed.target_id,
            payload=payload,
            message_ts=failed.message_ts,
            external_id=failed.external_id,
        )
        if not created:
            return fresh, None
        return fresh, _claim(session, fresh, owner=owner, user_id=user_id, retry_of=failed)

    live, claimed = await ctx.db(open_and_claim)
    if claimed is None:
        if (live.payload or {}).get("retry_of") == str(failed.id):
            return "This request is already being retried."
        return decided_text(live)
    async with _held(ctx, claimed, owner):
        outcome = await _call(ctx, claimed, look_first=True)
    await _conclude(ctx, client, claimed, owner, outcome, actor=user_id)
    return None


def _held(ctx: BotContext, approval: Approval, owner: str) -> Any:
    """The heartbeat that keeps `owner`'s lease on `approval` while its carrier call runs."""

    async def renew() -> bool:
        until = utcnow() + LEASE
        return await ctx.db(
            lambda s: crud.renew_approval_lease(session=s, approval_id=approval.id, owner=owner, lease_until=until)
        )

    return heartbeat(renew, every=LEASE.total_seconds() / 3, name=f"approval {approval.id}")


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


async def _send(ctx: BotContext, approval: Approval) -> Result:
    payload = approval.payload or {}
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        cancel = await ctx.orange.wholesale.cancellations.create(
            order_id=approval.target_id, reason=payload.get("reason") or None
        )
        reference = payload.get("reference") or f"wholesale:{approval.target_id}"
        text = f"Orange is cancelling {reference} (cancellation {cancel.id}, {cancel.state or 'acknowledged'})."
        return Result({"cancel_id": cancel.id, "cancel_state": cancel.state, "text": text}, text)
    order = await ctx.orange.carrier.orders.create(quote_order_body(ctx, approval))
    return _order_result(order_view_from_carrier(order))


def _order_result(view: OrderView) -> Result:
    text = f"Order {view.reference} placed ({state_text(view.state, view.state_raw)}); watched in this thread."
    return Result(
        {"order": view.reference, "order_id": view.id, "order_state": view.state_raw, "text": text}, text, view
    )


async def _look_up(ctx: BotContext, approval: Approval) -> Result | None:
    """What Orange has for this approval: the result, or None when Orange shows nothing (yet)."""
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        view = await fetch_order_view(ctx, Backend.WHOLESALE.value, approval.target_id)
        if view.state in CANCELLING:
            text = f"Orange is cancelling {view.reference} ({state_text(view.state, view.state_raw)})."
            return Result({"order_state": view.state_raw, "reconciled": True, "text": text}, text)
        return None
    orders = ctx.orange.carrier.orders.list({"externalId": approval.external_id}, max_items=10)
    async for entry in orders:
        if entry.id and str(entry.external_id) == approval.external_id:
            full = await ctx.orange.carrier.orders.get(entry.id)
            return _order_result(order_view_from_carrier(full))
    return None


async def _call(ctx: BotContext, approval: Approval, *, look_first: bool = False) -> CallOutcome:
    """The one carrier call of a claimed approval (after a look-up, for a retry), as an outcome."""
    if look_first:
        try:
            found = await _look_up(ctx, approval)
        except APIError as err:
            return Unknown(f"{err} (while checking for an earlier attempt)")
        if found is not None:
            return Placed(found)
    try:
        return Placed(await _send(ctx, approval))
    except APIError as err:
        if ambiguous(err):
            log.warning("approval %s: %s; Orange may have it, looking it up later", approval.id, err)
            return Unknown(str(err))
        return Refused(f"Orange refused: {err}", code=err.code)


def _watch_order(session: Session, approval: Approval, view: OrderView, *, actor: str) -> None:
    """Watch the new order in the approval message's thread, from the order as Orange returned it."""
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
    crud.save_snapshot(session=session, watch_id=watch.id, view=diff(None, view)[1].to_json())
    audit_watch_created(session, watch, view, actor=actor, approval_id=approval.id)


async def _conclude(
    ctx: BotContext, client: AsyncWebClient, approval: Approval, owner: str, outcome: CallOutcome, *, actor: str
) -> str:
    """Record what the call (or look-up) showed, as the row's owner, then redraw the card; the row's state."""
    at = utcnow()

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
                _audit(session, approval, actor, AuditAction.CARRIER_RESULT, ok=True, **result.detail)
                if result.order is not None:
                    _watch_order(session, approval, result.order, actor=actor)
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
                _audit(
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
            check_at=at + _check_gap(approval.checks),
            error=outcome.error,
            now=at,
            checked=outcome.checked,
        )
        if done and not outcome.checked:
            _audit(session, approval, actor, AuditAction.CARRIER_RESULT, ok=None, unknown=outcome.error)
        return done

    if not await ctx.db(work):
        log.error("approval %s: its claim was taken over while the carrier call ran; the taker settles it", approval.id)
    current = await _load(ctx, approval.id)
    if current is not None:
        await refresh_card(ctx, client, current)
        return current.state
    return approval.state


# --- the card, drawn from the row ---------------------------------------------------------------


def _result_text(approval: Approval) -> str | None:
    result = approval.result or {}
    if result.get("order"):
        return f"order {result['order']} placed"
    if result.get("cancel_id") or result.get("order_state"):
        return "Orange is cancelling the order"
    return None


def card_blocks(approval: Approval) -> list[Block]:
    """The approval's Slack card for its current state."""
    card = card_of(approval)
    if approval.state == ApprovalState.PENDING.value:
        return approval_request_blocks(card)
    outcome: Outcome
    text: str | None
    if approval.state == ApprovalState.REJECTED.value:
        outcome, text = "rejected", None
    elif approval.state == ApprovalState.SUBMITTED.value:
        outcome, text = "submitted", str((approval.result or {}).get("text") or _result_text(approval) or "")
    elif approval.state == ApprovalState.FAILED.value:
        outcome, text = "failed", f"{approval.error or 'The call failed'}. An approver can retry."
    elif _answer_lost(approval):
        outcome = "approved"
        text = (
            f"Orange's answer was lost ({approval.error}). Orange may have it: "
            "I am checking before saying more, and will not send it twice."
        )
    else:
        retrying = bool((approval.payload or {}).get("retry_of"))
        outcome, text = "approved", "Retrying: sending to Orange…" if retrying else "Sending to Orange…"
    return approval_decided_blocks(
        card,
        decided_by=approval.decided_by or "orange-bot",
        decided_at=approval.decided_at or approval.updated_at,
        outcome=outcome,
        result_text=text,
    )


async def refresh_card(ctx: BotContext, client: AsyncWebClient, approval: Approval) -> None:
    """Draw the card of `approval`'s message from the newest row it shows, again if that row moved meanwhile.

    A slow update that lands after a later one is overwritten by the later caller's re-check, so the card ends
    on the current state; an update Slack refused is left to `reconcile` (the row's `shown_version` lags).
    """
    channel, ts = approval.channel_id, approval.message_ts
    if not ts:
        return

    def latest(session: Session) -> Approval | None:
        return crud.latest_approval_for_message(session=session, channel_id=channel, message_ts=ts)

    for _ in range(3):
        current = await ctx.db(latest)
        if current is None:
            return
        blocks = card_blocks(current)
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            error = err.response.get("error") if isinstance(err, SlackApiError) else type(err).__name__
            log.warning("could not update the card of approval %s: %s (redrawn later)", current.id, error)
            return
        await ctx.db(lambda s, a=current: crud.mark_card_shown(session=s, approval_id=a.id, version=a.version))  # type: ignore[misc]
        again = await ctx.db(latest)
        if again is None or (again.id == current.id and again.version == current.version):
            return


# --- after a crash, a lost answer, a lost card update --------------------------------------------


async def reconcile(ctx: BotContext, client: AsyncWebClient, *, at: datetime | None = None) -> dict[str, str]:
    """Settle approvals whose check is due, by asking Orange, never by sending again; {approval id: new state}.

    Due: an ambiguous answer's look-up time has come, or the owner's lease ran out (it died mid-call). Each is
    claimed by compare-and-set first, so replicas look each up once. Found → submitted (and watched); nothing
    found within `SETTLE` of the call → looked for again later; after it → failed, with Retry. Then cards left
    behind their rows are redrawn.
    """
    at = at or utcnow()
    due = await ctx.db(lambda s: crud.list_due_approval_checks(session=s, now=at))
    settled: dict[str, str] = {}
    for approval in due:
        owner = _claim_owner()

        def take(session: Session, a: Approval = approval) -> Approval | None:
            if not crud.take_approval(session=session, approval_id=a.id, owner=owner, now=at, lease_until=at + LEASE):
                return None
            return crud.get_approval(session=session, approval_id=a.id)

        taken = await ctx.db(take)
        if taken is None:
            continue  # another replica has it
        async with _held(ctx, taken, owner):
            outcome = await _check(ctx, taken, at)
        state = await _conclude(ctx, client, taken, owner, outcome, actor="orange-bot")
        if state != ApprovalState.SUBMITTING.value:
            settled[str(taken.id)] = state
    stale = await ctx.db(lambda s: crud.list_stale_cards(session=s, updated_before=at - STALE_CARD))
    for approval in stale:
        await refresh_card(ctx, client, approval)
    return settled


async def _check(ctx: BotContext, approval: Approval, at: datetime) -> CallOutcome:
    try:
        found = await _look_up(ctx, approval)
    except APIError as err:
        log.warning("approval %s: Orange did not answer the look-up (%s); trying later", approval.id, err)
        return Unknown(approval.error or str(err))
    if found is not None:
        return Placed(found)
    called = approval.called_at or approval.updated_at
    if at - called < SETTLE:
        return Unknown(approval.error or "the call's answer was lost", checked=True)
    minutes = int((at - called).total_seconds() // 60)
    if approval.kind == ApprovalKind.CANCEL_ORDER.value:
        return Refused(f"Orange does not show the order as cancelling {minutes} minutes after the call: not sent")
    return Refused(
        f"Orange has no order with external id {approval.external_id} {minutes} minutes after the call: not placed"
    )
