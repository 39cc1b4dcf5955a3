"""`quote new`: a modal (two sites, bandwidth, class of service, term) → POQ → quote.

The modal is opened right after the command's ack, with its trigger_id (valid 3 s). On submit the modal turns
into "checking…" at once (the ack), then shows the POQ; when every item is green the quote is asked for and
its card (with "Order this quote") is posted to the requester in the channel the command came from.

Before the form opens, the channel is checked (`conversations.info`): where the bot is not a member, the requester
is told to invite it, as `watch` does, since the results could not be shown there. When posting there fails anyway
(the bot removed, the channel archived meanwhile), the results go to the requester by DM.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.format import context, fallback_text, section
from bot.blocks.quote_form import (
    ACTION_BANDWIDTH,
    ACTION_COS,
    ACTION_SITE_A,
    ACTION_SITE_B,
    ACTION_TERM,
    BLOCK_BANDWIDTH,
    BLOCK_COS,
    BLOCK_SITE_A,
    BLOCK_SITE_B,
    BLOCK_TERM,
    CALLBACK_ID,
    CLASSES_OF_SERVICE,
    MAX_BANDWIDTH,
    TERMS_MONTHS,
    checking_view,
    class_of_service_text,
    form_view,
    result_view,
    site_option,
)
from bot.blocks.quotes import poq_blocks, quote_blocks
from bot.context import BotContext
from bot.i18n import _, n_, number
from bot.queries import SITE_SEARCH_LIMIT, site_matches
from bot.slack import CHANNEL_ERRORS, Reply, Where, cannot_post_text, open_form, send_dm
from integrations import APIError
from integrations.requests import EvplRequest, poq_request, quote_request
from integrations.views import poq_view, quote_view_from_carrier, site_view_from_carrier

from . import policy

__all__ = [
    "ACTION_SITE_A",
    "ACTION_SITE_B",
    "CALLBACK_ID",
    "QuoteForm",
    "open_quote_modal",
    "parse_form",
    "run_quote",
    "checking",
    "site_options",
]

log = logging.getLogger("bot.approvals.quote")

MAX_OPTIONS = 100


async def open_quote_modal(ctx: BotContext, client: AsyncWebClient, where: Where, trigger_id: str | None) -> Reply:
    if not trigger_id:
        return Reply(text=_("Slack sent no trigger for a form; run the command again."), shareable=False)
    if "carrier" not in ctx.enabled:
        return Reply(text=_("Quotes need the carrier backend, which is not enabled."), shareable=False)
    problem = await _cannot_post_in(client, where.channel_id)
    if problem is not None:
        return Reply(
            text=cannot_post_text(problem, command=ctx.settings.slack_command, again="quote new"), shareable=False
        )
    view = form_view(channel_id=where.channel_id, team_id=where.team_id)
    refused = await open_form(
        client, trigger_id, view, expired=_("The form could not open in time; run the command again.")
    )
    if refused is not None:
        return refused
    return Reply(text=_("Fill in the quote form: two sites, bandwidth, class of service and term."), shareable=False)


async def _cannot_post_in(client: AsyncWebClient, channel_id: str) -> str | None:
    """The channel error posting the results in `channel_id` would meet (one of `CHANNEL_ERRORS`), or None when it
    should go through or Slack did not say (the DM fallback covers that)."""
    if not channel_id or channel_id.startswith("D"):
        return None  # a DM: the app's own is fine, another's is not the bot's to join, its results come by DM
    try:
        info = await client.conversations_info(channel=channel_id)
    except SlackApiError as err:
        # A private channel the bot is not in is channel_not_found to it.
        error = str(err.response.get("error", ""))
        if error not in CHANNEL_ERRORS:
            log.info("conversations.info on %s failed: %s", channel_id, error)
            return None
        return error
    channel = info.get("channel") or {}
    if channel.get("is_archived"):
        return "is_archived"
    if channel.get("is_member") is False and not channel.get("is_im") and not channel.get("is_mpim"):
        return "not_in_channel"
    return None


def _by_dm(blocks: list[Block], *, channel_id: str, error: str, first: bool, command: str) -> list[Block]:
    """The results as a DM: without "Order this quote" (a DM is no place for an approval), and, the first time,
    why they come here."""
    kept = [b for b in blocks if not isinstance(b, ActionsBlock)]
    if not first:
        return kept
    channel = f"<#{channel_id}>"
    if error == "is_archived":
        note = _(
            ":information_source: {channel} is archived, so the results of your quote form come here. To order a "
            "quote, invite me to a channel (`/invite @orange-bot`) and show it there with `{command} quote <id>`.",
            channel=channel,
            command=command,
        )
    else:
        note = _(
            ":information_source: {channel} is not a channel I'm in, so the results of your quote form come here. To "
            "order a quote, invite me to a channel (`/invite @orange-bot`) and show it there with "
            "`{command} quote <id>`.",
            channel=channel,
            command=command,
        )
    return [context(note), *kept][:50]


async def site_options(ctx: BotContext, text: str) -> list[dict[str, Any]]:
    """External-select options: the carrier's sites matching what was typed (id, name, city, country…)."""
    options: list[dict[str, Any]] = []
    async for site in ctx.orange.carrier.sites.list(max_items=SITE_SEARCH_LIMIT):
        view = site_view_from_carrier(site)
        if view.id and site_matches(view, text):
            options.append(site_option(view))
            if len(options) >= MAX_OPTIONS:
                break
    return options


