"""``python -m integrations.sandbox --port 8765``: serve the sandbox."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .server import serve


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox", description="Orange APIs sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--step-seconds", type=float, default=5.0, help="seconds between two lifecycle steps")
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="access token lifetime in seconds")
    parser.add_argument("--max-page-size", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    parser.add_argument("--api-key", default=None, help="the only business X-API-Key accepted (default: any)")
    parser.add_argument("--no-seed", action="store_true", help="start empty")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        log_level=args.log_level,
        step_seconds=args.step_seconds,
        token_ttl=args.token_ttl,
        max_page_size=args.max_page_size,
        latency=args.latency,
        api_key=args.api_key,
        seed=not args.no_seed,
    )


if __name__ == "__main__":
    main()
