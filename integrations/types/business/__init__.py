"""Wire models of the Orange Business ordering requests API v2."""

from __future__ import annotations

from .request import (
    BusinessAddress,
    BusinessContact,
    BusinessCustomer,
    BusinessLocation,
    BusinessRequest,
    BusinessRequestListParams,
    BusinessRequestProperties,
)

__all__ = [
    "BusinessAddress",
    "BusinessContact",
    "BusinessCustomer",
    "BusinessLocation",
    "BusinessRequest",
    "BusinessRequestListParams",
    "BusinessRequestProperties",
]
