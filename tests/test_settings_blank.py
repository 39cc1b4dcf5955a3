"""A blank setting (empty or only spaces) counts as unset: `.env.example` copied as it is must run in HTTP mode."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.runner import run
from bot.settings import Settings, parse_duration

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"

# Every variable `.env.example` names, plus the ones a developer's shell may hold: none may leak into a test.
_NAMES = sorted(
    set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), flags=re.MULTILINE))
    | {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ORANGE_SANDBOX_URL", "PORT"}
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./.env either


def _assert_defaults(settings: Settings) -> None:
    assert settings.slack_app_token is None  # so `run` picks HTTP mode
    assert settings.port == 3000
    assert settings.orange_sandbox_url is None
    assert settings.orange_default_backend is None
    assert settings.orange_carrier_order_defaults is None
    assert settings.approver_user_ids == ()
    assert settings.orange_carrier_client_id is None
    assert settings.orange_business_api_key is None
    assert settings.backends() == {}


def test_env_example_copied_as_is_means_http_mode(tmp_path: Path) -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^SLACK_APP_TOKEN=$", text, flags=re.MULTILINE), "the example leaves SLACK_APP_TOKEN blank"
    # Docker's --env-file and compose's env_file read a value to the end of its line: no comment after a value.
    assert not re.findall(r"^[A-Z][A-Z0-9_]*=[^\n]*[ \t]#[^\n]*$", text, flags=re.MULTILINE)
    text = re.sub(r"^SLACK_BOT_TOKEN=.*$", "SLACK_BOT_TOKEN=xoxb-test-token", text, flags=re.MULTILINE)
    text = re.sub(r"^SLACK_SIGNING_SECRET=.*$", "SLACK_SIGNING_SECRET=test-signing-secret", text, flags=re.MULTILINE)
    env = tmp_path / "example.env"
    env.write_text(text, encoding="utf-8")

    settings = Settings(_env_file=env)  # type: ignore[call-arg]

    _assert_defaults(settings)
    assert settings.slack_bot_token == SecretStr("xoxb-test-token")
    assert settings.slack_signing_secret == SecretStr("test-signing-secret")
    # Values the example does set are still read.
    assert settings.orange_http_timeout_seconds == 20.0
    assert settings.slack_command == "/orange"


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_environment_variables_are_unset(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    for name in (
        "SLACK_APP_TOKEN",
        "PORT",
        "ORANGE_SANDBOX_URL",
        "ORANGE_DEFAULT_BACKEND",
        "ORANGE_CARRIER_ORDER_DEFAULTS",
        "APPROVER_USER_IDS",
        "ORANGE_CARRIER_CLIENT_ID",
        "ORANGE_BUSINESS_API_KEY",
        "ORANGE_WHOLESALE_SCOPES",
        "SLACK_BOT_TOKEN",
    ):
        monkeypatch.setenv(name, blank)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    _assert_defaults(settings)
    assert settings.slack_bot_token is None
    assert settings.orange_wholesale_scopes.startswith("owf:united-way:")


def test_blank_keyword_arguments_are_unset() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_app_token=" ",
        slack_bot_token=SecretStr("  "),
        orange_default_backend="",
        orange_carrier_order_defaults="\t",
    )
    assert settings.slack_app_token is None and settings.slack_bot_token is None
    assert settings.orange_default_backend is None and settings.orange_carrier_order_defaults is None


@pytest.mark.parametrize("blank", ["", "   "])
async def test_run_refuses_a_blank_bot_token_in_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, blank: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", blank)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        assert await run(settings) == 2

    records = [r for r in caplog.records if r.name == "bot.runner" and r.levelno >= logging.ERROR]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "\n" not in line
    assert "SLACK_BOT_TOKEN" in line and "SLACK_SIGNING_SECRET" not in line
    assert "blank" in line


async def test_run_names_both_missing_settings(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(_env_file=None, slack_signing_secret="")  # type: ignore[call-arg]
    with caplog.at_level(logging.ERROR, logger="bot.runner"):
        assert await run(settings) == 2
    (record,) = [r for r in caplog.records if r.name == "bot.runner"]
    assert record.getMessage() == (
        "orange-bot run needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (unset or blank; see .env.example)"
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("4h", 14400),
        ("4 h", 14400),
        ("7 days", 604800),
        ("1d12h", 129600),
        ("1d 12h", 129600),
        ("30min", 1800),
        ("2 weeks", 1209600),
        ("90s", 90),
        ("1 hour", 3600),
        ("off", None),
        ("never", None),
        ("0", None),
    ],
)
def test_a_duration_is_a_number_and_a_unit(text: str, seconds: int | None) -> None:
    parsed = parse_duration(text)
    assert (parsed.total_seconds() if parsed is not None else None) == seconds


@pytest.mark.parametrize("text", ["4", "4x", "h4", "4 hours x", "4 months", "-1h", ""])
def test_a_duration_without_a_unit_or_with_another_word_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
