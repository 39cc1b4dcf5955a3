"""Orange Business ordering requests API v2 (bearer token and ``X-API-Key``)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from .routing import Api, Ctx, Router, collection, one
from .state import Record, iso_seconds

BUSINESS = Api(
    "business",
    backend="business",
    prefixes=("/ordering/b2b/v2", "/ordering/fr/b2b/v2"),
    style="gateway",
    api_key=True,
)

TYPES = ("C_GENERIC_S1", "R_BVPN_S1A", "C_BVPN_S1", "M_BVPN_S1", "C_INTERNET_S1", "R_GENERIC_S1", "M_GENERIC_S1")
STEPS = ("REQUEST", "VALIDATION", "DELIVERY", "COMPLETED", "CANCELLED")
CITIES = (("NANTES", "44000"), ("LYON", "69003"), ("LILLE", "59000"), ("RENNES", "35000"), ("SAINT-DIE", "88100"))


def synthetic_requests(count: int, *, seed: int = 2021, start: datetime | None = None) -> list[Record]:
    """Deterministic requests with varied type, step and createdAt, so paging and sorting mean something."""
    rng = random.Random(seed)
    base = start or datetime(2021, 1, 4, 8, 0, 0, tzinfo=UTC)
    used: set[str] = set()
    out: list[Record] = []
    for number in range(count):
        created = base + timedelta(days=rng.randint(0, 270), minutes=rng.randint(0, 600))
        kind = TYPES[number % len(TYPES)]
        city, postcode = CITIES[rng.randrange(len(CITIES))]
        ident = ""
        while not ident or ident in used:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
            ident = f"W{rng.randint(10, 99)}{letters}{created:%d%m%y}"
        used.add(ident)
        out.append(
            {
                "id": ident,
                "customerReference": f"REF-{number + 1:04d}",
                "step": STEPS[rng.randrange(len(STEPS))],
                "priority": rng.choice(("LOW", "MEDIUM", "HIGH")),
                "category": {"C": "NEW", "M": "MODIFICATION", "R": "TERMINATION"}[kind[0]],
                "isArchived": False,
                "customer": {"id": "33-01257052", "name": "demo.gcompte"},
                "type": kind,
                "createdAt": iso_seconds(created),
                "updatedAt": iso_seconds(created + timedelta(days=rng.randint(0, 20))),
                "properties": {
                    "domain": rng.choice(("DATA", "VOICE", "INTERNET")),
                    "installationPlannedAt": f"{created + timedelta(days=30):%Y-%m-%d}",
                    "location": {
                        "name": f"DEMO SITE {number + 1:02d}",
                        "address": {
                            "street": f"{rng.randint(1, 120)} Rue DE LA GARE",
                            "postalCode": postcode,
                            "city": city,
                            "country": "FR",
                        },
                    },
                },
                "attachments": [],
            }
        )
    return out


async def list_requests(ctx: Ctx) -> Response:
    return collection(ctx, ctx.state.business_requests)


async def get_request(ctx: Ctx) -> Response:
    ident = ctx.params["id"]
    record = ctx.state.business_requests.get(ident)
    if record is None:
        raise BUSINESS.not_found("request", ident)
    return one(ctx, record)


def register(router: Router) -> None:
    router.api(BUSINESS)
    router.add(BUSINESS, "/requests", GET=list_requests)
    router.add(BUSINESS, "/requests/{id}", GET=get_request)
