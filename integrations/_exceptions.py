"""What can go wrong when we talk to Orange, said in words.

    OrangeError
    ├── InvalidReferenceError        bad id / query value, refused before any request (also a ValueError)
    ├── BackendNotEnabledError       a backend that is not configured, or no backend at all (also a LookupError)
    └── APIError                     backend, operation, reference, carrier code, one human sentence
        ├── APIConnectionError       Orange could not be reached
        │   └── APITimeoutError      Orange did not answer in time
        ├── APIResponseValidationError   Orange answered something we cannot read
        └── APIStatusError           Orange answered with an error status (status_code, body)
            ├── BadRequestError              400, codes 20-28
            │   └── BusinessRuleError        400 with a business code such as PRO_0001_A
            ├── AuthenticationError          401, codes 40-42 (and token endpoint refusals)
            ├── PermissionDeniedError        403, codes 50-53
            ├── NotFoundError                404, code 60
            ├── MethodNotAllowedError        405, code 61
            ├── ConflictError                409, code 69
            ├── RateLimitError               429 (and 403 code 53), with retry_after
            └── InternalServerError          5xx, codes 1, 5, 6

Every error of a call about one resource names it: `reference` is its `backend:id` (`carrier:999999`,
`wholesale:de76cfa1-…`), the form a user types, and `str(err)` starts with it. Lists and most creates have none.

Messages never carry a token, secret or API key: every text, the reference included, goes through `redact`.
"""

from __future__ import annotations

import json
from typing import Any, Self

import httpx

from integrations._redact import redact
from integrations.settings import BACKENDS

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BackendNotEnabledError",
    "BadRequestError",
    "BusinessRuleError",
    "ConflictError",
    "InternalServerError",
    "InvalidReferenceError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OrangeError",
    "PermissionDeniedError",
    "RateLimitError",
    "make_status_error",
]

# The functional codes Orange documents for its gateway (same table in every United Way and IC page).
CARRIER_CODES: dict[str, str] = {
    "1": "Internal server error",
    "5": "The service is temporarily unavailable",
    "6": "Orange API is over capacity, retry later",
    "20": "Invalid URL parameter value",
    "21": "Missing body",
    "22": "Invalid body",
    "23": "Missing body field",
    "24": "Invalid body field",
    "25": "Missing header",
    "26": "Invalid header value",
    "27": "Missing query-string parameter",
    "28": "Invalid query-string parameter value",
    "40": "Missing credentials",
    "41": "Invalid credentials",
    "42": "Expired credentials",
    "50": "Access denied",
    "51": "Forbidden requester",
    "52": "Forbidden user",
    "53": "Too many requests",
    "60": "Resource not found",
    "61": "Method not allowed",
    "62": "Not acceptable",
    "63": "Request time-out",
    "64": "Length required",
    "65": "Precondition failed",
    "66": "Request entity too large",
    "67": "Request-URI too long",
    "68": "Unsupported media type",
    "69": "Conflict",
}

# Business rules of the wholesale ordering API (TMF622 page): the code is the carrier's, the sentence ours.
BUSINESS_CODES: dict[str, str] = {
    "PRO_0001_A": "the productOrderSpecification is mandatory",
    "PRO_0002_A": "the externalIdentifier is mandatory",
    "PRO_0003_A": "the externalIdentifier of type CustomerIdentifier is given more than once",
    "PRO_0004_A": "the productOrderSpecification is unknown",
    "PRO_0005_A": "this externalIdentifier already exists",
    "PRO_0006_A": "the product id is mandatory for a modification or a termination",
    "ELI_0001_A": "the IMB building code is mandatory for this address",
    "ELI_0002_A": "this address is not eligible for the selected offer",
    "ELI_0003_A": "the address format is not valid",
    "AGR_0001_A": "the agreement id is mandatory",
    "AGR_0002_A": "the agreement number is unknown",
    "AGR_0003_A": "the product offering is not covered by the agreement",
    "PAR_0001_A": "a related party role or type does not match the catalog",
    "PAR_0002_A": "a buyer is mandatory in relatedParty",
    "PAR_0003_A": "a related party required by the offering is missing",
    "PAR_0004_A": "an individual's name is too long or contains a line break",
    "PAR_0005_A": "an individual needs both an email and a phone contact medium",
}


class OrangeError(Exception):
    """Base of every error this package raises."""


class InvalidReferenceError(OrangeError, ValueError):
    """An id or query value that would change the request; refused before anything is sent."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))
        self.message = redact(message)


class BackendNotEnabledError(OrangeError, LookupError):
    """A call for a backend this process has no credentials for, or for a name that is no backend."""

    def __init__(self, backend: str, enabled: list[str]) -> None:
        known = ", ".join(enabled) or "none"
        if backend not in BACKENDS:
            text = f"'{backend}' is not a backend; use one of {', '.join(BACKENDS)} (enabled: {known})."
        else:
            text = f"The {backend} backend is not configured (enabled: {known})."
        super().__init__(text)
        self.backend = backend


class APIError(OrangeError):
    """A call to one backend failed; `str(err)` is one sentence a person can read.

    `reference` is the `backend:id` of the resource the call was about (None for a list or a create).
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        operation: str,
        code: str | None = None,
        request: httpx.Request | None = None,
        reference: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.backend = backend
        self.operation = operation
        self.code = code
        self.request = request
        self.reference = redact(reference) if reference else None
        super().__init__(self._render())

    def with_reference(self, reference: str | None) -> Self:
        """Name the resource this error is about, unless it already names one; returns the error itself.

        For errors raised below the resource call (the token request of its OAuth flow, for one).
        """
        if reference and self.reference is None:
            self.reference = redact(reference)
            self.args = (self._render(),)
        return self

    def _where(self) -> str:
        # The reference starts with the backend (`carrier:11`), so it replaces it.
        return self.reference or self.backend

    def _render(self) -> str:
        code = f" (code {self.code})" if self.code else ""
        return f"{self._where()}: {self.operation}: {self.message}{code}"


