"""The operators' instruments: Prometheus metrics (`GET /metrics` on PORT, both Slack modes) and JSON logs.

    metrics = Metrics()                        # one per process (its own registry)
    OrangeClient(settings, observer=metrics)   # carrier requests and token fetches are counted
    body = await metrics.render(engine)        # the exposition text, with the database's counts read now

Labels are names of ours (backend, operation, HTTP status, Slack method and error code): never a secret, an id or a
URL. `LOG_FORMAT=json` makes every log line one JSON object (time, level, logger, message, exception), after the
same redaction as the text format.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from integrations import redact
from storage import crud
from storage.db import session_scope

__all__ = ["CONTENT_TYPE_LATEST", "JsonFormatter", "Metrics"]

_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_ACK = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0)


class _Database(Collector):
    """Gauges read from the database when scraped (every replica reports the shared numbers)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.engine is None:
            return
        with session_scope(self.engine, write=False) as session:
            counts = crud.operational_counts(session=session)
        yield GaugeMetricFamily("orange_bot_outbox_pending", "Slack posts owed and not sent yet", counts.outbox_pending)
        yield GaugeMetricFamily(
            "orange_bot_outbox_oldest_age_seconds", "Age of the oldest post still owed", counts.outbox_oldest_seconds
        )
        yield GaugeMetricFamily(
            "orange_bot_outbox_dead", "Posts given up (Slack refused them for good)", counts.outbox_dead
        )
        approvals = GaugeMetricFamily("orange_bot_approvals", "Approvals by state", labels=["state"])
        for state, n in sorted(counts.approvals.items()):
            approvals.add_metric([state], n)
        yield approvals
        yield GaugeMetricFamily("orange_bot_watches_live", "Live watches (orders and products)", counts.watches_live)
        yield GaugeMetricFamily("orange_bot_watches_paused", "Watches Slack refuses to post for", counts.watches_paused)
        yield GaugeMetricFamily("orange_bot_subscriptions_live", "Live channel rules", counts.subscriptions_live)


class Metrics:
    """This process's counters and histograms; also the `integrations.Observer` of its Orange client."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.poll_cycles = Counter("orange_bot_poll_cycles", "Poll cycles run", registry=r)
        self.poll_seconds = Histogram(
            "orange_bot_poll_cycle_seconds", "Poll cycle duration", buckets=_SECONDS, registry=r
        )
        self.carrier_requests = Counter(
            "orange_bot_carrier_requests",
            "Requests to Orange by backend, operation and outcome (HTTP status, timeout, unreachable)",
            ["backend", "operation", "status"],
            registry=r,
        )
        self.token_requests = Counter("orange_bot_token_requests", "OAuth2 tokens fetched", ["backend"], registry=r)
        self.slack_calls = Counter(
            "orange_bot_slack_api_calls", "Slack Web API calls by method and outcome", ["method", "status"], registry=r
        )
        self.ack_seconds = Histogram(
            "orange_bot_slack_ack_seconds",
            "From a Slack request's arrival to its ack",
            ["mode"],
            buckets=_ACK,
            registry=r,
        )
        self.hub_events = Counter(
            "orange_bot_hub_events", "Events received from Orange's hubs", ["event_type"], registry=r
        )
        self._database = _Database()
        r.register(self._database)

    # integrations.Observer
    def request_done(self, backend: str, operation: str, outcome: str) -> None:
        self.carrier_requests.labels(backend, operation, outcome).inc()

    def token_fetched(self, backend: str) -> None:
        self.token_requests.labels(backend).inc()

    def slack_call(self, method: str, outcome: str) -> None:
        self.slack_calls.labels(method, outcome).inc()

    def poll_cycle(self, seconds: float) -> None:
        self.poll_cycles.inc()
        self.poll_seconds.observe(seconds)

    def timed_ack(self, mode: str) -> _Timer:
        return _Timer(self.ack_seconds.labels(mode))

    async def render(self, engine: Engine) -> bytes:
        """The exposition text; the database gauges are read now, off the event loop."""
        self._database.engine = engine
        return await asyncio.to_thread(generate_latest, self.registry)


class _Timer:
    def __init__(self, histogram: Any) -> None:
        self._histogram = histogram
        self._started = 0.0

    def __enter__(self) -> _Timer:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `at`, `level`, `logger`, `message` (redacted by the handler's filter) and `error`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def label_values(families: Iterable[Any], name: str) -> dict[tuple[str, ...], float]:
    """{label values: value} of one metric in a parsed exposition (for tests and the README's examples)."""
    found: dict[tuple[str, ...], float] = {}
    for family in families:
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sample.labels.values())] = sample.value
    return found
