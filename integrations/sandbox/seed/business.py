"""The business API's seed: the documented requests, then generated ones."""

from __future__ import annotations

from ..business import synthetic_requests
from ..state import SandboxState
from .documents import example


def seed_business(state: SandboxState) -> None:
    for slug in ("business/requests-list-item", "business/requests-list-filter-type", "business/request-get"):
        body = example(slug)
        for record in body if isinstance(body, list) else [body]:
            if isinstance(record, dict) and "id" in record and record["id"] not in state.business_requests:
                state.business_requests.put(record)
    for record in synthetic_requests(state.config.synthetic_business_requests):
        if record["id"] not in state.business_requests:
            state.business_requests.put(record)
