"""The blocks in French: an order card, a quote, a product and a site rendered under `speaking("fr")` read French
words with Babel's amounts (`4 000,00 €`) and dates (`30 mars 2021 18:10 CEST`); Orange's own texts stay as Orange
wrote them, and English comes back unchanged once the French block ends."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.models.blocks import Block

from bot.blocks import (
    PageInfo,
    carrier_error_text,
    order_blocks,
    product_blocks,
    quote_blocks,
    site_blocks,
    sites_list_blocks,
)
from bot.blocks.common import list_blocks
from bot.blocks.format import money, prices_text, state_text, when
from bot.i18n import speaking
from integrations._exceptions import make_status_error
from integrations.sandbox.examples import get_example
from integrations.states import OrderState, ProductStatus
from integrations.views import (
    PriceView,
    ProductView,
    TermView,
    order_view_from_carrier,
    quote_view_from_carrier,
    site_view_from_carrier,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2021, 3, 31, 12, 0, tzinfo=UTC)
NNBSP, NBSP = "\u202f", "\u00a0"  # Babel's French thousands separator, and the space before €


def text_of(blocks: Iterable[Block]) -> str:
    return json.dumps([b.to_dict() for b in blocks], ensure_ascii=False)


def eur(amount: str) -> str:
    """`4 000,00 €` as Babel writes it: `eur("4 000,00")`."""
    return amount.replace(" ", NNBSP) + NBSP + "€"


def test_an_order_card_in_french() -> None:
    view = order_view_from_carrier(get_example("carrier/product-order-get-11").body)
    with speaking("fr-FR"):
        blocks = [b.to_dict() for b in order_blocks(view, tz=PARIS)]
    assert blocks[0]["text"]["text"] == "Commande carrier:11"
    summary = blocks[1]
    assert summary["text"]["text"] == "*État :* ⚠️ En attente (action requise) · 3 articles"
    fields = [f["text"] for f in summary["fields"]]
    assert "*Commandée le*\n30 mars 2021 18:10 CEST" in fields
    assert "*Livraison prévue*\n6 avr. 2021 18:10 CEST" in fields
    assert "*Identifiant externe*\n`1`" in fields
    assert f"*Total*\n{eur('4 000,00')} (ponctuel) + {eur('28,00')} / jour (récurrent)" in fields
    items = [b["text"]["text"] for b in blocks if b["type"] == "section"][1:]
    assert items[1] == (
        "*Article 2* · add · ⚠️ En attente (action requise)\n"
        "Spécification : ENNI\n"
        "Site : `1440397`\n"
        f"Prix : {eur('3 000,00')} (ponctuel)"
    )
    # Orange's words (the activity, the specification) are shown as Orange wrote them.
    assert "*Activité*\ninstall" in fields and "TransitELine" in items[0]


def test_a_quote_with_prices_and_dates_in_french() -> None:
    view = quote_view_from_carrier(get_example("carrier/quote-get-6").body)
    with speaking("fr"):
        valid = text_of(quote_blocks(view, now=NOW))
        expired = text_of(quote_blocks(view, tz=PARIS, now=NOW + timedelta(days=2)))
    assert '"Devis carrier:6"' in valid
    assert "*État :* ✅ Approuvé · valable jusqu'au 1 avr. 2021 23:59 UTC" in valid
    assert "*Établi le*\\n30 mars 2021 14:13 UTC" in valid
    assert f"*Total récurrent*\\n{eur('50,00')} / jour (récurrent)" in valid
    assert "*Total ponctuel*\\naucun" in valid
    assert "Ponctuel : aucun · Récurrent" not in valid  # one item: its prices are the totals, shown once
    assert f"*Total sur la durée d'engagement*\\n{eur('50,00')} sur 1 jour" in valid
    assert '"Commander ce devis"' in valid and "rien n'est envoyé à Orange avant" in valid
    assert "expiré le 2 avr. 2021 01:59 CEST" in expired
    assert "*Expiré le*\\n2 avr. 2021 01:59 CEST (expiré)" in expired
    assert "Plus possible à commander : le devis a expiré." in expired
    assert "Commander ce devis" not in expired


def test_a_product_in_french() -> None:
    view = ProductView(
        backend="wholesale",
        id="P1",
        reference="wholesale:P1",
        name="Lien Lyon",
        status=ProductStatus.pending_terminate,
        offering_id="GOC40140084001",
        offering_name="Intense",
        bandwidth="100M",
        class_of_service="GUARANTEED",
        order_id="42",
        prices=(
            PriceView(name="installation", kind="one_off", amount=Decimal(1500), currency="EUR"),
            PriceView(kind="usage", amount=Decimal("0.125"), currency="EUR", period="GB", tax_included=True),
        ),
        terms=(TermView(name="engagement", amount=Decimal(36), units="month"),),
        start_date=datetime(2026, 12, 6, 15, 46, tzinfo=UTC),
    )
    with speaking("fr"):
        blocks = [b.to_dict() for b in product_blocks(view, PARIS)]
    assert blocks[0]["text"]["text"] == "Produit wholesale:P1"
    text = blocks[1]["text"]["text"]
    assert text.startswith("*Statut :* ⏳ Résiliation en attente\n")
    # Every decimal of a usage price is kept (Babel would round it to cents by default).
    assert f"*Prix :* installation: {eur('1 500,00')} (ponctuel) + 0,125{NBSP}€ / GB (à l'usage, TTC)" in text
    assert "*Durée d'engagement :* engagement, 36 month" in text
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert "*Mis en service le*\n6 déc. 2026 16:46 CET" in fields
    assert "*Offre*\nIntense (`GOC40140084001`)" in fields and "*Classe de service*\nGUARANTEED" in fields


def test_a_site_and_a_site_list_in_french() -> None:
    view = site_view_from_carrier(get_example("carrier/geographic-site-get").body)
    with speaking("fr"):
        blocks = [b.to_dict() for b in site_blocks(view)]
        empty = text_of(sites_list_blocks([], PageInfo(0, 20, 0, "sites city=Nowhere"), "city=Nowhere"))
        listed = text_of(sites_list_blocks([view], PageInfo(20, 20, 57, "sites city=Paris"), "city=Paris"))
    assert blocks[0]["text"]["text"] == "Site 105740 — Bagnolet"
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields[:3] == ["*Nom*\nBagnolet", "*Type*\npublic", "*Statut*\nexisting"]
    assert "*Code postal*\n93177" in fields and "*Ville*\nBagnolet" in fields and "*Pays*\nFrance" in fields
    assert "Aucun site ne correspond à `city=Nowhere`. Essayez une partie d'un nom de ville ou de site." in empty
    assert "Sites correspondant à city=Paris" in listed
    assert "21 à 21 sur 57 · Utilisez un id de site dans un nouveau devis" in listed
    assert '"◀ Précédent"' in listed and '"Suivant ▶"' in listed


def test_states_money_and_dates_speak_french_and_english_comes_back_unchanged() -> None:
    at = datetime(2026, 12, 6, 15, 46, tzinfo=UTC)
    price = PriceView(kind="recurring", amount=Decimal(4000), currency="EUR", period="month")
    with speaking("fr"):
        assert state_text(OrderState.in_progress) == "🔧 En cours"
        assert state_text(ProductStatus.unknown, "weird") == "❔ Inconnu (weird)"
        assert money(price) == f"{eur('4 000,00')} / mois (récurrent)"
        assert money(PriceView(kind="one_off", amount=Decimal(10))) == "10 (devise non indiquée) (ponctuel)"
        assert prices_text([]) == "aucun"
        assert when(at, PARIS) == "6 déc. 2026 16:46 CET"
        assert when(at, token=True) == "<!date^1796571960^{date_short_pretty} {time}|6 déc. 2026 15:46 UTC>"
    assert state_text(OrderState.in_progress) == "🔧 In progress"
    assert money(price) == "4,000 EUR / month (recurring)"
    assert when(at, PARIS) == "2026-12-06 16:46 CET"
    assert prices_text([]) == "none"


def test_a_list_in_french() -> None:
    page = PageInfo(offset=0, limit=20, total=None, command_text="orders", more=False)
    with speaking("fr"):
        blocks = text_of(list_blocks("Commandes", [f"• {i}" for i in range(25)], page, empty="rien"))
    assert "1 à 20" in blocks and '"Suivant ▶"' in blocks


def test_a_carrier_error_in_french() -> None:
    response = httpx.Response(
        404,
        json={"code": 60, "message": "Resource not found"},
        request=httpx.Request("GET", "https://x/productOrder/9"),
    )
    err = make_status_error(backend="carrier", operation="get order", response=response)
    with speaking("fr"):
        assert carrier_error_text(err) == "Orange ne connaît pas cette commande (code 60)"
    assert carrier_error_text(err) == "Orange has no such order (code 60)"
