"""Wire models of Orange International Carriers' MEF LSO Sonata APIs (EVPL)."""

from __future__ import annotations

from .address import (
    AddressValidationCreate,
    FieldedAddress,
    GeographicAddress,
    GeographicAddressValidation,
    SubmittedGeographicAddress,
)
from .poq import (
    InstallationInterval,
    PoqCreate,
    PoqItem,
    PoqItemCreate,
    PoqListParams,
    ProductOfferingQualification,
    TerminationError,
)
from .product import CarrierProduct, CarrierProductListParams
from .product_order import (
    BillingAccount,
    BillingContact,
    CarrierProductOrder,
    CarrierProductOrderCreate,
    CarrierProductOrderItem,
    CarrierProductOrderItemCreate,
    OrderMessage,
    ProductOrderListParams,
)
from .product_value import ProductValue, QuoteRef
from .quote import Quote, QuoteCreate, QuoteItem, QuoteItemCreate, QuoteListParams, QuoteStateChangeRequest
from .site import FormattedAddress, GeographicSite, GeographicSiteListParams, SiteGeographicAddress

__all__ = [
    "AddressValidationCreate",
    "BillingAccount",
    "BillingContact",
    "CarrierProduct",
    "CarrierProductListParams",
    "CarrierProductOrder",
    "CarrierProductOrderCreate",
    "CarrierProductOrderItem",
    "CarrierProductOrderItemCreate",
    "FieldedAddress",
    "FormattedAddress",
    "GeographicAddress",
    "GeographicAddressValidation",
    "GeographicSite",
    "GeographicSiteListParams",
    "InstallationInterval",
    "OrderMessage",
    "PoqCreate",
    "PoqItem",
    "PoqItemCreate",
    "PoqListParams",
    "ProductOfferingQualification",
    "ProductOrderListParams",
    "ProductValue",
    "Quote",
    "QuoteCreate",
    "QuoteItem",
    "QuoteItemCreate",
    "QuoteListParams",
    "QuoteRef",
    "QuoteStateChangeRequest",
    "SiteGeographicAddress",
    "SubmittedGeographicAddress",
    "TerminationError",
]
