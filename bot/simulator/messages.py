"""A message the bot posts, as Slack checks its content and stores it."""

from __future__ import annotations

from bot.simulator.ids import assign_ids
from bot.simulator.limits import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT,
    ActionIdScope,
    slack_error_body,
    validate_blocks,
)
from bot.simulator.params import JSONDict, SlackApiFailure, json_field
from bot.simulator.team import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID


def content(
    params: JSONDict, *, seed: str, require: bool, action_id_scope: ActionIdScope
) -> tuple[str | None, list[JSONDict] | None]:
    """The text and blocks (with their ids) of a post or an update, refused the way Slack refuses them."""
    text = params.get("text")
    if text is not None and not isinstance(text, str):
        text = str(text)
    blocks = json_field(params, "blocks", error="invalid_blocks_format")
    if blocks is not None:
        errors = validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS, action_id_scope=action_id_scope)
        if errors:
            raise SlackApiFailure("invalid_blocks", body=slack_error_body("invalid_blocks", errors))
        blocks = assign_ids(blocks, seed)
    attachments = json_field(params, "attachments", error="invalid_attachments")
    if require and not text and not blocks and not attachments:
        raise SlackApiFailure("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise SlackApiFailure("msg_too_long")
    return text, blocks


def new_message(*, ts: str, text: str | None, blocks: list[JSONDict] | None, params: JSONDict) -> JSONDict:
    msg: JSONDict = {
        "type": "message",
        "ts": ts,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "text": text or "",
        "blocks": blocks or [],
        "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "orange-bot", "team_id": TEAM_ID},
    }
    attachments = json_field(params, "attachments", error="invalid_attachments")
    if attachments:
        msg["attachments"] = attachments
    metadata = json_field(params, "metadata", error="invalid_metadata")
    if metadata:
        msg["metadata"] = metadata
    return msg


def without_channel(msg: JSONDict) -> JSONDict:
    return {k: v for k, v in msg.items() if k != "channel"}
