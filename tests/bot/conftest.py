"""Fixtures for the bot tests; the harness itself lives in `bot_harness` (import names from there, not here)."""

from __future__ import annotations

from bot_harness import db_url, harness, sandbox_clock

__all__ = ["db_url", "harness", "sandbox_clock"]
