"""Error bodies. Orange sends `code` as a number (`42`) or a string (`"60"`); we keep it as `str`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from .common import OrangeModel

__all__ = ["EXPIRED_CREDENTIALS_CODE", "ErrorBody"]

EXPIRED_CREDENTIALS_CODE = "42"
"""`code` of a 401 whose token has expired: fetch a new token and retry once."""


def _code_to_str(value: object) -> object:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


class ErrorBody(OrangeModel):
    """An error response: `{"code", "message", "description"}` or TMF `{"code", "message", "reason", "@type"}`."""

    code: Annotated[str | None, BeforeValidator(_code_to_str)] = None
    """Orange's functional code (`42` expired credentials, `60` not found, `25` missing header…)."""
    message: str | None = None
    """Short message."""
    description: str | None = None
    """Longer explanation (Apigee-style errors)."""
    reason: str | None = None
    """Reason (TMF errors)."""
    status: str | None = None
    """HTTP status, when repeated in the body."""
    reference_error: str | None = None
    """Link to documentation of the error (TMF)."""
    type_: str | None = Field(default=None, alias="@type")

    @property
    def text(self) -> str:
        """One line for people: message, then description or reason."""
        parts = [p for p in (self.message, self.description or self.reason) if p]
        return " — ".join(dict.fromkeys(p.strip() for p in parts)) or "unknown error"
