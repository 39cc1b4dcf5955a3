"""Keep secrets out of messages and logs.

Every client secret, token and API key the process knows is registered here; `redact()` replaces them (and any
`Bearer …` / `Basic …` credential) wherever text leaves the process: exception messages, log records, Slack text.
Capabilities written into URLs are masked by their shape: a Slack response_url or incoming webhook (anyone holding
one may post for 30 minutes), the Slack simulator's equivalent, and the secret in Orange's hub callback path.
"""

from __future__ import annotations

import logging
import re
import threading

_MASK = "[redacted]"
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_SLACK_HOOK = re.compile(r"(?i)(https?://hooks\.slack(?:-gov)?\.com)/[^\s\"'<>]*")
# hooks.slack.com's paths (`/commands/T…/<id>/<token>`), and the simulator's `/response/T…/<n>/<token>`, alone.
_HOOK_PATH = re.compile(r"/(commands|actions|services|workflows|response)/[TE][A-Za-z0-9_]*/[A-Za-z0-9]+/[\w-]+")
_HUB_PATH = re.compile(r"(/orange/hub/)[^/\s\"'<>?#]+")
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that `redact` masks it; values shorter than 4 characters are ignored."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Mask every registered secret and any HTTP credential in `text`."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {_MASK}", text)
    text = _SLACK_HOOK.sub(lambda m: f"{m.group(1)}/{_MASK}", text)
    text = _HOOK_PATH.sub(lambda m: f"/{m.group(1)}/{_MASK}", text)
    return _HUB_PATH.sub(lambda m: f"{m.group(1)}{_MASK}", text)


_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """A logging filter that renders the record once and masks secrets in the result, traceback included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text` when it is set: the traceback is rendered once, here, already masked.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach `RedactingFilter` to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
