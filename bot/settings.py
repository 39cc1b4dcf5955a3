"""All settings of the bot process: the carrier settings plus Slack, database, polling and approvals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from integrations import OrangeSettings, register_secret

__all__ = ["Settings"]


class Settings(OrangeSettings):
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_command: str = "/orange"
    port: int = 3000

    database_url: str = "sqlite:///./orange-bot.db"
    poll_interval_seconds: float = 300.0
    approver_user_ids: Annotated[tuple[str, ...], NoDecode] = ()
    allow_self_approval: bool = False
    orange_carrier_order_defaults: Path | None = None

    subscription_watch_limit: int = 200
    """Live watches one subscription may have at a time."""
    hub_callback_url: str | None = None
    """The public base URL Orange posts its hub notifications to (`<base>/orange/hub/<secret>`); unset: no push."""
    digest_stale_days: int = 7
    """A digest lists orders that stayed in one state longer than this."""
    poll_requests_per_second: float = 25.0
    """The poll's request-rate cap, per backend (a token bucket; Orange documents no figure, only a threshold)."""

    @field_validator("approver_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    def model_post_init(self, __context: object) -> None:
        super().model_post_init(__context)
        for secret in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token):
            if secret is not None:
                register_secret(secret.get_secret_value())
