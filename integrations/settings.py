"""Carrier settings from the environment (and `.env`) (their names are the public contract).

A backend is enabled when its client id is set, or when ``ORANGE_SANDBOX_URL`` is set: then every base and token
URL is derived from the sandbox, which serves each API under its real path, and all three backends are enabled.
A blank value (empty or only spaces, as `.env.example` leaves most of them) counts as not set: the default applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations._redact import register_secret

__all__ = ["BACKENDS", "Backend", "BackendConfig", "OrangeSettings", "SANDBOX_PATHS"]

Backend = Literal["carrier", "wholesale", "business"]
BACKENDS: tuple[Backend, ...] = ("carrier", "wholesale", "business")

_IC = "https://ope-obs.apibackbone.orange.com"
_API = "https://api.orange.com"

# Where each API lives under a host; the sandbox serves the same paths.
SANDBOX_PATHS: dict[str, str] = {
    "carrier": "/internationalcarriers/mefApi/sonata",
    "ordering": "/united-way/discover/product-ordering-management/v1",
    "inventory": "/united-way/product-inventory-management/v1",
    "catalog": "/united-way/product-catalog-management/v1",
    "business": "/ordering/b2b/v2",
    "token": "/oauth/v3/token",
}

DEFAULT_WHOLESALE_SCOPES = " ".join(
    [
        "owf:united-way:product-order:v1:readonly",
        "owf:united-way:product-order:v1:write",
        "owf:united-way:product-inventory:v1:readonly",
        "owf:united-way:product-catalog:v1:readonly",
    ]
)


def _blank(value: object) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return isinstance(value, str) and not value.strip()


@dataclass(frozen=True)
class BackendConfig:
    """What one backend's client needs: its API base URLs, token URL and credentials."""

    name: Backend
    urls: dict[str, str]
    token_url: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    scopes: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)


class OrangeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    orange_carrier_base_url: str = _IC + SANDBOX_PATHS["carrier"]
    orange_carrier_token_url: str = _IC + SANDBOX_PATHS["token"]
    orange_carrier_client_id: str | None = None
    orange_carrier_client_secret: SecretStr | None = None

    orange_wholesale_ordering_url: str = _API + SANDBOX_PATHS["ordering"]
    orange_wholesale_inventory_url: str = _API + SANDBOX_PATHS["inventory"]
    orange_wholesale_catalog_url: str = _API + SANDBOX_PATHS["catalog"]
    orange_wholesale_token_url: str = _API + SANDBOX_PATHS["token"]
    orange_wholesale_client_id: str | None = None
    orange_wholesale_client_secret: SecretStr | None = None
    orange_wholesale_scopes: str = DEFAULT_WHOLESALE_SCOPES

    orange_business_base_url: str = _API + SANDBOX_PATHS["business"]
    orange_business_token_url: str = _API + SANDBOX_PATHS["token"]
    orange_business_client_id: str | None = None
    orange_business_client_secret: SecretStr | None = None
    orange_business_api_key: SecretStr | None = None

    orange_sandbox_url: str | None = None
    orange_default_backend: Backend | None = None

    # Not in the contract's list but operators need them; defaults suit production.
    orange_http_timeout_seconds: float = 20.0
    orange_retry_budget_seconds: float = 30.0
    orange_max_retries: int = 3
    poll_requests_per_second: float = 25.0
    """Every Orange request's rate cap, per backend (a token bucket that each attempt passes, retries included:
    poll, push, commands alike; Orange documents a threshold, not its figure). 0 or less: no cap."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: object) -> object:
        """An empty or whitespace-only value counts as not set, for every field and from every source.

        `.env.example` lists each variable with an empty value (`SLACK_APP_TOKEN=`): copied as it is, it must
        behave like an empty environment, so a blank value is dropped here and the field takes its default.
        """
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not _blank(value)}
        return data

    def model_post_init(self, __context: object) -> None:
        for secret in (
            self.orange_carrier_client_secret,
            self.orange_wholesale_client_secret,
            self.orange_business_client_secret,
            self.orange_business_api_key,
        ):
            if secret is not None:
                register_secret(secret.get_secret_value())

    def backends(self) -> dict[Backend, BackendConfig]:
        """The enabled backends, in contract order (carrier, wholesale, business)."""
        if self.orange_sandbox_url:
            return self._sandbox_backends(self.orange_sandbox_url.rstrip("/"))
        out: dict[Backend, BackendConfig] = {}
        if self.orange_carrier_client_id:
            out["carrier"] = BackendConfig(
                name="carrier",
                urls={"carrier": self.orange_carrier_base_url.rstrip("/")},
                token_url=self.orange_carrier_token_url,
                client_id=self.orange_carrier_client_id,
                client_secret=self.orange_carrier_client_secret or SecretStr(""),
            )
        if self.orange_wholesale_client_id:
            out["wholesale"] = BackendConfig(
                name="wholesale",
                urls={
                    "ordering": self.orange_wholesale_ordering_url.rstrip("/"),
                    "inventory": self.orange_wholesale_inventory_url.rstrip("/"),
                    "catalog": self.orange_wholesale_catalog_url.rstrip("/"),
                },
                token_url=self.orange_wholesale_token_url,
                client_id=self.orange_wholesale_client_id,
                client_secret=self.orange_wholesale_client_secret or SecretStr(""),
                scopes=self.orange_wholesale_scopes or None,
            )
        if self.orange_business_client_id:
            out["business"] = BackendConfig(
                name="business",
                urls={"business": self.orange_business_base_url.rstrip("/")},
                token_url=self.orange_business_token_url,
                client_id=self.orange_business_client_id,
                client_secret=self.orange_business_client_secret or SecretStr(""),
                api_key=self.orange_business_api_key,
            )
        return out

    def _sandbox_backends(self, root: str) -> dict[Backend, BackendConfig]:
        token = root + SANDBOX_PATHS["token"]

        def secret(value: SecretStr | None, default: str) -> SecretStr:
            return value if value is not None and value.get_secret_value() else SecretStr(default)

        return {
            "carrier": BackendConfig(
                name="carrier",
                urls={"carrier": root + SANDBOX_PATHS["carrier"]},
                token_url=token,
                client_id=self.orange_carrier_client_id or "sandbox-carrier",
                client_secret=secret(self.orange_carrier_client_secret, "sandbox-secret"),
            ),
            "wholesale": BackendConfig(
                name="wholesale",
                urls={k: root + SANDBOX_PATHS[k] for k in ("ordering", "inventory", "catalog")},
                token_url=token,
                client_id=self.orange_wholesale_client_id or "sandbox-wholesale",
                client_secret=secret(self.orange_wholesale_client_secret, "sandbox-secret"),
                scopes=self.orange_wholesale_scopes or None,
            ),
            "business": BackendConfig(
                name="business",
                urls={"business": root + SANDBOX_PATHS["business"]},
                token_url=token,
                client_id=self.orange_business_client_id or "sandbox-business",
                client_secret=secret(self.orange_business_client_secret, "sandbox-secret"),
                api_key=secret(self.orange_business_api_key, "sandbox-api-key"),
            ),
        }

    def default_backend(self) -> Backend | None:
        enabled = self.backends()
        if self.orange_default_backend and self.orange_default_backend in enabled:
            return self.orange_default_backend
        return next(iter(enabled), None)
