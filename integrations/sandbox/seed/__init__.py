"""The sandbox's starting data: every documented example, plus what they reference.

Examples come from :func:`integrations.sandbox.examples.load_examples` (repaired JSON of the
seed documents). Where a list example only shows a summary, the detail is built from a documented
detail of the same kind, so that ``GET /{id}`` works for every id a list shows.

One module per backend (the wholesale one per API): ``carrier``, ``wholesale_orders``,
``wholesale_inventory``, ``wholesale_catalog``, ``business``; ``documents`` reads the examples.
"""

from __future__ import annotations

from ..state import SandboxState
from .business import seed_business
from .carrier import EXTRA_ADDRESSES, EXTRA_SITES, seed_carrier
from .documents import example
from .wholesale_catalog import CATALOG_HREF, CATALOG_TREE, seed_catalog
from .wholesale_inventory import USER, seed_inventory
from .wholesale_orders import BUYER, DE76, REJECTED, WHOLESALE_ORDERS, seed_wholesale_orders

__all__ = [
    "BUYER",
    "CATALOG_HREF",
    "CATALOG_TREE",
    "DE76",
    "EXTRA_ADDRESSES",
    "EXTRA_SITES",
    "REJECTED",
    "USER",
    "WHOLESALE_ORDERS",
    "example",
    "seed_state",
]


def seed_state(state: SandboxState) -> None:
    seed_carrier(state)
    seed_wholesale_orders(state)
    seed_inventory(state)
    seed_catalog(state)
    seed_business(state)
