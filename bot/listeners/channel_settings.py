"""The settings form's submission (`/orange settings`): checked, then saved, then the form says what changed."""

from __future__ import annotations

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

log = logging.getLogger("bot.channel_settings")


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.view(channel_settings.CALLBACK_ID)
    async def on_settings_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = dict(body.get("view") or {})
        form = channel_settings.parse_modal(view)
        if isinstance(form, dict):
            await ack(response_action="errors", errors=form)
            return
        channel_id, values = form
        # Saved after the ack (a database write may wait its turn): the form says so, then what changed.
        await ack(response_action="update", view=channel_settings.done_view(_("Saving…")).to_dict())
        where = Where(team_id=ctx.team_id, channel_id=channel_id, user_id=str((body.get("user") or {}).get("id")))
        try:
            changes = await channel_settings.apply_settings(ctx, client, where, values)
            text = channel_settings.changed_text(changes)
        except BadSetting as err:
            text = str(err)
        except Exception:
            log.exception("saving the channel settings failed")
            text = _("The settings could not be saved; nothing was changed. Try again in a moment.")
        try:
            await client.views_update(
                view_id=str(view.get("id") or ""), view=channel_settings.done_view(text).to_dict()
            )
        except SlackApiError as err:
            log.warning("views.update of the settings form failed: %s", err.response.get("error"))
