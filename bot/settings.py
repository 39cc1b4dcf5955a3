"""All settings of the bot process: the carrier settings plus Slack, database, polling and approvals."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from integrations import OrangeSettings, register_secret

__all__ = ["Settings", "parse_amount", "parse_duration"]


def parse_amount(text: str) -> tuple[Decimal, str]:
    """`10000 EUR`, `10 000 eur`, `EUR 10000` → (Decimal("10000"), "EUR"); ValueError otherwise."""
    words = text.replace(",", "").split()
    currency = [w for w in words if w.isalpha()]
    digits = "".join(w for w in words if not w.isalpha())
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        amount = Decimal("NaN")
    if len(currency) != 1 or len(currency[0]) != 3 or not amount.is_finite() or amount < 0:
        raise ValueError(f"an amount and a currency, such as `10000 EUR`, not {text!r}")
    return amount, currency[0].upper()


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)")
"""A number and its unit, the unit's first letter deciding: `4h`, `4 hours`, `7 days`, `30min`, `2 weeks`."""
_OFF = frozenset({"0", "off", "never", "none"})


def parse_duration(text: str) -> timedelta | None:
    """`4h`, `30m`, `7d`, `2w`, `1d 12h`, `90s` (units s, m, h, d, w, combined); `0`/`off`/`never`: None (disabled).

    A bare number is refused: `4` could mean hours as well as seconds.
    """
    value = text.strip().lower()
    if value in _OFF:
        return None
    compact = value.replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or _PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration: write it like 4h, 30m, 7d or 1d12h (or off)")
    total = timedelta(seconds=sum(float(n) * _UNITS[u[0]] for n, u in parts))
    return total if total > timedelta(0) else None


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
    approver_group: str | None = None
    """A Slack user group (`@handle`, `handle` or its id `S…`) whose members may decide approvals; with
    `APPROVER_USER_IDS` too, either may. A channel's `approvers=` setting names its own group instead."""
    approval_two_people_above: str | None = None
    """`10000 EUR`: an approval whose first-year amount is above this needs two different approvers."""
    approval_remind_after: timedelta | None = timedelta(hours=4)
    """A pending approval's approvers are reminded by DM this long after the request, then daily; None: never."""
    approval_expires_after: timedelta | None = timedelta(days=7)
    """A pending approval nobody decided expires this long after the request; None: never."""
    orange_carrier_order_defaults: Path | None = None

    subscription_watch_limit: int = 200
    """Live watches one subscription may have at a time."""
    hub_callback_url: str | None = None
    """The public base URL Orange posts its hub notifications to (`<base>/orange/hub/<secret>`); unset: no push."""
    digest_stale_days: int = 7
    """A digest lists orders that stayed in one state longer than this."""

    allowed_team_ids: Annotated[tuple[str, ...], NoDecode] = ()
    """Other Slack teams (or enterprises) deliberately allowed to act; the bot's own team and enterprise, learnt
    from `auth.test` at start, always are. Empty: every other team is refused."""
    subscription_rules_per_channel: int = 10
    """Live channel rules one channel may hold."""
    outbox_keep_days: float = 30.0
    """Sent outbox rows, and the bookkeeping of ended watches, are pruned after this many days."""
    history_keep_days: float = 730.0
    metrics_port: int | None = None
    """Serve `GET /metrics` on this port only (loopback and cluster-internal scraping), not on `PORT`."""
    metrics_token: SecretStr | None = None
    """`GET /metrics` on `PORT` then needs `Authorization: Bearer <token>`."""

    @field_validator("approver_user_ids", "allowed_team_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("approval_two_people_above", mode="after")
    @classmethod
    def _check_threshold(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            parse_amount(value)
            return value.strip()
        return None

    @property
    def two_people_above(self) -> tuple[Decimal, str] | None:
        """`APPROVAL_TWO_PEOPLE_ABOVE` as (amount, currency), or None when every approval needs one person."""
        return parse_amount(self.approval_two_people_above) if self.approval_two_people_above else None

    @field_validator("approval_remind_after", "approval_expires_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_duration(value)
        return value

    def model_post_init(self, __context: object) -> None:
        super().model_post_init(__context)
        for secret in (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.metrics_token):
            if secret is not None:
                register_secret(secret.get_secret_value())
