from __future__ import annotations

import httpx
import pytest
from sandbox_testing import BUSINESS, CARRIER, ORDERING, START, FakeClock, basic, get_token

from integrations.sandbox import create_app

QUOTES = f"{CARRIER}/quoteManagement/v1/quote"
EXPIRED = {
    "code": 42,
    "message": "Expired credentials",
    "description": "The requested service needs credentials, and the ones provided were out-of-date.",
}


async def test_token_response_is_shaped_like_the_seed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/v3/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(), "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert len(body["access_token"]) >= 20


@pytest.mark.parametrize("path", ["/oauth/v3/token", "/oauth/v2/token"])
async def test_scopes_and_v2_alias(client: httpx.AsyncClient, path: str) -> None:
    scope = "owf:united-way:product-order:v1:readonly owf:united-way:product-order:v1:write"
    response = await client.post(
        path, data={"grant_type": "client_credentials", "scope": scope}, headers={"Authorization": basic()}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert client._transport.app.state.sandbox.tokens[token].scopes == scope.split(" ")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        (None, 40, "Missing credentials"),
        ("", 40, "Missing credentials"),
        ("Basic !!!not-base64!!!", 41, "Invalid credentials"),
        ("Basic " + "bm9jb2xvbg==", 41, "Invalid credentials"),  # "nocolon"
        ("Bearer abc", 41, "Invalid credentials"),
        ("Basic", 41, "Invalid credentials"),
    ],
)
async def test_token_credentials_errors(client: httpx.AsyncClient, header: str | None, code: int, message: str) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.post("/oauth/v3/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == code and body["message"] == message and body["description"]


async def test_token_grant_type_is_required(client: httpx.AsyncClient) -> None:
    missing = await client.post("/oauth/v3/token", data={}, headers={"Authorization": basic()})
    wrong = await client.post("/oauth/v3/token", data={"grant_type": "password"}, headers={"Authorization": basic()})
    assert (missing.status_code, missing.json()["code"]) == (400, 23)
    assert (wrong.status_code, wrong.json()["code"]) == (400, 24)


async def test_token_endpoint_refuses_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/oauth/v3/token")
    assert response.status_code == 405
    assert response.json()["code"] == 61


async def test_api_calls_need_a_valid_bearer(client: httpx.AsyncClient) -> None:
    none = await client.get(QUOTES)
    basic_only = await client.get(QUOTES, headers={"Authorization": basic()})
    unknown = await client.get(QUOTES, headers={"Authorization": "Bearer nope"})
    assert (none.status_code, none.json()["code"]) == (401, 40)
    assert (basic_only.status_code, basic_only.json()["code"]) == (401, 40)
    assert (unknown.status_code, unknown.json()["code"]) == (401, 41)
    assert unknown.json()["message"] == "Invalid credentials"


@pytest.mark.parametrize("path", [QUOTES, f"{ORDERING}/productOrder", f"{BUSINESS}/requests"])
async def test_tokens_expire_with_the_clock(client: httpx.AsyncClient, clock: FakeClock, path: str) -> None:
    headers = {"Authorization": f"Bearer {await get_token(client)}", "X-API-Key": "k"}
    clock.advance(3599)
    assert (await client.get(path, headers=headers)).status_code == 200
    clock.advance(1)
    expired = await client.get(path, headers=headers)
    assert expired.status_code == 401
    assert expired.json() == EXPIRED
    fresh = {"Authorization": f"Bearer {await get_token(client)}", "X-API-Key": "k"}
    assert (await client.get(path, headers=fresh)).status_code == 200


async def test_token_ttl_is_configurable() -> None:
    clock = FakeClock()
    app = create_app(clock=clock, token_ttl=60, start=START)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        response = await client.post(
            "/oauth/v3/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic()}
        )
        assert response.json()["expires_in"] == 60
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        clock.advance(61)
        assert (await client.get(QUOTES, headers=headers)).json()["code"] == 42


async def test_admin_expires_every_token(client: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {await get_token(client)}"}
    response = await client.post("/_sandbox/tokens/expire")
    assert response.json() == {"expired": 1}
    assert (await client.get(QUOTES, headers=headers)).json() == EXPIRED


async def test_token_requests_are_counted_per_client(client: httpx.AsyncClient) -> None:
    await get_token(client, "alpha")
    await get_token(client, "alpha")
    await get_token(client, "beta")
    counts = (await client.get("/_sandbox/requests")).json()
    assert counts["token_requests"] == {"alpha": 2, "beta": 1}
    assert counts["counts"]["POST /oauth/v3/token"] == 3


async def test_configured_clients_only() -> None:
    app = create_app(clients={"bot": "s3cret"}, start=START)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        data = {"grant_type": "client_credentials"}
        good = await client.post("/oauth/v3/token", data=data, headers={"Authorization": basic("bot", "s3cret")})
        bad = await client.post("/oauth/v3/token", data=data, headers={"Authorization": basic("bot", "wrong")})
        assert good.status_code == 200
        assert (bad.status_code, bad.json()["code"]) == (401, 41)


async def test_business_needs_an_api_key(client: httpx.AsyncClient) -> None:
    bearer = {"Authorization": f"Bearer {await get_token(client)}"}
    missing = await client.get(f"{BUSINESS}/requests", headers=bearer)
    assert missing.status_code == 400
    assert missing.json() == {"code": 25, "message": "Missing header", "description": "X-API-Key"}
    for name in ("X-API-Key", "x-api-key", "X-Api-Key"):
        response = await client.get(f"{BUSINESS}/requests", headers={**bearer, name: "anything"})
        assert response.status_code == 200, name
    fr = await client.get("/ordering/fr/b2b/v2/requests/W05VL130721", headers={**bearer, "x-api-key": "k"})
    assert fr.status_code == 200


async def test_business_api_key_can_be_configured() -> None:
    app = create_app(api_key="the-key", start=START)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        bearer = {"Authorization": f"Bearer {await get_token(client)}"}
        wrong = await client.get(f"{BUSINESS}/requests", headers={**bearer, "X-API-Key": "other"})
        right = await client.get(f"{BUSINESS}/requests", headers={**bearer, "X-API-Key": "the-key"})
        assert (wrong.status_code, wrong.json()["code"]) == (401, 41)
        assert right.status_code == 200
