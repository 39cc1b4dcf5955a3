"""Benchmark: 1,000 concurrent reads through OrangeClient against the sandbox on loopback, beside naive clients.

    .venv/bin/python bench/client.py [--calls 1000] [--json bench/results/client.json]

The sandbox runs in its own process (uvicorn on 127.0.0.1); each client runs in its own process so its peak RSS
is its own. Rows:
  orange-bot      one pooled AsyncClient, one cached token per backend
  naive-conn      a new connection per call (token fetched once and shared)
  naive-token     a new connection and a new token per call (what a Postman-style script does)
Reported per row: requests/s, token requests seen by the server, p50/p99 latency, peak RSS, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ORDERING = "/united-way/discover/product-ordering-management/v1"
WHOLESALE_IDS = [
    "de76cfa1-9a55-412f-a9ee-61ca2f662a63",
    "e7dee14c-cd85-495a-9931-ef3c06f2559b",
    "37cf411f-5258-409a-9703-66cf965c9f43",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run_orange_bot(url: str, calls: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from integrations import OrangeClient, OrangeSettings

    latencies: list[float] = []
    errors = 0
    async with OrangeClient(OrangeSettings(orange_sandbox_url=url), max_connections=100) as client:

        async def one(i: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                await client.wholesale.orders.get(WHOLESALE_IDS[i % len(WHOLESALE_IDS)])
            except Exception:
                errors += 1
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "errors": errors}


async def run_naive(url: str, calls: int, *, token_per_call: bool) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    basic = ("sandbox-wholesale", "sandbox-secret")
    shared_token: str | None = None
    token_lock = asyncio.Lock()

    async def token(client: httpx.AsyncClient) -> str:
        response = await client.post(f"{url}/oauth/v3/token", data={"grant_type": "client_credentials"}, auth=basic)
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def one(i: int) -> None:
        nonlocal errors, shared_token
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient(timeout=60) as client:  # a new connection for every call
                if token_per_call:
                    bearer = await token(client)
                else:
                    async with token_lock:
                        if shared_token is None:
                            shared_token = await token(client)
                    bearer = shared_token
                response = await client.get(
                    f"{url}{ORDERING}/productOrder/{WHOLESALE_IDS[i % len(WHOLESALE_IDS)]}",
                    headers={"Authorization": f"Bearer {bearer}"},
                )
                response.raise_for_status()
                response.json()
        except Exception:
            errors += 1
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    return {"elapsed": time.perf_counter() - started, "latencies": latencies, "errors": errors}


def worker(mode: str, url: str, calls: int) -> None:
    if mode == "orange-bot":
        result = asyncio.run(run_orange_bot(url, calls))
    else:
        result = asyncio.run(run_naive(url, calls, token_per_call=mode == "naive-token"))
    latencies = result["latencies"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "mode": mode,
                "calls": calls,
                "errors": result["errors"],
                "requests_per_s": calls / result["elapsed"],
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": percentile(latencies, 0.99) * 1000,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "cpu_ms_per_call": (usage.ru_utime + usage.ru_stime) * 1000 / calls,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--worker", default=None)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.calls)
        return 0

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "integrations.sandbox", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
    )
    rows: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_sandbox/requests", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.1)
        for mode in ("orange-bot", "naive-conn", "naive-token"):
            httpx.post(f"{url}/_sandbox/requests/reset", timeout=5)
            out = subprocess.run(
                [sys.executable, __file__, "--worker", mode, "--url", url, "--calls", str(args.calls)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            counts = httpx.get(f"{url}/_sandbox/requests", timeout=5).json()
            row["token_requests"] = sum(counts.get("token_requests", {}).values())
            rows.append(row)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"{args.calls} concurrent GET productOrder/{{id}} against the sandbox on loopback\n")
    print("| client | requests/s | token requests | p50 ms | p99 ms | client CPU ms/call | peak RSS MB | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['mode']} | {row['requests_per_s']:.0f} | {row['token_requests']} | {row['p50_ms']:.0f} "
            f"| {row['p99_ms']:.0f} | {row['cpu_ms_per_call']:.2f} | {row['peak_rss_mb']:.0f} | {row['errors']} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    ours = rows[0]
    return 0 if ours["token_requests"] == 1 and ours["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
