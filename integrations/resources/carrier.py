"""Orange International Carriers, MEF LSO Sonata (EVPL): one resource per Sonata API."""

from __future__ import annotations

from typing import Any

from integrations._query import path
from integrations.pagination import DEFAULT_LIMIT, AsyncPaginator
from integrations.resources._resource import Resource
from integrations.types.carrier import (
    AddressValidationCreate,
    CarrierProduct,
    CarrierProductListParams,
    CarrierProductOrder,
    CarrierProductOrderCreate,
    GeographicAddress,
    GeographicAddressValidation,
    GeographicSite,
    GeographicSiteListParams,
    PoqCreate,
    PoqListParams,
    ProductOfferingQualification,
    ProductOrderListParams,
    Quote,
    QuoteCreate,
    QuoteListParams,
)

__all__ = ["Addresses", "Orders", "Products", "Qualifications", "Quotes", "Sites"]

_ADDRESS = "/geographicAddressManagement/v1"
_SITE = "/geographicSiteManagement/v1"
_POQ = "/productOfferingQualificationManagement/v1"
_QUOTE = "/quoteManagement/v1"
_ORDER = "/productOrderManagement/v1"
_INVENTORY = "/productInventoryManagement/v1"


class Addresses(Resource):
    async def validate(self, body: AddressValidationCreate | dict[str, object]) -> GeographicAddressValidation:
        return await self._post(
            f"{_ADDRESS}/geographicAddressValidation", body, GeographicAddressValidation, operation="validate address"
        )

    async def get(self, address_id: str | int) -> GeographicAddress:
        return await self._get(
            path(f"{_ADDRESS}/geographicAddress/{{}}", address_id, what="address id"),
            GeographicAddress,
            operation="get address",
            reference=self._ref(address_id),
        )


class Sites(Resource):
    def list(
        self,
        params: GeographicSiteListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[GeographicSite]:
        """Sites filtered the documented way, e.g. ``{"geographicAddress.city": "Paris"}``."""
        return self._list(
            f"{_SITE}/geographicSite",
            GeographicSite,
            operation="list sites",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, site_id: str | int) -> GeographicSite:
        return await self._get(
            path(f"{_SITE}/geographicSite/{{}}", site_id, what="site id"),
            GeographicSite,
            operation="get site",
            reference=self._ref(site_id),
        )


class Qualifications(Resource):
    async def create(self, body: PoqCreate | dict[str, object]) -> ProductOfferingQualification:
        return await self._post(
            f"{_POQ}/productOfferingQualification", body, ProductOfferingQualification, operation="qualify offer"
        )

    async def get(self, poq_id: str | int) -> ProductOfferingQualification:
        return await self._get(
            path(f"{_POQ}/productOfferingQualification/{{}}", poq_id, what="qualification id"),
            ProductOfferingQualification,
            operation="get qualification",
            reference=self._ref(poq_id),
        )

    def list(
        self, params: PoqListParams | None = None, *, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> AsyncPaginator[ProductOfferingQualification]:
        return self._list(
            f"{_POQ}/productOfferingQualification",
            ProductOfferingQualification,
            operation="list qualifications",
            params=params,
            limit=limit,
            offset=offset,
        )


class Quotes(Resource):
    async def create(self, body: QuoteCreate | dict[str, object]) -> Quote:
        return await self._post(f"{_QUOTE}/quote", body, Quote, operation="create quote")

    def list(
        self,
        params: QuoteListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[Quote]:
        return self._list(
            f"{_QUOTE}/quote",
            Quote,
            operation="list quotes",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, quote_id: str | int) -> Quote:
        return await self._get(
            path(f"{_QUOTE}/quote/{{}}", quote_id, what="quote id"),
            Quote,
            operation="get quote",
            reference=self._ref(quote_id),
        )


class Orders(Resource):
    async def create(self, body: CarrierProductOrderCreate | dict[str, object]) -> CarrierProductOrder:
        """Place an order. Never retried once sent: reconcile with `list({"externalId": …})` after a failure."""
        return await self._post(f"{_ORDER}/productOrder", body, CarrierProductOrder, operation="create order")

    def list(
        self,
        params: ProductOrderListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[CarrierProductOrder]:
        return self._list(
            f"{_ORDER}/productOrder",
            CarrierProductOrder,
            operation="list orders",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    def list_json(
        self,
        params: ProductOrderListParams | dict[str, object] | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[dict[str, Any]]:
        """`list` as Orange sent it: JSON objects, no model."""
        return self._list_json(
            f"{_ORDER}/productOrder",
            operation="list orders",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, order_id: str | int) -> CarrierProductOrder:
        return await self._get(
            path(f"{_ORDER}/productOrder/{{}}", order_id, what="order id"),
            CarrierProductOrder,
            operation="get order",
            reference=self._ref(order_id),
        )


class Products(Resource):
    def list(
        self,
        params: CarrierProductListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[CarrierProduct]:
        return self._list(
            f"{_INVENTORY}/product",
            CarrierProduct,
            operation="list products",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, product_id: str | int) -> CarrierProduct:
        return await self._get(
            path(f"{_INVENTORY}/product/{{}}", product_id, what="product id"),
            CarrierProduct,
            operation="get product",
            reference=self._ref(product_id),
        )
