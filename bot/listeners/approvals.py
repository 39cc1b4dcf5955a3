"""Approve / Reject / Retry buttons and the quote modal (issue 6)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import BotContext

__all__ = ["register"]


def register(app: AsyncApp, ctx: BotContext) -> None:
    return None
