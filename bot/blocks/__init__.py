"""Block Kit for every message the bot sends: pure functions from views to `slack_sdk` blocks.

    from bot.blocks import order_blocks, share_button, fallback_text
    blocks = [*order_blocks(view, tz=user_tz), share_button("order carrier:11")]
    await respond(text=fallback_text(blocks), blocks=blocks)

Message builders stay within 48 blocks (room for a share button); texts are escaped and truncated with "…",
so every result passes `Block.to_dict()` and Slack's limits.
"""

from __future__ import annotations

from .approvals import ApprovalCard, approval_decided_blocks, approval_request_blocks
from .catalog import offer_blocks
from .common import (
    PageInfo,
    carrier_error_blocks,
    carrier_error_text,
    error_blocks,
    help_blocks,
    paging_actions,
    share_button,
)
from .format import escape, fallback_text, money, state_text, truncate, when
from .home import ApprovalRow, home_blocks, home_view
from .orders import order_blocks, orders_list_blocks
from .products import product_blocks, products_list_blocks
from .quotes import poq_blocks, quote_blocks, quotes_list_blocks
from .sites import address_blocks, site_blocks, sites_list_blocks
from .watches import WatchRow, watch_exists_blocks, watch_root_blocks, watches_list_blocks

__all__ = [
    "ApprovalCard",
    "ApprovalRow",
    "PageInfo",
    "WatchRow",
    "address_blocks",
    "approval_decided_blocks",
    "approval_request_blocks",
    "carrier_error_blocks",
    "carrier_error_text",
    "error_blocks",
    "escape",
    "fallback_text",
    "help_blocks",
    "home_blocks",
    "home_view",
    "money",
    "offer_blocks",
    "order_blocks",
    "orders_list_blocks",
    "paging_actions",
    "poq_blocks",
    "product_blocks",
    "products_list_blocks",
    "quote_blocks",
    "quotes_list_blocks",
    "share_button",
    "site_blocks",
    "sites_list_blocks",
    "state_text",
    "truncate",
    "watch_exists_blocks",
    "watch_root_blocks",
    "watches_list_blocks",
    "when",
]
