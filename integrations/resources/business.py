"""Orange Business ordering requests v2 (OAuth plus `X-API-Key`)."""

from __future__ import annotations

from typing import Any

from integrations._query import path
from integrations.pagination import DEFAULT_LIMIT, AsyncPaginator
from integrations.resources._resource import Resource
from integrations.types.business import BusinessRequest, BusinessRequestListParams

__all__ = ["Requests"]


class Requests(Resource):
    def list(
        self,
        params: BusinessRequestListParams | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[BusinessRequest]:
        """Requests, e.g. ``{"type": "C_GENERIC_S1", "sort": "-createdAt"}``; `X-Result-Count` per page."""
        return self._list(
            "/requests",
            BusinessRequest,
            operation="list requests",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    def list_json(
        self,
        params: BusinessRequestListParams | dict[str, object] | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[dict[str, Any]]:
        """`list` as Orange sent it: JSON objects, no model."""
        return self._list_json(
            "/requests",
            operation="list requests",
            params=params,
            limit=limit,
            offset=offset,
            max_items=max_items,
        )

    async def get(self, request_id: str) -> BusinessRequest:
        return await self._get(
            path("/requests/{}", request_id, what="request id"),
            BusinessRequest,
            operation="get request",
            reference=self._ref(request_id),
        )
