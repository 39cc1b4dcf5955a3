"""Offset/limit collections as async iterators.

`await client.wholesale.orders.list(...)` gives the first `Page`; `async for order in client.wholesale.orders.list(...)`
walks every item. Orange pages with ``offset``/``limit`` and the ``X-Total-Count`` / ``X-Result-Count`` headers, and
caps ``limit`` silently, so a page may be shorter than asked: the next offset is always ``offset + len(items)``.

The walk always ends: on an empty page, when ``X-Total-Count`` is reached, after ``max_items``, after ``max_pages``,
or when the server answers the same page twice (it ignored ``offset``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

__all__ = ["DEFAULT_LIMIT", "AsyncPaginator", "Page", "header_int"]

log = logging.getLogger("integrations.pagination")

T = TypeVar("T")
U = TypeVar("U")
DEFAULT_LIMIT = 50
DEFAULT_MAX_PAGES = 10_000


def header_int(response: httpx.Response, name: str) -> int | None:
    """A non-negative integer header, or None when absent or malformed."""
    raw = response.headers.get(name)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


@dataclass
class Page(Generic[T]):
    """One page of a collection: its items and what the headers said."""

    items: list[T]
    offset: int
    limit: int
    total: int | None = None
    result_count: int | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None when this page is the last one we can know of."""
        if not self.items:
            return None
        nxt = self.offset + len(self.items)
        if self.total is not None and nxt >= self.total:
            return None
        return nxt

    def __iter__(self) -> Generator[T, None, None]:
        yield from self.items

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        """The same page with every item passed through `fn`."""
        return Page(
            items=[fn(item) for item in self.items],
            offset=self.offset,
            limit=self.limit,
            total=self.total,
            result_count=self.result_count,
            headers=self.headers,
        )

    def __len__(self) -> int:
        return len(self.items)


PageFetcher = Callable[[int, int], Awaitable[Page[T]]]


class AsyncPaginator(Generic[T]):
    """Await it for the first page, iterate it for every item, or `pages()` for every page."""

    def __init__(
        self,
        fetch: PageFetcher[T],
        *,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        if offset < 0:
            raise ValueError("offset must be >= 0")
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self._fetch = fetch
        self.offset = offset
        self.limit = limit
        self.max_items = max_items
        self.max_pages = max_pages

    def map(self, fn: Callable[[T], U]) -> AsyncPaginator[U]:
        """The same collection with every item passed through `fn`, page by page as pages arrive.

        `orange.carrier.orders.list().map(order_view_from_carrier)` awaits to a `Page[OrderView]`.
        """
        return self.map_pages(lambda page: page.map(fn))

    def map_pages(self, fn: Callable[[Page[T]], Page[U]]) -> AsyncPaginator[U]:
        """The same collection with every page passed through `fn` (one validation per page, say)."""
        fetch = self._fetch

        async def mapped(offset: int, limit: int) -> Page[U]:
            return fn(await fetch(offset, limit))

        return AsyncPaginator(
            mapped, offset=self.offset, limit=self.limit, max_items=self.max_items, max_pages=self.max_pages
        )

    def __await__(self) -> Generator[object, None, Page[T]]:
        return self._fetch(self.offset, self.limit).__await__()

    async def pages(self) -> AsyncIterator[Page[T]]:
        offset = self.offset
        seen = 0
        previous: list[T] | None = None
        for _ in range(self.max_pages):
            limit = self.limit
            if self.max_items is not None:
                limit = min(limit, self.max_items - seen)
                if limit <= 0:
                    return
            page = await self._fetch(offset, limit)
            if previous is not None and page.items and page.items == previous:
                log.warning("the server sent the same page twice at offset %d; stopping", offset)
                return
            yield page
            seen += len(page.items)
            nxt = page.next_offset
            if nxt is None or (self.max_items is not None and seen >= self.max_items):
                return
            previous = page.items
            offset = nxt
        log.warning("stopped after %d pages", self.max_pages)

    async def __aiter__(self) -> AsyncIterator[T]:
        seen = 0
        async for page in self.pages():
            for item in page.items:
                if self.max_items is not None and seen >= self.max_items:
                    return
                seen += 1
                yield item

    async def to_list(self) -> list[T]:
        return [item async for item in self]
