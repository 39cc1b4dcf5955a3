"""What every resource shares: one `BaseAPI`, its base URL, and typed GET/POST/list helpers.

A method about one resource passes `reference=self._ref(id)` (`carrier:11`), so whatever error it raises names
that resource; lists, and creates about no existing resource, pass none.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter

from integrations._base_client import BaseAPI, parse_model
from integrations._exceptions import APIResponseValidationError
from integrations.pagination import DEFAULT_LIMIT, AsyncPaginator, Page, header_int

__all__ = ["Resource"]

T = TypeVar("T")

_PAGING_KEYS = frozenset({"offset", "limit"})


class Resource:
    def __init__(self, api: BaseAPI, base_url: str) -> None:
        self._api = api
        self._base = base_url.rstrip("/")

    @property
    def backend(self) -> str:
        return self._api.backend

    def _url(self, path: str) -> str:
        return self._base + path

    def _ref(self, resource_id: str | int) -> str:
        """The user-facing reference of one of this backend's resources: `carrier:11`."""
        return f"{self.backend}:{resource_id}"

    async def _get(
        self,
        path: str,
        model: type[T],
        *,
        operation: str,
        params: Mapping[str, object] | None = None,
        reference: str | None = None,
    ) -> T:
        data, _ = await self._api.get_json(self._url(path), operation=operation, params=params, reference=reference)
        return parse_model(model, data, backend=self.backend, operation=operation, reference=reference)

    async def _post(self, path: str, body: Any, model: type[T], *, operation: str, reference: str | None = None) -> T:
        if hasattr(body, "model_dump"):
            # What the builder set, no more: a model's empty defaults (`place[].geographicAddress: []`) are not in
            # Orange's schemas.
            body = body.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
        data, _ = await self._api.post_json(self._url(path), body, operation=operation, reference=reference)
        return parse_model(model, data, backend=self.backend, operation=operation, reference=reference)

    def _list(
        self,
        path: str,
        model: type[T],
        *,
        operation: str,
        params: Mapping[str, object] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[T]:
        adapter: TypeAdapter[list[T]] = _list_adapter(model)  # type: ignore[arg-type]
        backend = self.backend

        def parse(page: Page[dict[str, Any]]) -> Page[T]:
            items = parse_model(adapter, page.items, backend=backend, operation=operation)
            return Page(items, page.offset, page.limit, page.total, page.result_count, page.headers)

        return self._list_json(
            path, operation=operation, params=params, limit=limit, offset=offset, max_items=max_items
        ).map_pages(parse)

    def _list_json(
        self,
        path: str,
        *,
        operation: str,
        params: Mapping[str, object] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        max_items: int | None = None,
    ) -> AsyncPaginator[dict[str, Any]]:
        """The collection as Orange sent it: JSON objects, no model (a caller that skips most entries unread)."""
        filters = {k: v for k, v in (params or {}).items() if k not in _PAGING_KEYS}
        if params:
            limit = int(params.get("limit", limit))  # type: ignore[call-overload]
            offset = int(params.get("offset", offset))  # type: ignore[call-overload]
        url = self._url(path)
        backend = self.backend

        async def fetch(page_offset: int, page_limit: int) -> Page[dict[str, Any]]:
            query = {**filters, "offset": page_offset, "limit": page_limit}
            data, response = await self._api.get_json(url, operation=operation, params=query)
            if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
                raise APIResponseValidationError(
                    "Orange sent something other than a list of objects", backend=backend, operation=operation
                )
            return Page(
                items=data,
                offset=page_offset,
                limit=page_limit,
                total=header_int(response, "X-Total-Count"),
                result_count=header_int(response, "X-Result-Count"),
                headers=dict(response.headers),
            )

        return AsyncPaginator(fetch, offset=offset, limit=limit, max_items=max_items)


@functools.lru_cache(maxsize=128)
def _list_adapter(model: type[Any]) -> TypeAdapter[list[Any]]:
    """One validator per model for its lists (building one costs more than validating a page)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]
