"""The United Way catalog's seed: the documented resources, the offering tree the order examples use, categories."""

from __future__ import annotations

import copy

from ..state import Record, SandboxState
from .documents import example

# Catalog offerings the order examples use, by level: (id, name, type, bundled ids).
CATALOG_TREE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("OC40150084001", "Offre exemple", "play", ()),
    ("OC40140084001", "Just Fibre TEST", "play", ("GO40140084001", "GO40140084002", "GO40140084003", "GO40140084004")),
    ("GO40140084001", "Caractéristiques principales", "set", ("O40140084001",)),
    ("GO40140084002", "Point de livraison sur site client final", "set", ("O40140084008",)),
    ("GO40140084003", "Interface de livraison sur site client final", "set", ("O40140084004",)),
    ("GO40140084004", "Intervention", "set", ("O40140084005",)),
    ("O40140084008", "Raccordement", "atomicOffer", ()),
    ("O40140084004", "ONT éxpédié par Orange", "atomicOffer", ()),
    ("O40140084005", "Intervention", "atomicOffer", ()),
    ("O40160084003", "Collecte régionale", "atomicOffer", ()),
    ("O40160085001", "Collecte nationale", "atomicOffer", ()),
    ("O40160086001", "Collecte DROM - métropole", "atomicOffer", ()),
)
CATALOG_HREF = "http://cae-owf-ventes.caas-cnp-apps.com.intraorange/catalog/api/catalog"


def seed_catalog(state: SandboxState) -> None:
    catalog = state.catalog
    for slug, resource in (
        ("wholesale/catalog-product-offering-get", "productOffering"),
        ("wholesale/catalog-product-offering-price-get", "productOfferingPrice"),
        ("wholesale/catalog-product-specification-get", "productSpecification"),
        ("wholesale/catalog-product-spec-characteristic-get", "productSpecCharacteristic"),
        ("wholesale/catalog-category-get", "category"),
    ):
        record = example(slug)
        if isinstance(record, dict) and "id" in record:
            catalog[resource].put(record)

    offerings = example("wholesale/catalog-product-offerings-fragment", {}).get("productOfferings", [])
    merged: dict[str, Record] = {str(offering["id"]): offering for offering in offerings if "id" in offering}
    for slug in (
        "wholesale/catalog-product-offering-bundled-fragment",
        "wholesale/catalog-product-offering-other-property-fragment",
        "wholesale/catalog-product-offering-relationship-fragment",
    ):
        fragment = example(slug)
        if isinstance(fragment, dict) and "id" in fragment:
            base = merged.setdefault(str(fragment["id"]), {})
            for key, value in fragment.items():
                if value not in ([], {}, None) or key not in base:
                    base[key] = value
    for offering in merged.values():
        catalog["productOffering"].put(offering)
    for offering_id, name, kind, bundled in CATALOG_TREE:
        if offering_id in catalog["productOffering"]:
            continue
        href = f"{CATALOG_HREF}/productOffering/{offering_id}"
        if offering_id.startswith("OC40150084001"):
            href = f".../productOffering/{offering_id}"
        catalog["productOffering"].put(
            {
                "id": offering_id,
                "href": href,
                "name": name,
                "shortName": name,
                "visible": "true",
                "isTopLevel": False,
                "isBundle": bool(bundled),
                "productOfferingType": kind,
                "bundledProductOffering": [
                    {"id": child, "href": f"{CATALOG_HREF}/productOffering/{child}", "name": _offering_name(child)}
                    for child in bundled
                ],
            }
        )

    for specification in example("wholesale/catalog-product-specifications-fragment", {}).get(
        "productSpecifications", []
    ):
        if "id" not in specification:
            continue
        if specification["id"] not in catalog["productSpecification"]:
            catalog["productSpecification"].put(specification)
        for characteristic in specification.get("productSpecCharacteristic") or []:
            if isinstance(characteristic, dict) and "id" in characteristic:
                if characteristic["id"] not in catalog["productSpecCharacteristic"]:
                    catalog["productSpecCharacteristic"].put(copy.deepcopy(characteristic))

    for category_id in ("FTTE", "FTTO", "FTTH"):
        if category_id not in catalog["category"]:
            catalog["category"].put(
                {"id": category_id, "href": f".../category/{category_id}", "name": category_id, "isRoot": False}
            )


def _offering_name(offering_id: str) -> str:
    for known_id, name, _, _ in CATALOG_TREE:
        if known_id == offering_id:
            return name
    return "Accès" if offering_id == "O40140084001" else offering_id
