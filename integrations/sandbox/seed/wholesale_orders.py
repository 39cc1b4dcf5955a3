"""The United Way orders' seed: the list examples' orders, the documents' running example and a rejected order."""

from __future__ import annotations

import copy
from datetime import timedelta

from ..query import parse_datetime
from ..state import Record, SandboxState, iso_seconds
from ..wholesale.apis import ORDERING_PREFIX
from .documents import example

DE76 = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
REJECTED = "4f0a8c3e-7b1d-4c9e-a2f5-6d8e0b1c3a57"

# United Way orders of the list examples: (id, orderDate, state, href, description).
WHOLESALE_ORDERS: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    (
        "e7dee14c-cd85-495a-9931-ef3c06f2559b",
        "2021-07-22T11:27:22.000+02:00",
        "completed",
        None,
        "ProductOrder illustration Ariane",
    ),
    (
        "9240353c-cd38-447c-9437-9d4aa229d5ff",
        "2021-07-22T11:27:25.000+02:00",
        "completed",
        "/api/v1/productOrder/9240353c-cd38-447c-9437-9d4aa229d5ff",
        None,
    ),
    (
        "37cf411f-5258-409a-9703-66cf965c9f43",
        "2021-07-22T11:27:29.000+02:00",
        "completed",
        None,
        "ProductOrder illustration Ariane",
    ),
    (
        "2a89ed67-5cf8-429d-9a3d-5153d481ff55",
        "2021-09-14T10:12:41.000+02:00",
        "INPROGRESS",
        "/api/v1/productOrder/2a89ed67-5cf8-429d-9a3d-5153d481ff55",
        None,
    ),
    (
        "7f8bb1aa-da62-41e6-be85-38b6f42827ae",
        "2022-06-20T09:03:55.000+02:00",
        "INPROGRESS",
        "/api/v1/productOrder/7f8bb1aa-da62-41e6-be85-38b6f42827ae",
        None,
    ),
    (
        "0f9e6ecd-2bee-4448-b0cb-c6cdb29bccb7",
        "2022-03-02T15:40:08.000+01:00",
        "INPROGRESS",
        "/api/v1/productOrder/0f9e6ecd-2bee-4448-b0cb-c6cdb29bccb7",
        None,
    ),
)

BUYER = {"id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f", "role": "buyer", "@referredType": "Organization"}


def _item_state(order_state: str) -> str:
    return "inProgress" if order_state.upper() == "INPROGRESS" else order_state


def _wholesale_order(
    template: Record, order_id: str, *, order_date: str, state: str, href: str | None, description: str | None
) -> Record:
    order: Record = {"id": order_id, "href": href}
    if description is not None:
        order["description"] = description
    for key, value in template.items():
        if key == "externalIdentifier":
            value = [{**ident, "id": f"UW-{order_id[:8]}"} for ident in value if isinstance(ident, dict)]
        order[key] = value
    order["state"] = state
    order["orderDate"] = order_date
    moment = parse_datetime(order_date)
    if moment is not None:
        order["requestedCompletionDate"] = iso_seconds(moment + timedelta(days=30)).replace("Z", ".000Z")
        order["expectedCompletionDate"] = iso_seconds(moment + timedelta(days=14)).replace("Z", ".000Z")
    for item in order.get("productOrderItem") or []:
        if isinstance(item, dict):
            item["state"] = _item_state(state)
    return order


def seed_wholesale_orders(state: SandboxState) -> None:
    template = example("wholesale/product-order-create-request")
    if not isinstance(template, dict):
        template = {
            "externalIdentifier": [{"id": "x", "externalIdentifierType": "customerIdentifier", "owner": "sandbox"}],
            "productOrderItem": [],
            "relatedParty": [
                {"@referredType": "organization", "id": BUYER["id"], "name": "ABSOLIGHT", "role": "buyer"}
            ],
            "productOrderSpecification": "Acquisition",
        }
    for order_id, order_date, order_state, href, description in WHOLESALE_ORDERS:
        order = _wholesale_order(
            copy.deepcopy(template),
            order_id,
            order_date=order_date,
            state=order_state,
            href=href,
            description=description,
        )
        state.wholesale_orders.put(order)

    # de76cfa1: the documents' running example (created by the create example, followed by GET).
    documented = example("wholesale/product-order-get", {})
    order = _wholesale_order(
        copy.deepcopy(template),
        DE76,
        order_date="2021-08-24T16:02:11.000+02:00",
        state=documented.get("state", "INPROGRESS"),
        href=f"{ORDERING_PREFIX}/productOrder/{DE76}",
        description=None,
    )
    order.update({key: value for key, value in documented.items() if key not in ("id",)})
    item_example = example("wholesale/product-order-item-get")
    follow_up = example("wholesale/product-order-item-milestones-fragment")
    items = order.get("productOrderItem") or []
    for index, item in enumerate(items):
        if isinstance(item_example, dict) and item.get("id") == item_example.get("id"):
            items[index] = item_example
        elif isinstance(follow_up, dict) and item.get("id") == "O40140084005":
            item.update(follow_up)
    state.wholesale_orders.put(order)

    # A rejected order carrying the documented notes: the buyer's comment and the validation error.
    notes = [
        note
        for slug in ("wholesale/product-order-note-comment-fragment", "wholesale/product-order-note-error-fragment")
        for note in (example(slug) or {}).get("note", [])
    ]
    rejected = _wholesale_order(
        copy.deepcopy(template),
        REJECTED,
        order_date="2022-02-25T11:38:02.000+01:00",
        state="rejected",
        href=f"{ORDERING_PREFIX}/productOrder/{REJECTED}",
        description="ProductOrder rejected at validation",
    )
    if notes:
        rejected["note"] = notes
    state.wholesale_orders.put(rejected)
