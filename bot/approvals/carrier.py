"""The one carrier call of a claimed approval, what its answer means, and recording it as the row's owner.

An answer that is ambiguous (a timeout, a dropped connection, 408/429/5xx, an unreadable body) may hide an order
Orange has: the row stays submitting, ownerless, to be looked up (`reconcile`), never sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.context import BotContext
from bot.history.keep import keep_first_read
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
from integrations.views import OrderView
from storage import crud
from storage.columns import utcnow
from storage.enums import ApprovalKind, ApprovalState, AuditAction
from storage.models import Approval, Watch

from . import policy
from .cards import THREAD_TS, load, refresh_card
from .kinds import Result, kind_of
from .kinds.quote_order import order_defaults as order_defaults

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
    return kind_of(approval).operation


def held(ctx: BotContext, approval: Approval, owner: str) -> Any:
    """The heartbeat that keeps `owner`'s lease on `approval` while its carrier call runs."""

    async def renew() -> bool:
        until = utcnow() + policy.LEASE
        return await ctx.db(
            lambda s: crud.renew_approval_lease(session=s, approval_id=approval.id, owner=owner, lease_until=until)
        )

    return heartbeat(renew, every=policy.LEASE.total_seconds() / 3, name=f"approval {approval.id}")


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
    return await kind_of(approval).send(ctx, approval)


async def look_up(ctx: BotContext, approval: Approval) -> Result | None:
    """What Orange has for this approval: the result, or None when Orange shows nothing (yet)."""
    return await kind_of(approval).look_up(ctx, approval)


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


def watch_order(session: Session, approval: Approval, view: OrderView, *, actor: str, now: datetime) -> Watch:
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
    keep_first_read(session, team_id=approval.team_id, view=view, now=now)
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
                    watch = watch_order(session, settled, result.order, actor=actor, now=told)
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
