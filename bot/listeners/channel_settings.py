"""The settings form's submission (`/orange settings`): checked, then saved, then the form says what changed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import channel_settings
from bot.commands.settings import BadSetting
from bot.context import BotContext
from bot.i18n import _
from bot.slack import Where

__all__ = ["register"]

SAVE_IN_ACK = 2.0
"""Seconds a submission waits for its save before acking "Saving…" (Slack wants the ack within 3 s)."""

log = logging.getLogger("bot.channel_settings")


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def _save(where: Where, values: dict[str, str], client: AsyncWebClient) -> str:
        """Save the form's values; what changed, or why nothing did, in words."""
        try:
            changes = await channel_settings.apply_settings(ctx, client, where, values)
            return channel_settings.changed_text(changes)
        except BadSetting as err:
            return str(err)
        except Exception:
            log.exception("saving the channel settings failed")
            return _("The settings could not be saved; nothing was changed. Try again in a moment.")

    @app.view(channel_settings.CALLBACK_ID)
    async def on_settings_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = dict(body.get("view") or {})
        form = channel_settings.parse_modal(view)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        channel_id, values = form
        where = Where(team_id=ctx.team_id, channel_id=channel_id, user_id=str((body.get("user") or {}).get("id")))
        saving = asyncio.ensure_future(_save(where, values, client))
        # The answer goes in the ack when the save takes less than SAVE_IN_ACK: a views.update sent after an ack's
        # own update may reach Slack first and be overwritten by it. A slower save (a database write waiting its
        # turn) acks "Saving…" and updates the form when done.
        done, _pending = await asyncio.wait({saving}, timeout=SAVE_IN_ACK)
        if done:
            await ack(response_action="update", view=channel_settings.done_view(saving.result()).to_dict())
            return
        await ack(response_action="update", view=channel_settings.done_view(_("Saving…")).to_dict())
        text = await saving
        try:
            await client.views_update(
                view_id=str(view.get("id") or ""), view=channel_settings.done_view(text).to_dict()
            )
        except SlackApiError as err:
            log.warning("views.update of the settings form failed: %s", err.response.get("error"))
