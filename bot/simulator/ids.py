"""The ids Slack makes up for what the app leaves out: block_id, action_id, group DM ids."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from bot.simulator.params import JSONDict


def short_id(seed: str, length: int = 5) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def assign_ids(blocks: list[JSONDict], seed: str) -> list[JSONDict]:
    """Give blocks and interactive elements the ids Slack adds when the app leaves them out."""
    blocks = copy.deepcopy(blocks)
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", short_id(f"{seed}/{i}"))
        elements: list[Any] = list(block.get("elements", []) or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for j, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") not in (None, "image", "plain_text", "mrkdwn"):
                element.setdefault("action_id", short_id(f"{seed}/{i}/{j}", 4))
    return blocks
