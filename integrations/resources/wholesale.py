"""Orange Wholesale France "United Way": TMF622 ordering, TMF637 inventory, TMF620 catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integrations._query import path
from integrations.pagination import DEFAULT_LIMIT, AsyncPaginator
from integrations.requests import cancellation_request
from integrations.resources._resource import Resource
from integrations.types.wholesale import (
    CancelProductOrder,
    CancelProductOrderCreate,
    Category,
    Hub,
    HubCreate,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecCharacteristic,
    ProductSpecification,
    WholesaleProduct,
    WholesaleProductListParams,
    WholesaleProductOrder,
    WholesaleProductOrderCreate,
    WholesaleProductOrderItem,
    WholesaleProductOrderListParams,
)

__all__ = ["Cancellations", "Catalog", "Hubs", "Inventory", "Orders"]


class Orders(Resource):
    def list(
        self,
        params: WholesaleProductOrderListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[WholesaleProductOrder]:
        """Orders, filtered TMF-style: ``{"state": ["inProgress", "held"], "orderDate.gt": "2024-01-01"}``."""
        return self._list(
            "/productOrder",
            WholesaleProductOrder,
            operation="list orders",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    def list_json(
        self,
        params: WholesaleProductOrderListParams | dict[str, object] | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[dict[str, Any]]:
        """`list` as Orange sent it: JSON objects, no model."""
        return self._list_json(
            "/productOrder",
            operation="list orders",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, order_id: str, *, fields: Sequence[str] | None = None) -> WholesaleProductOrder:
        return await self._get(
            path("/productOrder/{}", order_id, what="order id"),
            WholesaleProductOrder,
            operation="get order",
            params={"fields": fields} if fields else None,
            reference=self._ref(order_id),
        )

    async def get_item(self, order_id: str, item_id: str) -> WholesaleProductOrderItem:
        return await self._get(
            path("/productOrder/{}/productOrderItem/{}", order_id, item_id, what="order or item id"),
            WholesaleProductOrderItem,
            operation="get order item",
            reference=self._ref(order_id),  # an item is known to users by its order
        )

    async def create(self, body: WholesaleProductOrderCreate | dict[str, object]) -> WholesaleProductOrder:
        """Place an order. Never retried once sent: reconcile with ``{"externalIdentifier.id": …}`` instead."""
        return await self._post("/productOrder", body, WholesaleProductOrder, operation="create order")


class Cancellations(Resource):
    async def create(
        self,
        body: CancelProductOrderCreate | dict[str, object] | None = None,
        *,
        order_id: str | None = None,
        reason: str | None = None,
    ) -> CancelProductOrder:
        """Ask Orange to cancel an order: pass a full body, or just `order_id` and an optional `reason`.

        About one order, so an error names it (`wholesale:<order id>`).
        """
        if body is None:
            if order_id is None:
                raise ValueError("give a body or an order_id")
            body = cancellation_request(order_id=order_id, reason=reason)
        target = order_id or _cancelled_order_id(body)
        return await self._post(
            "/cancelProductOrder",
            body,
            CancelProductOrder,
            operation="cancel order",
            reference=self._ref(target) if target else None,
        )

    async def get(self, cancel_id: str) -> CancelProductOrder:
        return await self._get(
            path("/cancelProductOrder/{}", cancel_id, what="cancellation id"),
            CancelProductOrder,
            operation="get cancellation",
            reference=self._ref(cancel_id),
        )


def _cancelled_order_id(body: CancelProductOrderCreate | dict[str, object]) -> str | None:
    """The id of the order a cancellation body is about, when it names one."""
    if isinstance(body, CancelProductOrderCreate):
        return body.product_order.id
    order = body.get("productOrder")
    if isinstance(order, dict) and isinstance(order.get("id"), str | int):
        return str(order["id"]) or None
    return None


class Hubs(Resource):
    """Notification listeners. Orange offers no GET: keep the id that `register` returns."""

    async def register(self, callback: str, *, query: str | None = None) -> Hub:
        body = HubCreate(callback=callback, query=query)
        return await self._post("/hub", body, Hub, operation="register listener")

    async def unregister(self, hub_id: str) -> None:
        await self._api.request(
            "DELETE",
            self._url(path("/hub/{}", hub_id, what="hub id")),
            operation="unregister",
            reference=self._ref(hub_id),
        )


class Inventory(Resource):
    def list(
        self,
        params: WholesaleProductListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[WholesaleProduct]:
        return self._list(
            "/product",
            WholesaleProduct,
            operation="list products",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, product_id: str, *, depth: int | None = None) -> WholesaleProduct:
        """One product; `depth` 1-4 expands bundled products (contract > play > set > atomic offer)."""
        if depth is not None and not 0 <= depth <= 4:
            raise ValueError("depth must be between 0 and 4")
        return await self._get(
            path("/product/{}", product_id, what="product id"),
            WholesaleProduct,
            operation="get product",
            params={"depth": depth} if depth is not None else None,
            reference=self._ref(product_id),
        )


class Catalog(Resource):
    def offerings(
        self, params: dict[str, object] | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> AsyncPaginator[ProductOffering]:
        return self._list(
            "/productOffering", ProductOffering, operation="list offerings", params=params, limit=limit, offset=offset
        )

    async def offering(self, offering_id: str) -> ProductOffering:
        return await self._get(
            path("/productOffering/{}", offering_id, what="offering id"),
            ProductOffering,
            operation="get offering",
            reference=self._ref(offering_id),
        )

    async def price(self, price_id: str) -> ProductOfferingPrice:
        return await self._get(
            path("/productOfferingPrice/{}", price_id, what="price id"),
            ProductOfferingPrice,
            operation="get price",
            reference=self._ref(price_id),
        )

    async def specification(self, specification_id: str) -> ProductSpecification:
        return await self._get(
            path("/productSpecification/{}", specification_id, what="specification id"),
            ProductSpecification,
            operation="get specification",
            reference=self._ref(specification_id),
        )

    async def characteristic(self, characteristic_id: str) -> ProductSpecCharacteristic:
        return await self._get(
            path("/productSpecCharacteristic/{}", characteristic_id, what="characteristic id"),
            ProductSpecCharacteristic,
            operation="get characteristic",
            reference=self._ref(characteristic_id),
        )

    def categories(
        self, params: dict[str, object] | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> AsyncPaginator[Category]:
        return self._list("/category", Category, operation="list categories", params=params, limit=limit, offset=offset)

    async def category(self, category_id: str) -> Category:
        return await self._get(
            path("/category/{}", category_id, what="category id"),
            Category,
            operation="get category",
            reference=self._ref(category_id),
        )
