"""`OrangeClient`: one async client for the three backends, shared by the bot and the notifier.

    async with OrangeClient(OrangeSettings()) as orange:
        order = await orange.carrier.orders.get(11)
        async for order in orange.wholesale.orders.list({"state": "inProgress"}):
            ...
        view = await orange.orders("business").get("W05VL130721")  # any backend's order as an `OrderView`

Pass `http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()))` to talk to the sandbox
in-process. One token is cached per backend; one connection pool is shared by all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, cast, overload

import httpx

from integrations._auth import OAuth2ClientCredentials
from integrations._base_client import BaseAPI, RetryPolicy, Sleep
from integrations._exceptions import BackendNotEnabledError
from integrations._observe import NO_OBSERVER, Observer
from integrations._rate import RateLimiter
from integrations.orders import BusinessOrderSource, CarrierOrderSource, OrderSource, WholesaleOrderSource
from integrations.resources import business as business_resources
from integrations.resources import carrier as carrier_resources
from integrations.resources import wholesale as wholesale_resources
from integrations.settings import Backend, BackendConfig, OrangeSettings

__all__ = ["BackendNotEnabledError", "BusinessClient", "CarrierClient", "OrangeClient", "WholesaleClient"]


class _BackendClient:
    name: Backend
    order_source: OrderSource
    """The backend's orders as `OrderView`s."""

    def __init__(
        self,
        config: BackendConfig,
        *,
        http_client: httpx.AsyncClient,
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        sleep: Sleep | None,
        clock: Callable[[], float],
        observer: Observer,
        limiter: RateLimiter,
    ) -> None:
        self.config = config
        self.auth = OAuth2ClientCredentials(
            backend=config.name,
            token_url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=config.scopes,
            http_client=http_client,
            retry=retry,
            sleep=sleep,
            clock=clock,
            observer=observer,
        )
        headers = {"X-API-Key": config.api_key.get_secret_value()} if config.api_key is not None else None
        self.api = BaseAPI(
            backend=config.name,
            http_client=http_client,
            auth=self.auth,
            headers=headers,
            retry=retry,
            timeout=timeout,
            sleep=sleep,
            clock=clock,
            observer=observer,
            limiter=limiter,
        )

    @property
    def limiter(self) -> RateLimiter:
        """The backend's request-rate cap (`POLL_REQUESTS_PER_SECOND`), passed by every attempt of every caller."""
        return self.api.limiter

    @property
    def token_requests(self) -> int:
        return self.auth.token_requests


class CarrierClient(_BackendClient):
    name: Backend = "carrier"

    def __init__(self, config: BackendConfig, **kwargs: object) -> None:
        super().__init__(config, **kwargs)  # type: ignore[arg-type]
        base = config.urls["carrier"]
        self.addresses = carrier_resources.Addresses(self.api, base)
        self.sites = carrier_resources.Sites(self.api, base)
        self.qualifications = carrier_resources.Qualifications(self.api, base)
        self.quotes = carrier_resources.Quotes(self.api, base)
        self.orders = carrier_resources.Orders(self.api, base)
        self.products = carrier_resources.Products(self.api, base)
        self.order_source = CarrierOrderSource(self.orders)


class WholesaleClient(_BackendClient):
    name: Backend = "wholesale"

    def __init__(self, config: BackendConfig, **kwargs: object) -> None:
        super().__init__(config, **kwargs)  # type: ignore[arg-type]
        ordering, inventory, catalog = config.urls["ordering"], config.urls["inventory"], config.urls["catalog"]
        self.orders = wholesale_resources.Orders(self.api, ordering)
        self.cancellations = wholesale_resources.Cancellations(self.api, ordering)
        self.hub = wholesale_resources.Hubs(self.api, ordering)
        self.products = wholesale_resources.Inventory(self.api, inventory)
        self.inventory_hub = wholesale_resources.Hubs(self.api, inventory)
        self.catalog = wholesale_resources.Catalog(self.api, catalog)
        self.order_source = WholesaleOrderSource(self.orders)


class BusinessClient(_BackendClient):
    name: Backend = "business"

    def __init__(self, config: BackendConfig, **kwargs: object) -> None:
        super().__init__(config, **kwargs)  # type: ignore[arg-type]
        self.requests = business_resources.Requests(self.api, config.urls["business"])
        self.order_source = BusinessOrderSource(self.requests)


_CLASSES: dict[Backend, type[_BackendClient]] = {
    "carrier": CarrierClient,
    "wholesale": WholesaleClient,
    "business": BusinessClient,
}


class OrangeClient:
    def __init__(
        self,
        settings: OrangeSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = 100,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.settings = settings or OrangeSettings()
        timeout = httpx.Timeout(self.settings.orange_http_timeout_seconds, connect=5.0, pool=10.0)
        retry = RetryPolicy(
            max_retries=self.settings.orange_max_retries, budget=self.settings.orange_retry_budget_seconds
        )
        self._owns_http = http_client is None
        self.http = http_client or httpx.AsyncClient(
            timeout=timeout,
            # Idle connections kept: enough for the poll's concurrency; every request scans the pool's connections.
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=min(16, max_connections)),
            headers={"User-Agent": "orange-bot/0.1"},
        )
        self._backends: dict[Backend, _BackendClient] = {}
        for name, config in self.settings.backends().items():
            self._backends[name] = _CLASSES[name](
                config,
                http_client=self.http,
                retry=retry,
                timeout=timeout,
                sleep=sleep,
                clock=clock,
                observer=observer,
                limiter=RateLimiter(self.settings.poll_requests_per_second),
            )

    def set_rates(self, rates: dict[str, float]) -> None:
        """Change backends' request-rate caps (benchmarks and tests; production reads POLL_REQUESTS_PER_SECOND)."""
        for name, client in self._backends.items():
            if name in rates:
                client.limiter.set_rate(rates[name])

    @property
    def enabled(self) -> list[Backend]:
        return list(self._backends)

    @property
    def default_backend(self) -> Backend | None:
        return self.settings.default_backend()

    @overload
    def backend(self, name: Literal["carrier"]) -> CarrierClient: ...
    @overload
    def backend(self, name: Literal["wholesale"]) -> WholesaleClient: ...
    @overload
    def backend(self, name: Literal["business"]) -> BusinessClient: ...
    @overload
    def backend(self, name: str) -> _BackendClient: ...
    def backend(self, name: str) -> _BackendClient:
        client = self._backends.get(cast(Backend, name))
        if client is None:
            raise BackendNotEnabledError(name, list(self._backends))
        return client

    def orders(self, backend: str) -> OrderSource:
        """The orders of `backend` as `OrderView`s; `BackendNotEnabledError` when it is not configured."""
        return self.backend(backend).order_source

    @property
    def carrier(self) -> CarrierClient:
        return self.backend("carrier")

    @property
    def wholesale(self) -> WholesaleClient:
        return self.backend("wholesale")

    @property
    def business(self) -> BusinessClient:
        return self.backend("business")

    def token_requests(self) -> dict[str, int]:
        return {name: client.token_requests for name, client in self._backends.items()}

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> OrangeClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
