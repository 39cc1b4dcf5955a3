"""A guided tour of the client against the sandbox: what `make demo` shows until the Slack bot lands.

It serves the sandbox on a loopback port, points an `OrangeClient` at it (`ORANGE_SANDBOX_URL`) and prints what
the bot will show: sites, an address check, quotes, orders with their items, prices, milestones and errors, the
inventory, a catalog offering and business requests, then places an order and follows it through its lifecycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from integrations._exceptions import APIError
from integrations.client import OrangeClient
from integrations.sandbox.server import running
from integrations.settings import OrangeSettings
from integrations.states import emoji, label
from integrations.views import (
    OrderView,
    address_validation_view,
    offering_view,
    order_view_from_business,
    order_view_from_carrier,
    order_view_from_wholesale,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)

Print = Callable[[str], None]


def _order_lines(view: OrderView) -> list[str]:
    lines = [f"{view.reference}  {emoji(view.state)} {label(view.state)}  (raw: {view.state_raw})"]
    for item in view.items:
        what = item.offering_name or item.offering_id or item.specification_id or ""
        lines.append(f"    item {item.id}: {emoji(item.state)} {label(item.state)}  {what}")
    for price in view.prices:
        period = f"/{price.period}" if price.period else ""
        lines.append(f"    price: {price.amount} {price.currency}{period} ({price.kind.replace('_', '-')})")
    for milestone in view.milestones:
        lines.append(f"    milestone: {milestone.message}")
    for error in view.error_messages:
        lines.append(f"    error [{error.status}] {error.reason}: {error.message}")
    return lines


async def tour(url: str, out: Print = print) -> None:
    settings = OrangeSettings(orange_sandbox_url=url, _env_file=None)
    async with OrangeClient(settings) as orange:
        out(f"Sandbox at {url}; backends enabled: {', '.join(orange.enabled)}\n")

        out("$ sites city=Paris")
        async for site in orange.carrier.sites.list({"geographicAddress.city": "Paris"}):
            out("    " + site_view_from_carrier(site).one_line)

        out("\n$ address street=des fleurs nr=12 city=Bezons postcode=95870 country=France")
        check = await orange.carrier.addresses.validate(
            {
                "provideAlternative": True,
                "submittedGeographicAddress": {
                    "@type": "FieldedAddress",
                    "associatedGeographicAddress": {
                        "streetName": "des fleurs",
                        "streetNr": "12",
                        "city": "Bezons",
                        "postcode": "95870",
                        "country": "France",
                    },
                },
                "@type": "GeographicAddressValidation",
            }
        )
        result = address_validation_view(check)
        best = result.best_match.line if result.best_match else "no match"
        out(f"    {result.result}: {best}")

        out("\n$ quote 6")
        quote = quote_view_from_carrier(await orange.carrier.quotes.get(6))
        out(f"    {quote.reference} {quote.state} until {quote.valid_until}, orderable now: {quote.is_orderable()}")

        out("\n$ order carrier:11")
        for line in _order_lines(order_view_from_carrier(await orange.carrier.orders.get(11))):
            out("    " + line)

        out("\n$ orders wholesale (first page)")
        page = await orange.wholesale.orders.list({"fields": ["state"]}, limit=5)
        out(f"    X-Total-Count {page.total}, this page {len(page)}")
        for order in page:
            view = order_view_from_wholesale(order)
            out(f"    {view.reference}  {emoji(view.state)} {label(view.state)}")

        out("\n$ products wholesale relatedParty.id=ea69228c-600a-4058-8e4e-e13fcc8bf89f")
        async for product in orange.wholesale.products.list(
            {"relatedParty.id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f"}, max_items=3
        ):
            pview = product_view_from_wholesale(product)
            out(f"    {pview.reference}  {pview.name}  {pview.status}")

        out("\n$ offer GOC40150084001")
        offer = offering_view(await orange.wholesale.catalog.offering("GOC40150084001"))
        out(f"    {offer.id}: {offer.name} ({offer.type})")

        out("\n$ orders business (sorted by -createdAt, 3 per page)")
        page_b = await orange.business.requests.list({"sort": "-createdAt"}, limit=3)
        out(f"    X-Total-Count {page_b.total}, X-Result-Count {page_b.result_count}")
        for request in page_b:
            bview = order_view_from_business(request)
            out(f"    {bview.reference}  {bview.specification}  {emoji(bview.state)} {label(bview.state)}")

        out("\n$ order wholesale:does-not-exist")
        try:
            await orange.wholesale.orders.get("does-not-exist")
        except APIError as err:
            out(f"    {err}")

        out("\nPlacing a wholesale order and following it (the sandbox moves it along every step)…")
        created = await orange.wholesale.orders.create(
            {
                "productOrderSpecification": "Acquisition",
                "externalIdentifier": [
                    {"id": "TOUR-1", "externalIdentifierType": "customerIdentifier", "owner": "demo"}
                ],
                "relatedParty": [
                    {"id": "ea69228c-600a-4058-8e4e-e13fcc8bf89f", "role": "buyer", "@referredType": "organization"}
                ],
                "productOrderItem": [{"id": "1", "action": "add", "product": {"productOffering": {"id": "GOC1"}}}],
            }
        )
        async with httpx.AsyncClient() as admin:
            last = None
            for _ in range(4):
                view = order_view_from_wholesale(await orange.wholesale.orders.get(created.id or ""))
                if view.state != last:
                    out(f"    {view.reference}: {emoji(view.state)} {label(view.state)}")
                    last = view.state
                await admin.post(f"{url}/_sandbox/advance", json={"seconds": 5})
        out(f"\nToken requests per backend: {orange.token_requests()}")


def main(out: Print = print) -> int:
    with running() as sandbox:
        asyncio.run(tour(sandbox.url, out))
    return 0
