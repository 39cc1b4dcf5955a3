"""Turning a `Reply` into what `respond` / `chat.postMessage` take."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import share_button
from bot.slack import Reply, Where

__all__ = ["Where", "payload", "where_from_action", "where_from_command"]


def payload(reply: Reply, *, command_text: str | None, share: bool = True) -> dict[str, Any]:
    """An ephemeral answer; with a "Share in channel" button when the reply can be shared."""
    blocks = list(reply.blocks)
    if share and reply.shareable and command_text is not None and blocks:
        blocks.append(share_button(command_text).to_dict())
    out: dict[str, Any] = {"text": reply.text, "response_type": "ephemeral"}
    if blocks:
        out["blocks"] = blocks
    return out


def where_from_command(command: dict[str, Any], *, team_id: str) -> Where:
    """Who asked, where; `team_id` is the bot's own team (rows are keyed by it, whatever team the payload names)."""
    return Where(
        team_id=team_id,
        channel_id=str(command.get("channel_id") or ""),
        user_id=str(command.get("user_id") or ""),
    )


def where_from_action(body: dict[str, Any], *, team_id: str) -> Where:
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return Where(
        team_id=team_id,
        channel_id=str(channel.get("id") or container.get("channel_id") or ""),
        user_id=str(user.get("id") or ""),
    )
