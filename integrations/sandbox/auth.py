"""OAuth 2.0 client credentials (``POST /oauth/v3/token``) and the bearer / API key checks."""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError, credentials_error, gateway_error
from .routing import Api, Ctx, Router, json_response
from .state import SandboxState, Token

OAUTH = Api("oauth", backend="auth", prefixes=("/oauth/v3", "/oauth/v2"), style="gateway", auth=False)


def _basic_credentials(header: str | None) -> tuple[str, str]:
    if not header or not header.strip():
        raise credentials_error(40)
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise credentials_error(41)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise credentials_error(41) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id or not secret:
        raise credentials_error(41)
    return client_id, secret


async def token(ctx: Ctx) -> Response:
    state = ctx.state
    client_id, secret = _basic_credentials(ctx.request.headers.get("authorization"))
    state.counters.token_requests[client_id] += 1
    clients = state.config.clients
    if clients is not None and clients.get(client_id) != secret:
        raise credentials_error(41)
    raw = (await ctx.request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(raw, keep_blank_values=True))
    grant = form.get("grant_type", "")
    if not grant:
        raise gateway_error(400, 23, "grant_type")
    if grant != "client_credentials":
        raise gateway_error(400, 24, f"grant_type '{grant}' is not supported, use client_credentials")
    scopes = [scope for scope in form.get("scope", "").split(" ") if scope]
    value = secrets.token_urlsafe(21)
    now = state.now()
    ttl = state.config.token_ttl
    state.tokens[value] = Token(value=value, client_id=client_id, scopes=scopes, issued_at=now, expires_at=now + ttl)
    body: dict[str, object] = {"token_type": "Bearer", "access_token": value, "expires_in": int(ttl)}
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def check_bearer(request: Request, state: SandboxState) -> Token:
    header = request.headers.get("authorization")
    if not header or not header.strip():
        raise credentials_error(40)
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise credentials_error(40)
    found = state.tokens.get(value.strip())
    if found is None:
        raise credentials_error(41)
    if state.now() >= found.expires_at:
        raise credentials_error(42)
    return found


def check_api_key(request: Request, state: SandboxState) -> None:
    key = request.headers.get("x-api-key")
    if key is None or not key.strip():
        raise ApiError(400, {"code": 25, "message": "Missing header", "description": "X-API-Key"})
    expected = state.config.api_key
    if expected is not None and key.strip() != expected:
        raise credentials_error(41)


def expire_all(state: SandboxState) -> int:
    now = state.now()
    for found in state.tokens.values():
        found.expires_at = min(found.expires_at, now)
    return len(state.tokens)


def register(router: Router) -> None:
    router.api(OAUTH)
    router.add(OAUTH, "/token", POST=token)
