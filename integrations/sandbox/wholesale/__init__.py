"""Orange Wholesale France "United Way": TMF622 ordering, TMF637 inventory, TMF620 catalog.

One module per resource: ``ordering`` (``productOrder``), ``cancellation`` (``cancelProductOrder``), ``hub``
(``/hub`` and the events pushed there), ``inventory`` (``product``), ``catalog``; ``apis`` declares the three APIs.
"""

from __future__ import annotations

from ..routing import Router
from . import cancellation, catalog, hub, inventory, ordering
from .apis import CATALOG, INVENTORY, INVENTORY_PREFIX, ORDERING, ORDERING_PREFIX
from .cancellation import (
    CANCEL_FILTERS,
    CANCELLING,
    create_cancellation,
    get_cancellation,
    list_cancellations,
    start_cancellation,
)
from .catalog import CATALOG_PARAMETERS, offering_catalog
from .hub import cancel_event, create_hub, delete_hub, hub_get_refused, order_event, product_event
from .inventory import PRODUCT_FILTERS, expand, get_product, list_products
from .ordering import (
    MILESTONES,
    ORDER_FILTERS,
    SPECIFICATIONS,
    apply_to_inventory,
    create_order,
    get_order,
    get_order_item,
    list_orders,
    new_order,
    order_values,
    rule_error,
    specification,
    start_order_lifecycle,
    validate_order,
)

__all__ = [
    "CANCELLING",
    "CANCEL_FILTERS",
    "CATALOG",
    "CATALOG_PARAMETERS",
    "INVENTORY",
    "INVENTORY_PREFIX",
    "MILESTONES",
    "ORDERING",
    "ORDERING_PREFIX",
    "ORDER_FILTERS",
    "PRODUCT_FILTERS",
    "SPECIFICATIONS",
    "apply_to_inventory",
    "cancel_event",
    "create_cancellation",
    "create_hub",
    "create_order",
    "delete_hub",
    "expand",
    "get_cancellation",
    "get_order",
    "get_order_item",
    "get_product",
    "hub_get_refused",
    "list_cancellations",
    "list_orders",
    "list_products",
    "new_order",
    "offering_catalog",
    "order_event",
    "order_values",
    "product_event",
    "register",
    "rule_error",
    "specification",
    "start_cancellation",
    "start_order_lifecycle",
    "validate_order",
]


def register(router: Router) -> None:
    for api in (ORDERING, INVENTORY, CATALOG):
        router.api(api)
    for module in (ordering, cancellation, hub, inventory, catalog):
        module.register(router)
