"""A typed async client for Orange's carrier, wholesale and business APIs.

    from integrations import OrangeClient, OrangeSettings, APIError

    async with OrangeClient(OrangeSettings()) as orange:
        view = await orange.orders("wholesale").get("de76cfa1-…")
        async for order in orange.carrier.orders.list({"state": ["inProgress", "held"]}):
            ...

Read models are in `integrations.views`, wire models in `integrations.types`, state vocabularies in
`integrations.states`; the sandbox (`integrations.sandbox`) is imported only by who asks for it.
"""

from __future__ import annotations

from integrations._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BackendNotEnabledError,
    BadRequestError,
    BusinessRuleError,
    ConflictError,
    InternalServerError,
    InvalidReferenceError,
    MethodNotAllowedError,
    NotFoundError,
    OrangeError,
    PermissionDeniedError,
    RateLimitError,
)
from integrations._observe import Observer
from integrations._query import check_id
from integrations._redact import install_log_redaction, redact, register_secret
from integrations.client import OrangeClient
from integrations.orders import (
    BusinessOrderSource,
    CarrierOrderSource,
    ListedOrder,
    OrderSource,
    WholesaleOrderSource,
    entry_digest,
)
from integrations.pagination import AsyncPaginator, Page
from integrations.settings import BACKENDS, Backend, OrangeSettings

__all__ = [
    "BACKENDS",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPaginator",
    "AuthenticationError",
    "Backend",
    "BackendNotEnabledError",
    "BadRequestError",
    "BusinessOrderSource",
    "BusinessRuleError",
    "CarrierOrderSource",
    "ConflictError",
    "InternalServerError",
    "InvalidReferenceError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OrangeClient",
    "OrangeError",
    "OrangeSettings",
    "Observer",
    "ListedOrder",
    "OrderSource",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "WholesaleOrderSource",
    "entry_digest",
    "check_id",
    "install_log_redaction",
    "redact",
    "register_secret",
]
