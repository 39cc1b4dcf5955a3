"""The sandbox's own small router: APIs under their real base paths, one route table per API.

Starlette's router answers 404/405 in plain text; Orange answers in JSON whose shape depends on
the API, so the sandbox matches paths itself (case-insensitively, trailing slash optional).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import ApiError, Style, styled_error
from .query import CollectionQuery, Extractor, QueryError, matches, parse_query, select_fields, sort_records, values_at

if TYPE_CHECKING:
    from .state import SandboxState, Store

Handler = Callable[["Ctx"], Awaitable[Response]]


@dataclass(frozen=True)
class Api:
    """One of Orange's APIs: where it lives, how it authenticates and how its errors look."""

    name: str
    backend: str
    prefixes: tuple[str, ...]
    style: Style
    auth: bool = True
    api_key: bool = False

    def not_found(self, what: str, ident: str) -> ApiError:
        if self.name == "wholesale-ordering":
            return ApiError(
                404,
                {
                    "code": "60",
                    "message": f"No entity found with ID '{ident}'!",
                    "reason": "Resource not found",
                    "@type": "Error",
                },
            )
        if self.style == "tmf":
            return ApiError(
                404, {"code": "60", "message": "Resource not found", "reason": "Resource not found", "@type": "Error"}
            )
        return styled_error(self.style, 404, 60, f"No {what} found with id '{ident}'")

    def error(self, status: int, code: int, detail: str, *, message: str | None = None) -> ApiError:
        return styled_error(self.style, status, code, detail, message=message)


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    handlers: dict[str, Handler] = field(default_factory=dict)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-zA-Z_]+\})", template)
    regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex, re.IGNORECASE)


@dataclass
class Resolved:
    api: Api
    prefix: str
    route: Route | None
    params: dict[str, str]

    @property
    def template(self) -> str | None:
        return None if self.route is None else self.prefix + self.route.template


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, list[Route]] = {}
        self._apis: list[tuple[str, str, Api]] = []

    def api(self, api: Api) -> Api:
        self._routes.setdefault(api.name, [])
        for prefix in api.prefixes:
            self._apis.append((prefix.lower(), prefix, api))
        self._apis.sort(key=lambda entry: len(entry[0]), reverse=True)
        return api

    def add(self, api: Api, template: str, **handlers: Handler) -> None:
        routes = self._routes.setdefault(api.name, [])
        for route in routes:
            if route.template == template:
                route.handlers.update(handlers)
                return
        routes.append(Route(template, _compile(template), dict(handlers)))

    def resolve(self, path: str) -> Resolved | None:
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        lowered = path.lower()
        for low_prefix, prefix, api in self._apis:
            if not lowered.startswith(low_prefix):
                continue
            rest = path[len(low_prefix) :]
            if rest and not rest.startswith("/"):
                continue
            for route in self._routes[api.name]:
                found = route.pattern.fullmatch(rest)
                if found:
                    return Resolved(api, prefix, route, found.groupdict())
            return Resolved(api, prefix, None, {})
        return None


@dataclass
class Ctx:
    """What a handler gets: the request, the sandbox, the API and the path parameters."""

    request: Request
    state: SandboxState
    api: Api
    prefix: str
    params: dict[str, str]

    async def json_body(self, *, require_object: bool = True) -> Any:
        raw = await self.request.body()
        if not raw.strip():
            raise self.api.error(400, 21, "The request body is empty")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise self.api.error(400, 22, "The request body is not valid JSON") from None
        if require_object and not isinstance(body, dict):
            raise self.api.error(400, 22, "The request body must be a JSON object")
        return body

    def query(self, *, ignore: Iterable[str] = ()) -> CollectionQuery:
        try:
            return parse_query(
                self.request.query_params.multi_items(),
                max_page_size=self.state.config.max_page_size,
                ignore=ignore,
            )
        except QueryError as err:
            raise self.api.error(400, 28, str(err)) from None

    def fields(self) -> list[str] | None:
        raw = self.request.query_params.getlist("fields")
        if not raw:
            return None
        return [name.strip() for value in raw for name in value.split(",") if name.strip()]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def one(ctx: Ctx, record: dict[str, Any], *, always_href: bool | None = None) -> Response:
    """A single resource, with ``fields`` applied."""
    href = ctx.api.style == "tmf" if always_href is None else always_href
    return json_response(select_fields(record, ctx.fields(), always_href=href))


def collection(
    ctx: Ctx,
    store: Store,
    *,
    allowed: Callable[[str], bool] | None = None,
    extract: Extractor = values_at,
    ignore: Iterable[str] = (),
    always_href: bool | None = None,
) -> Response:
    """A filtered, sorted page of a store with ``X-Total-Count`` and ``X-Result-Count``."""
    query = ctx.query(ignore=ignore)
    if allowed is not None:
        for flt in query.filters:
            if not allowed(flt.path):
                raise ctx.api.error(400, 28, f"'{flt.path}' cannot be used as a filter")
        for path, _ in query.sort:
            if not allowed(path) and path not in ("id", "href"):
                raise ctx.api.error(400, 28, f"'{path}' cannot be used to sort")
    keys = _candidates(store, query)
    if store.listed_from:
        now = ctx.state.now()
        keys = [key for key in keys if store.listed(key, now)]
    filters = query.filters
    if filters:
        keys = [key for key in keys if matches(store.filter_view(key), filters, extract)]
    if query.sort:
        pairs = sort_records(
            [(key, store.filter_view(key)) for key in keys],
            query.sort,
            lambda pair, path: extract(pair[1], path),
        )
        keys = [key for key, _ in pairs]
    total = len(keys)
    page = keys[query.offset : query.offset + query.limit]
    href = ctx.api.style == "tmf" if always_href is None else always_href
    if query.fields is not None:
        items = [select_fields(store.filter_view(key), query.fields, always_href=href) for key in page]
    else:
        items = [store.summary(key) for key in page]
    return json_response(items, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(items))})


def _candidates(store: Store, query: CollectionQuery) -> list[str]:
    # `id=a,b,c` is answered from the index, so that looking up a few of 10,000 orders stays cheap.
    for flt in query.filters:
        if flt.path == "id" and flt.op == "eq":
            wanted = {value for value in flt.values if value in store}
            return sorted(wanted, key=store.position.__getitem__)
    return list(store.keys())