class APIConnectionError(APIError):
    kind = "unreachable"

    def __init__(
        self,
        message: str = "Orange could not be reached; try again later",
        *,
        backend: str,
        operation: str,
        request: httpx.Request | None = None,
        sent: bool = True,
        reference: str | None = None,
    ) -> None:
        self.sent = sent
        super().__init__(message, backend=backend, operation=operation, request=request, reference=reference)


class APITimeoutError(APIConnectionError):
    kind = "timeout"

    def __init__(
        self,
        *,
        backend: str,
        operation: str,
        request: httpx.Request | None = None,
        sent: bool = True,
        reference: str | None = None,
    ) -> None:
        super().__init__(
            "Orange did not answer in time; try again later",
            backend=backend,
            operation=operation,
            request=request,
            sent=sent,
            reference=reference,
        )


class APIResponseValidationError(APIError):
    kind = "unreadable"

    def __init__(
        self,
        message: str = "Orange sent an answer we could not read",
        *,
        backend: str,
        operation: str,
        status_code: int | None = None,
        request: httpx.Request | None = None,
        reference: str | None = None,
    ) -> None:
        self.status_code = status_code
        super().__init__(message, backend=backend, operation=operation, request=request, reference=reference)


class APIStatusError(APIError):
    """Orange answered with an error status."""

    kind = "status"
    sentence = "Orange refused the request"

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        operation: str,
        status_code: int,
        code: str | None = None,
        body: object = None,
        response: httpx.Response | None = None,
        reference: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.response = response
        super().__init__(
            message,
            backend=backend,
            operation=operation,
            code=code,
            request=response.request if response is not None and response._request is not None else None,
            reference=reference,
        )

    def _render(self) -> str:
        code = f", code {self.code}" if self.code else ""
        return f"{self._where()}: {self.operation}: {self.message} (HTTP {self.status_code}{code})"


class BadRequestError(APIStatusError):
    kind = "invalid"
    sentence = "Orange refused the request as invalid"


class BusinessRuleError(BadRequestError):
    kind = "business_rule"
    sentence = "Orange refused the order"


class AuthenticationError(APIStatusError):
    kind = "auth"
    sentence = "Orange did not accept our credentials; check the client id and secret"


class PermissionDeniedError(APIStatusError):
    kind = "forbidden"
    sentence = "Orange says we are not allowed to do this"


class NotFoundError(APIStatusError):
    kind = "not_found"
    sentence = "Orange has no such resource"


class MethodNotAllowedError(APIStatusError):
    kind = "not_allowed"
    sentence = "Orange does not allow this operation"


class ConflictError(APIStatusError):
    kind = "conflict"
    sentence = "Orange reports a conflict with the current state"


class RateLimitError(APIStatusError):
    kind = "rate_limited"
    sentence = "Orange is limiting our request rate; try again later"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class InternalServerError(APIStatusError):
    kind = "server"
    sentence = "Orange's service is failing right now; try again later"


def error_body(response: httpx.Response) -> object:
    """The decoded JSON body of an error response, or its text when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text[:500]


def _field(body: object, *names: str) -> str | None:
    if not isinstance(body, dict):
        return None
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def carrier_code(body: object) -> str | None:
    """The carrier's functional code in an error body, as a string (`42`, `"60"`, `"PRO_0001_A"` …)."""
    return _field(body, "code")


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        from datetime import UTC, datetime

        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)


def _status_class(status: int, code: str | None) -> type[APIStatusError]:
    if status == 400:
        if code and not code.isdigit():
            return BusinessRuleError
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return RateLimitError if code == "53" else PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 405:
        return MethodNotAllowedError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return InternalServerError
    return APIStatusError


def make_status_error(
    *, backend: str, operation: str, response: httpx.Response, reference: str | None = None
) -> APIStatusError:
    """Map an error response to its class, with one sentence that says what went wrong (about `reference`)."""
    body = error_body(response)
    code = carrier_code(body)
    cls = _status_class(response.status_code, code)
    detail = _field(body, "message", "description", "reason")
    if cls is BusinessRuleError and code in BUSINESS_CODES and (detail is None or detail == code):
        detail = BUSINESS_CODES[code]
    if detail is None and code in CARRIER_CODES:
        detail = CARRIER_CODES[code]
    extra = _field(body, "description", "reason")
    if detail and extra and extra != detail and len(extra) < 200:
        detail = f"{detail}: {extra}"
    sentence = cls.sentence
    message = f"{sentence}: {detail}" if detail else sentence
    kwargs: dict[str, Any] = {
        "backend": backend,
        "operation": operation,
        "status_code": response.status_code,
        "code": code,
        "body": body,
        "response": response,
        "reference": reference,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
    return cls(message, **kwargs)
