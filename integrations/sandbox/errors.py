"""Error bodies in the two shapes Orange uses.

* ``gateway``: the API gateway shape, used by OAuth, the carrier and business APIs and by every
  authentication error: ``{"code": 42, "message": "Expired credentials", "description": "..."}``.
* ``tmf``: the United Way (TM Forum) shape: ``{"code": "60", "message": "...", "reason": "...", "@type": "Error"}``.
"""

from __future__ import annotations

from typing import Any, Literal

Style = Literal["gateway", "tmf"]

MESSAGES: dict[int, str] = {
    1: "Internal Server Error",
    5: "The service is temporarily unavailable",
    20: "Invalid URL parameter value",
    21: "Missing body",
    22: "Invalid body",
    23: "Missing body field",
    24: "Invalid body field",
    25: "Missing header",
    26: "Invalid header value",
    27: "Missing query-string parameter",
    28: "Invalid query-string parameter value",
    40: "Missing credentials",
    41: "Invalid credentials",
    42: "Expired credentials",
    50: "Access denied",
    60: "Resource not found",
    61: "Method not allowed",
    62: "Not acceptable",
    68: "Unsupported Media Type",
    69: "Conflict",
}

CREDENTIAL_DESCRIPTIONS: dict[int, str] = {
    40: "The requested service needs credentials, but none were provided.",
    41: "The requested service needs credentials, and the ones provided were invalid.",
    42: "The requested service needs credentials, and the ones provided were out-of-date.",
}


class ApiError(Exception):
    """An error response: raise it from a handler, the dispatcher turns it into JSON."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def gateway_error(status: int, code: int, description: str, *, message: str | None = None) -> ApiError:
    return ApiError(
        status, {"code": code, "message": message or MESSAGES.get(code, "Error"), "description": description}
    )


def tmf_error(status: int, code: int | str, reason: str, *, message: str | None = None) -> ApiError:
    text = message if message is not None else MESSAGES.get(int(code), "Error") if str(code).isdigit() else "Error"
    return ApiError(status, {"code": str(code), "message": text, "reason": reason, "@type": "Error"})


def styled_error(style: Style, status: int, code: int, detail: str, *, message: str | None = None) -> ApiError:
    """An error with a numeric Orange code, in the shape of the API that raises it."""
    if style == "tmf":
        return tmf_error(status, code, detail, message=message)
    return gateway_error(status, code, detail, message=message)


def credentials_error(code: int) -> ApiError:
    """401 with code 40 (missing), 41 (invalid) or 42 (expired), always in the gateway shape."""
    return gateway_error(401, code, CREDENTIAL_DESCRIPTIONS[code])
