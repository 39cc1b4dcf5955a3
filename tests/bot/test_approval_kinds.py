"""Each approval kind reads its stored payload back through its model; a kind nobody knows is refused clearly."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from bot.approvals.cards import card_of
from bot.approvals.kinds import KINDS, UnknownKind, kind_of
from integrations.views import PriceView
from storage.enums import ApprovalKind
from storage.models import Approval

COMMON: dict[str, Any] = {
    "reference": "wholesale:UW-1",
    "label": "UW-1 · OULLINS C",
    "summary": ["Order UW-1 · in progress", "1 item"],
    "first_year": {"amount": "1200", "currency": "EUR"},
    "approvers": None,
    "limit": {"amount": "5000", "currency": "EUR"},
    "approved_by": ["U2"],
}
PRICE = PriceView(kind="recurring", amount=Decimal("100"), currency="EUR", period="month").model_dump(mode="json")
STORED: dict[ApprovalKind, dict[str, Any]] = {
    ApprovalKind.CANCEL_ORDER: {**COMMON, "order_id": "UW-1", "reason": "moved out"},
    ApprovalKind.QUOTE_ORDER: {
        **COMMON,
        "reference": "carrier:6",
        "quote_id": "6",
        "one_off": [],
        "recurring": [PRICE],
        "term_total": [PRICE],
        "term_months": "36",
        "order_items": [{"id": "1", "action": "add"}],
        "buyer": {"external_id": "PO-7", "related_buyer_pon": "PON-1", "note": "rack 3"},
    },
}


def _approval(kind: str, payload: dict[str, Any]) -> Approval:
    return Approval(
        id=uuid.uuid4(),
        kind=kind,
        team_id="T1",
        channel_id="C1",
        requester_id="U1",
        backend="wholesale",
        target_id="UW-1",
        external_id="key-1",
        payload=payload,
    )


@pytest.mark.parametrize("kind", list(ApprovalKind))
def test_a_stored_payload_round_trips_through_its_kind_model(kind: ApprovalKind) -> None:
    assert set(KINDS) == set(ApprovalKind)
    stored = STORED[kind]
    # what decisions and policy add, and keys from older code, are ignored rather than refused
    model = kind_of(kind.value).payload({**stored, "retry_of": "x", "needed": 2, "gone": 1})
    dumped = model.model_dump(mode="json", exclude_unset=True)
    assert {k: v for k, v in dumped.items() if k in stored} == stored
    assert kind_of(kind.value).payload(dumped) == model
    # a row stored before a key existed is read with the key defaulted
    old = kind_of(kind.value).payload({"reference": stored["reference"]})
    assert old.summary == [] and old.first_year is None
    card = card_of(_approval(kind.value, stored))
    assert card.kind is kind and card.summary == tuple(stored["summary"]) and card.label == stored["label"]


def test_an_unknown_kind_is_refused_in_one_clear_error() -> None:
    with pytest.raises(UnknownKind, match=r"unknown approval kind 'renumber_order': expected one of"):
        kind_of("renumber_order")
    with pytest.raises(UnknownKind, match="renumber_order"):
        card_of(_approval("renumber_order", STORED[ApprovalKind.CANCEL_ORDER]))
