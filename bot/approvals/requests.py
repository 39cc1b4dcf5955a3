"""Asking for an approval: a pending row, and its card with Approve / Reject in the channel."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.approvals import (
    approval_request_blocks,
)
from bot.blocks.format import escape, fallback_text, mention, order_name, state_text, when
from bot.blocks.quotes import quote_item_text, quote_term_total
from bot.commands import parse_reference
from bot.context import BotContext
from bot.i18n import _, day, n_, speaking
from bot.slack import CHANNEL_ERRORS, Reply, Where, cannot_post_text, permalink, render_error
from bot.usergroups import GroupsUnavailable
from integrations import (
    APIError,
    Backend,
)
from integrations.requests import BuyerReferences, order_items_from_quote
from integrations.views import QuoteView, quote_view_from_carrier
from storage import crud
from storage.enums import ApprovalKind, ApprovalState, AuditAction
from storage.models import Approval

from . import policy
from .cards import card_of, dump_amount, load_amount, term_payload
from .kinds import kind_of
from .kinds.cancel_order import CancelOrderPayload
from .kinds.quote_order import Buyer, QuoteOrderPayload
from .order_modal import prefill

log = logging.getLogger("bot.approvals")


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
    """Store a pending approval, post it in the channel with Approve / Reject, answer the requester with a link.

    Who may decide (`policy.deciders`) and how many of them (`policy.approvers_needed` on the payload's
    `first_year`) are written into the payload: the card names them.
    """
    command = ctx.settings.slack_command
    try:
        who = await policy.deciders(ctx, client, where.team_id, where.channel_id)
    except GroupsUnavailable as err:
        group = ctx.settings.approver_group or ""
        log.warning("the approver group %s could not be resolved (%s): the card names it as given", group, err.error)
        who = policy.Deciders(group=group.strip(), users=tuple(ctx.settings.approver_user_ids))
    first_year = load_amount(payload.get("first_year"))
    needed = policy.approvers_needed(ctx.settings, first_year)
    payload = {
        **payload,
        "approvers": who.dump(),
        "needed": needed,
        "limit": dump_amount(ctx.settings.two_people_above),
    }

    def open_(session: Session) -> tuple[Approval, bool]:
        return crud.open_approval(
            session=session,
            kind=kind.value,
            team_id=where.team_id,
            channel_id=where.channel_id,
            requester_id=where.user_id,
            backend=backend,
            target_id=target_id,
            payload=payload,
        )

    approval, created = await ctx.db(open_)
    what = payload.get("reference") or target_id
    named = order_name(payload.get("label"), str(what))
    if not created:
        link = await permalink(client, approval.channel_id, approval.message_ts)
        return Reply(text=_already_asked(kind, named, approval, link), shareable=False)
    card = card_of(approval)
    with speaking(await ctx.channel_language(where.team_id, where.channel_id)):  # a channel post
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
            again = kind_of(approval).again
            return Reply(text=cannot_post_text(error, command=command, again=again), shareable=False)
        return Reply(
            text=_("Slack refused the approval request ({error}); try again in a moment.", error=error),
            shareable=False,
        )
    ts = str(response["ts"])

    def posted(session: Session) -> None:
        crud.set_message_ts(session=session, approval_id=approval.id, message_ts=ts)
        crud.record_audit(
            session=session,
            actor=where.user_id,
            action=AuditAction.APPROVAL_REQUESTED,
            approval_id=approval.id,
            backend=backend,
            subject=str(what),
            detail={"kind": kind.value, "channel": where.channel_id, "reason": payload.get("reason")},
        )

    await ctx.db(posted)
    link = await permalink(client, where.channel_id, ts)
    words = _("approval request")
    request = f"<{link}|{words}>" if link else words
    if kind == ApprovalKind.QUOTE_ORDER:
        text = _(
            "Asked for approval to order {quote}: an approver decides on the {request} in this channel.",
            quote=named,
            request=request,
        )
    else:
        text = _(
            "Asked for approval to cancel {order}: an approver decides on the {request} in this channel.",
            order=named,
            request=request,
        )
    return Reply(text=text, shareable=False)


def _state_word(state: str) -> str:
    """An approval's state in the reader's words."""
    words = {
        ApprovalState.PENDING.value: _("pending"),
        ApprovalState.SUBMITTING.value: _("being sent to Orange"),
        ApprovalState.SUBMITTED.value: _("submitted"),
        ApprovalState.FAILED.value: _("failed"),
        ApprovalState.REJECTED.value: _("rejected"),
    }
    return words.get(state, state)


def _already_asked(kind: ApprovalKind, named: str, approval: Approval, link: str | None) -> str:
    """`Ordering `carrier:6` was already asked for by <@U1> and is pending (see the request).`"""
    params = {"requester": mention(approval.requester_id), "state": _state_word(approval.state)}
    if kind == ApprovalKind.QUOTE_ORDER:
        if link:
            return _(
                "Ordering {quote} was already asked for by {requester} and is {state} (<{link}|see the request>).",
                quote=named,
                link=link,
                **params,
            )
        return _("Ordering {quote} was already asked for by {requester} and is {state}.", quote=named, **params)
    if link:
        return _(
            "Cancelling {order} was already asked for by {requester} and is {state} (<{link}|see the request>).",
            order=named,
            link=link,
            **params,
        )
    return _("Cancelling {order} was already asked for by {requester} and is {state}.", order=named, **params)


async def request_cancel_order(
    ctx: BotContext, client: AsyncWebClient, where: Where, order_id: str, reason: str | None
) -> Reply:
    command = ctx.settings.slack_command
    try:
        view = await ctx.orange.orders("wholesale").get(order_id)
    except APIError as err:
        return render_error(err, verb="cancel", command=command, enabled=ctx.enabled)
    state, ref = state_text(view.state, view.state_raw), f"`{view.reference}`"
    if view.is_final:
        return Reply(
            text=_("{order} can't be cancelled: it is {state}, a final state.", order=ref, state=state),
            shareable=False,
        )
    if view.state in policy.CANCELLING:
        return Reply(
            text=_("{order} is already being cancelled ({state}).", order=ref, state=state),
            shareable=False,
        )
    # The summary is stored with the request and drawn on its card, a channel post: in the channel's language.
    with speaking(await ctx.channel_language(where.team_id, where.channel_id)):
        summary = [_("Order {order} · {state}", order=view.reference, state=state_text(view.state, view.state_raw))]
        if view.description:
            summary.append(view.description)
        if view.specification:
            summary.append(_("Specification: {specification}", specification=view.specification))
        if view.external_ids:
            summary.append(_("External ids: {ids}", ids=", ".join(view.external_ids)))
        summary.append(n_("{n} item", "{n} items", len(view.items)))
    recurring = [p for p in view.prices if p.kind == "recurring"]
    # What cancelling gives up over a year: the order's recurring price (None when the order carries none:
    # `policy.approvers_needed` then asks for two people whenever a limit is set).
    payload = CancelOrderPayload(
        reference=view.reference,
        first_year=dump_amount(policy.first_year((), recurring) if recurring else None),
        label=await ctx.sites.label(ctx.orange.carrier.sites, view),
        summary=summary,
        reason=reason,
        order_id=view.id,
    ).model_dump(mode="json", exclude_none=True)
    return await _post_request(
        ctx,
        client,
        where,
        kind=ApprovalKind.CANCEL_ORDER,
        backend="wholesale",
        target_id=view.id,
        payload=payload,
    )


async def request_quote_order(
    ctx: BotContext, client: AsyncWebClient, where: Where, value: str, *, buyer: BuyerReferences | None = None
) -> Reply:
    """Ask to order a quote, with the buyer's references (from the modal; the configured defaults without one)."""
    if buyer is None:
        buyer = prefill(ctx.settings.orange_carrier_order_defaults)
    command = ctx.settings.slack_command
    try:
        reference = parse_reference(value, default_backend="carrier", enabled=ctx.enabled)
    except ValueError:
        return Reply(text=_("That button is out of date; show the quote again."), shareable=False)
    if reference.backend != "carrier":
        return Reply(text=_("Only carrier quotes can be ordered."), shareable=False)
    try:
        quote = await ctx.orange.carrier.quotes.get(reference.id)
    except APIError as err:
        return render_error(err, verb="quote", command=command, enabled=ctx.enabled)
    view: QuoteView = quote_view_from_carrier(quote)
    moment = policy.now()
    if not view.is_orderable(moment):
        params = {
            "quote": f"`{view.reference}`",
            "state": state_text(view.state, view.state_raw),
            "new": f"`{command} quote new`",
        }
        if view.valid_until:
            text = _(
                "{quote} can't be ordered: it is {state}, valid until {until}. Ask for a new quote with {new}.",
                until=when(view.valid_until),
                **params,
            )
        else:
            text = _("{quote} can't be ordered: it is {state}. Ask for a new quote with {new}.", **params)
        return Reply(text=text, shareable=False)
    with speaking(await ctx.channel_language(where.team_id, where.channel_id)):  # drawn on the card: a channel post
        if view.description:
            summary = [_("Quote {quote} · {description}", quote=view.reference, description=view.description)]
        else:
            summary = [_("Quote {quote}", quote=view.reference)]
        if view.valid_until:
            summary.append(_("Valid until {day}", day=day(view.valid_until)))
        summary.extend(quote_item_text(item, prices=False) for item in view.items)  # the card's price lines say them
        if buyer.external_id:
            summary.append(_("Order reference: {reference}", reference=escape(buyer.external_id)))
        if buyer.related_buyer_pon:
            summary.append(_("Purchase order number: {pon}", pon=escape(buyer.related_buyer_pon)))
        if buyer.note:
            summary.append(_("Note for Orange: {note}", note=escape(buyer.note)))
    one_off = [p for p in view.prices if p.kind == "one_off"]
    recurring = [p for p in view.prices if p.kind == "recurring"]
    payload = QuoteOrderPayload.model_validate(
        {
            "reference": view.reference,
            "summary": summary,
            "one_off": one_off,
            "recurring": recurring,
            "first_year": dump_amount(policy.first_year(one_off, recurring)),
            "quote_id": view.id,
            **term_payload(quote_term_total(view)),
            "order_items": order_items_from_quote(quote),
            "buyer": Buyer(
                external_id=buyer.external_id or None, related_buyer_pon=buyer.related_buyer_pon, note=buyer.note
            ),
        }
    ).model_dump(mode="json", exclude_none=True)
    return await _post_request(
        ctx, client, where, kind=ApprovalKind.QUOTE_ORDER, backend="carrier", target_id=view.id, payload=payload
    )
