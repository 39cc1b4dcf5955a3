"""OAuth2 token endpoint response (all three backends)."""

from __future__ import annotations

from pydantic import ConfigDict

from .common import OrangeModel

__all__ = ["TokenResponse"]


class TokenResponse(OrangeModel):
    """`POST /oauth/v3/token` answer: `{"token_type", "access_token", "expires_in"}` (snake_case on the wire)."""

    model_config = ConfigDict(alias_generator=None)

    token_type: str = "Bearer"
    """Always `Bearer`."""
    access_token: str
    """The bearer token."""
    expires_in: int | None = None
    """Lifetime in seconds; Orange says not to rely on it, and a 401 with code 42 means expired."""
    scope: str | None = None
    """Granted scopes, space separated (wholesale)."""
