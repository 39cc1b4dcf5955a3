"""`orange-bot`: the command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from integrations import install_log_redaction

__all__ = ["configure_logging", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orange-bot", description="Slack bot and notifier for Orange's ordering APIs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("demo", help="run the bot on its embedded defaults (sandbox, Slack simulator, SQLite)")
    sub.add_parser("run", help="run against real Slack (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")

    sandbox = sub.add_parser("sandbox", help="serve the fake carrier APIs on their own")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--step-seconds", type=float, default=5.0, help="seconds between two lifecycle steps")
    sandbox.add_argument("--token-ttl", type=float, default=3600.0, help="access token lifetime in seconds")
    sandbox.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration (also done automatically at start)")

    sub.add_parser("audit", help="print the approvals audit trail as CSV")

    hub = sub.add_parser("hub", help="Orange's push notifications (HUB_CALLBACK_URL)")
    hub_sub = hub.add_subparsers(dest="hub_command", metavar="ACTION")
    hub_sub.add_parser("register", help="register the missing hubs now (the bot also does it at start)")
    hub_sub.add_parser("unregister", help="delete every hub this deployment registered at Orange")
    return parser


QUIET_LOGGERS = ("alembic", "httpx", "uvicorn")
"""At WARNING unless `-v`."""
BODY_LOGGERS = ("slack_sdk", "slack_bolt", "bot.bolt")
"""At INFO even with `-v`: their debug lines carry whole requests and answers (message text and blocks, the
response_url, a capability to post for 30 minutes). `bot.bolt` is the logger our bolt app (and its Socket Mode
client) is given."""


def configure_logging(*, verbose: bool, json_lines: bool) -> None:
    """One set of handlers on the root logger (text, or JSON with `LOG_FORMAT=json`), each masking secrets;
    every logger, uvicorn's included (it runs with `log_config=None`), writes through them."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if json_lines:
        from bot.metrics import JsonFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    install_log_redaction()
    if not verbose:
        for noisy in QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in BODY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))


def main(argv: Sequence[str] | None = None) -> int:
    # As PID 1 in a container, a signal with no handler is ignored: until `run` installs its own (after the heavy
    # imports), SIGTERM stops the process the way Ctrl-C does, instead of waiting for docker's SIGKILL.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args = _parser().parse_args(argv)
    configure_logging(verbose=args.verbose, json_lines=os.environ.get("LOG_FORMAT", "").strip().lower() == "json")
    if args.command == "sandbox":
        from integrations.sandbox.server import serve

        print(f"Orange sandbox on http://{args.host}:{args.port} (ORANGE_SANDBOX_URL); Ctrl-C stops it", flush=True)
        serve(
            args.host,
            args.port,
            log_level="info" if args.verbose else "warning",
            step_seconds=args.step_seconds,
            token_ttl=args.token_ttl,
            latency=args.latency,
        )
        return 0
    if args.command == "demo":
        from bot.demo import main as demo

        logging.getLogger().setLevel(logging.WARNING)
        return demo()
    if args.command == "db" and args.db_command == "upgrade":
        from bot.settings import Settings
        from storage.migrate import upgrade

        upgrade(Settings().database_url)
        print("database is up to date")
        return 0
    if args.command == "audit":
        from bot.audit import write_csv
        from bot.settings import Settings

        return write_csv(Settings().database_url, sys.stdout)
    if args.command == "hub" and args.hub_command in ("register", "unregister"):
        import asyncio

        from bot.runner import hub_command
        from bot.settings import Settings

        return asyncio.run(hub_command(Settings(), args.hub_command))
    if args.command == "run":
        import asyncio

        from bot.runner import run
        from bot.settings import Settings

        return asyncio.run(run(Settings()))
    _parser().print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":
    raise SystemExit(main())
