""" "Order this quote": a modal asking for the buyer's references before the approval request is posted.

The button opens it at once with its trigger_id (valid 3 s), pre-filled from `ORANGE_CARRIER_ORDER_DEFAULTS`
(`externalId`, `relatedBuyerPON`, a `note`); on submit the request is posted as before, the references on its card
and, once approved, in the carrier order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from bot.i18n import _, number
from bot.slack import Reply, Where, open_form
from integrations.requests import BuyerReferences

from .carrier import order_defaults

__all__ = [
    "ACTION_NOTE",
    "ACTION_PON",
    "ACTION_REFERENCE",
    "CALLBACK_ID",
    "MAX_NOTE",
    "MAX_PON",
    "MAX_REFERENCE",
    "OrderForm",
    "form_view",
    "open_order_modal",
    "parse_form",
    "prefill",
]

log = logging.getLogger("bot.approvals.order")

CALLBACK_ID = "quote_order_refs"
ACTION_REFERENCE = "order_external_id"
ACTION_PON = "order_buyer_pon"
ACTION_NOTE = "order_note"
MAX_REFERENCE = 64
MAX_PON = 64
MAX_NOTE = 500


@dataclass(frozen=True)
class OrderForm:
    """The submitted modal: which quote, where it was asked, and the buyer's references."""

    quote: str
    where: Where
    buyer: BuyerReferences


def prefill(path: Path | None) -> BuyerReferences:
    """The buyer's usual references from the carrier order defaults (a missing `externalId` is blank)."""
    defaults = order_defaults(path)
    note = defaults.get("note")
    if isinstance(note, list):
        texts = [str(n.get("text")) for n in note if isinstance(n, Mapping) and n.get("text")]
        note = texts[0] if texts else None
    pon = defaults.get("relatedBuyerPON")
    return BuyerReferences(
        external_id=str(defaults.get("externalId") or ""),
        related_buyer_pon=str(pon) if pon else None,
        note=str(note) if note else None,
    )


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


def _input(
    *, action: str, label: str, initial: str | None, limit: int, optional: bool = False, multiline: bool = False
) -> InputBlock:
    element = PlainTextInputElement(
        action_id=action, initial_value=initial or None, max_length=limit, multiline=multiline or None
    )
    return InputBlock(block_id=action, label=_plain(label), element=element, optional=optional)


def form_view(*, quote: str, where: Where, defaults: BuyerReferences) -> dict[str, Any]:
    """The modal: your order reference (required), your purchase order number, a note."""
    blocks = [
        _input(
            action=ACTION_REFERENCE, label=_("Your order reference"), initial=defaults.external_id, limit=MAX_REFERENCE
        ),
        _input(
            action=ACTION_PON,
            label=_("Purchase order number"),
            initial=defaults.related_buyer_pon,
            limit=MAX_PON,
            optional=True,
        ),
        _input(
            action=ACTION_NOTE,
            label=_("Note for Orange"),
            initial=defaults.note,
            limit=MAX_NOTE,
            optional=True,
            multiline=True,
        ),
    ]
    meta = {"quote": quote, "channel": where.channel_id, "team": where.team_id}
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=json.dumps(meta),
        title=_plain(_("Order this quote")),
        submit=_plain(_("Ask for approval")),
        close=_plain(_("Cancel")),
        blocks=blocks,
    )
    return view.to_dict()


async def open_order_modal(
    ctx: BotContext, client: AsyncWebClient, where: Where, quote: str, trigger_id: str | None
) -> Reply | None:
    """Open the modal; None when it opened, else what to tell the requester."""
    if not trigger_id:
        return Reply(text=_("Slack sent no trigger for a form; click the button again."), shareable=False)
    try:
        defaults = prefill(ctx.settings.orange_carrier_order_defaults)
    except (OSError, ValueError) as err:
        log.error("the carrier order defaults cannot be read: %s", err)
        defaults = BuyerReferences(external_id="")
    view = form_view(quote=quote, where=where, defaults=defaults)
    return await open_form(
        client, trigger_id, view, expired=_("The form could not open in time; click the button again.")
    )


def _text(values: Mapping[str, Any], action: str) -> str:
    state = (values.get(action) or {}).get(action) or {}
    return str(state.get("value") or "").strip()


def parse_form(view: Mapping[str, Any], *, user_id: str) -> OrderForm | dict[str, str]:
    """The submitted modal, or `{block_id: error}` for `response_action: errors`."""
    values = (view.get("state") or {}).get("values") or {}
    reference, pon, note = _text(values, ACTION_REFERENCE), _text(values, ACTION_PON), _text(values, ACTION_NOTE)
    errors: dict[str, str] = {}
    if not reference:
        errors[ACTION_REFERENCE] = _("Give your order reference.")
    for action, value, limit in ((ACTION_REFERENCE, reference, MAX_REFERENCE), (ACTION_PON, pon, MAX_PON)):
        if len(value) > limit:
            errors[action] = _("At most {n} characters.", n=number(limit))
    if len(note) > MAX_NOTE:
        errors[ACTION_NOTE] = _("At most {n} characters.", n=number(MAX_NOTE))
    if errors:
        return errors
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        meta = {}
    where = Where(team_id=str(meta.get("team") or ""), channel_id=str(meta.get("channel") or ""), user_id=user_id)
    buyer = BuyerReferences(external_id=reference, related_buyer_pon=pon or None, note=note or None)
    return OrderForm(quote=str(meta.get("quote") or ""), where=where, buyer=buyer)
