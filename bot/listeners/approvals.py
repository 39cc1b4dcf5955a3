"""Approve / Reject / Retry buttons, "Order this quote", and the quote modal. Ack first, always."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import approvals
from bot.approvals import order_modal, quote_modal
from bot.blocks.approvals import ACTION_APPROVE, ACTION_REJECT, ACTION_RETRY
from bot.blocks.quotes import ACTION_QUOTE_ORDER
from bot.context import BotContext
from bot.i18n import _
from bot.listeners._reply import where_from_action
from bot.slack import Reply, send_dm

__all__ = ["register"]

log = logging.getLogger("bot.listeners.approvals")


def oops() -> str:
    return _("Something went wrong on our side; the request is unchanged. Try again in a moment.")


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


def register(app: AsyncApp, ctx: BotContext) -> None:
    def on_decision(kind: Literal["approve", "reject", "retry"]) -> Any:
        async def listener(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
            await ack()
            where = where_from_action(body, team_id=ctx.team_id)
            action = _action(body)
            value = str(action.get("value") or "")
            key = f"approval-click:{kind}:{value}:{where.user_id}:{action.get('action_ts')}"
            click = approvals.Click(action=kind, approval_id=value, user_id=where.user_id, delivery_key=key)
            try:
                text = await approvals.handle_click(ctx, client, click)
            except Exception:
                log.exception("the %s click on approval %s failed", kind, value)
                text = oops()
            if text:
                await respond(text=text, response_type="ephemeral", replace_original=False)

        return listener

    app.action(ACTION_APPROVE)(on_decision("approve"))
    app.action(ACTION_REJECT)(on_decision("reject"))
    app.action(ACTION_RETRY)(on_decision("retry"))

    @app.action(ACTION_QUOTE_ORDER)
    async def on_quote_order(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        where = where_from_action(body, team_id=ctx.team_id)
        value = str(_action(body).get("value") or "")
        trigger_id = str(body.get("trigger_id") or "") or None
        try:
            reply = await order_modal.open_order_modal(ctx, client, where, value, trigger_id)
        except Exception:
            log.exception("opening the order form for %s failed", value)
            reply = Reply(text=oops(), shareable=False)
        if reply is not None:
            await respond(text=reply.text, response_type="ephemeral", replace_original=False)

    @app.view(order_modal.CALLBACK_ID)
    async def on_order_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        form = order_modal.parse_form(dict(body.get("view") or {}), user_id=user_id)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        await ack()
        where = form.where if form.where.team_id else replace(form.where, team_id=ctx.team_id)
        try:
            text = (await approvals.request_quote_order(ctx, client, where, form.quote, buyer=form.buyer)).text
        except Exception:
            log.exception("asking to order %s failed", form.quote)
            text = oops()
        try:
            await client.chat_postEphemeral(channel=where.channel_id, user=where.user_id, text=text)
        except SlackApiError as err:
            log.info("could not answer the order form in %s: %s", where.channel_id, err.response.get("error"))
            await send_dm(client, where.user_id, text=text, about="the order form")

    async def on_site_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            options = await quote_modal.site_options(ctx, str(body.get("value") or ""))
        except Exception:
            log.exception("listing sites for the quote form failed")
            options = []
        await ack(options=options)

    app.options(quote_modal.ACTION_SITE_A)(on_site_options)
    app.options(quote_modal.ACTION_SITE_B)(on_site_options)

    @app.view(quote_modal.CALLBACK_ID)
    async def on_quote_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = dict(body.get("view") or {})
        form = quote_modal.parse_form(view)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        await ack(response_action="update", view=quote_modal.checking(form))
        user_id = str((body.get("user") or {}).get("id") or "")
        try:
            await quote_modal.run_quote(ctx, client, form, user_id=user_id, view_id=str(view.get("id") or ""))
        except Exception:
            log.exception("the quote form failed")