@dataclass(frozen=True)
class QuoteForm:
    site_a: str
    site_b: str
    bandwidth: int
    class_of_service: str
    term_months: int
    channel_id: str


def _value(values: dict[str, Any], block: str, action: str) -> str | None:
    state = (values.get(block) or {}).get(action) or {}
    if "selected_option" in state:
        option = state.get("selected_option") or {}
        return str(option.get("value")) if option.get("value") is not None else None
    value = state.get("value")
    return str(value).strip() if value is not None else None


def parse_form(view: dict[str, Any]) -> QuoteForm | dict[str, str]:
    """The submitted form, or `{block_id: error}` for `response_action: errors`."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    site_a = _value(values, BLOCK_SITE_A, ACTION_SITE_A)
    site_b = _value(values, BLOCK_SITE_B, ACTION_SITE_B)
    if not site_a:
        errors[BLOCK_SITE_A] = _("Pick a site.")
    if not site_b:
        errors[BLOCK_SITE_B] = _("Pick a site.")
    elif site_a == site_b:
        errors[BLOCK_SITE_B] = _("Pick a site other than site A.")
    raw = _value(values, BLOCK_BANDWIDTH, ACTION_BANDWIDTH) or ""
    bandwidth = 0
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_BANDWIDTH:
        errors[BLOCK_BANDWIDTH] = _(
            "Give the bandwidth in Mbps: a whole number from 1 to {max}.", max=number(MAX_BANDWIDTH)
        )
    else:
        bandwidth = int(raw)
    cos = _value(values, BLOCK_COS, ACTION_COS) or CLASSES_OF_SERVICE[0]
    if cos not in CLASSES_OF_SERVICE:
        errors[BLOCK_COS] = _("Pick a class of service.")
    term = _value(values, BLOCK_TERM, ACTION_TERM) or str(TERMS_MONTHS[0])
    if not term.isdigit() or int(term) not in TERMS_MONTHS:
        errors[BLOCK_TERM] = _("Pick a term.")
    if errors:
        return errors
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        meta = {}
    return QuoteForm(
        site_a=str(site_a),
        site_b=str(site_b),
        bandwidth=bandwidth,
        class_of_service=cos,
        term_months=int(term),
        channel_id=str(meta.get("channel") or ""),
    )


def evpl_request(form: QuoteForm) -> EvplRequest:
    """What the form asks Orange for, as plain values."""
    return EvplRequest(
        site_a=form.site_a,
        site_b=form.site_b,
        bandwidth=form.bandwidth,
        class_of_service=form.class_of_service,
        term_months=form.term_months,
    )


def checking(form: QuoteForm) -> dict[str, Any]:
    """What the modal shows once submitted, while Orange is asked."""
    asked = {
        "bandwidth": number(form.bandwidth),
        "cos": class_of_service_text(form.class_of_service).lower(),
        "site_a": f"`{form.site_a}`",
        "site_b": f"`{form.site_b}`",
        "term": n_("{n} month", "{n} months", form.term_months),
    }
    if form.channel_id:
        text = _(
            ":hourglass_flowing_sand: Asking Orange: {bandwidth} Mbps {cos} between sites {site_a} and {site_b}, "
            "{term}. The serviceability check and the quote will be posted in the channel (only you see them); you "
            "can close this.",
            **asked,
        )
    else:
        text = _(
            ":hourglass_flowing_sand: Asking Orange: {bandwidth} Mbps {cos} between sites {site_a} and {site_b}, "
            "{term}. The serviceability check and the quote will be posted here; you can close this.",
            **asked,
        )
    return checking_view(text)


async def run_quote(ctx: BotContext, client: AsyncWebClient, form: QuoteForm, *, user_id: str, view_id: str) -> None:
    """POQ (each item's confidence and lead time), then, when all green, the quote card with "Order this quote".

    Results go to the requester in the channel the command came from (the modal only says "asking"): a card's
    buttons need a channel, and the modal's own ack races any `views.update` sent right after it. When the channel
    refuses them (the bot removed or the channel archived since the form opened), they go to the requester by DM.
    """
    moment = policy.now()
    refused: str | None = None  # the channel error met posting in the channel: from then on, results go by DM
    told = False

    async def say(blocks: list[Block], text: str) -> None:
        nonlocal refused, told
        if refused is None:
            try:
                if form.channel_id:
                    shown = [b.to_dict() for b in blocks[:50]]
                    await client.chat_postEphemeral(channel=form.channel_id, user=user_id, text=text, blocks=shown)
                else:
                    await client.views_update(view_id=view_id, view=result_view(None, blocks[:100]))
                return
            except SlackApiError as err:
                error = str(err.response.get("error", ""))
                if not (form.channel_id and error in CHANNEL_ERRORS):
                    log.info("could not show the quote result: %s", error)
                    return
                log.info("the quote result cannot go to %s (%s): sent by DM", form.channel_id, error)
                refused = error
        command = ctx.settings.slack_command
        dm_blocks = _by_dm(blocks, channel_id=form.channel_id, error=refused, first=not told, command=command)
        told = await send_dm(client, user_id, text=text, blocks=dm_blocks, about="the quote result") or told

    try:
        poq = poq_view(await ctx.orange.carrier.qualifications.create(poq_request(evpl_request(form))))
    except APIError as err:
        await say(
            [section(_(":warning: Orange could not check serviceability: {error}", error=err))],
            _("Serviceability check failed"),
        )
        return
    checked: list[Block] = list(poq_blocks(poq))
    if not poq.all_green:
        stop = _(":no_entry: Not every item is green, so no quote was asked for. Pick other sites or ask Orange.")
        await say([*checked, section(stop)], _("Not serviceable: no quote asked for"))
        return
    await say(checked, _("Serviceability: every item is green"))
    try:
        quote = quote_view_from_carrier(await ctx.orange.carrier.quotes.create(quote_request(evpl_request(form))))
    except APIError as err:
        await say([section(_(":warning: Orange refused the quote: {error}", error=err))], _("Quote refused"))
        return
    card = quote_blocks(quote, now=moment)
    await say(list(card), fallback_text(card))
