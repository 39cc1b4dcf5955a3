"""One state vocabulary: total, idempotent, case- and separator-insensitive normalisation."""

from __future__ import annotations

from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.states import emoji, label, quote_emoji, quote_label
from integrations.states import (
    FINAL_ORDER_STATES,
    OrderState,
    ProductStatus,
    QuoteState,
    canonical_key,
    is_final,
    normalize_business_step,
    normalize_operational_status,
    normalize_order_state,
    normalize_product_status,
    normalize_quote_state,
)

# Every raw order/item state spelling found in the seeds and in the specs they cite.
ORDER_SPELLINGS: list[tuple[str, OrderState]] = [
    # carrier seed (Orange IC)
    ("pending", OrderState.pending),
    ("inProgress", OrderState.in_progress),
    # MEF r4 / rc5.1 ProductOrderStateType and ProductOrderItemStateType
    ("acknowledged", OrderState.acknowledged),
    ("rejected", OrderState.rejected),
    ("held", OrderState.held),
    ("assessingCancellation", OrderState.assessing_cancellation),
    ("assesssingCancellation", OrderState.assessing_cancellation),  # r4 item state (sic)
    ("pendingCancellation", OrderState.pending_cancellation),
    ("cancelled", OrderState.cancelled),
    ("inProgress.configured", OrderState.in_progress),
    ("inProgress.confirmed", OrderState.in_progress),
    ("inProgress.jeopardy", OrderState.jeopardy),
    ("failed", OrderState.failed),
    ("partial", OrderState.partial),
    ("completed", OrderState.completed),
    # MEF grace
    ("held.assessingCharge", OrderState.held),
    ("pending.assessingModification", OrderState.pending),
    ("rejected.validated", OrderState.rejected),
    ("rejected.unassessed", OrderState.rejected),
    # TMF622 v5 and United Way tables
    ("inProgress.accepted", OrderState.accepted),
    ("draft", OrderState.draft),
    # United Way prose and filters
    ("AKNOWLEGDED.INIT", OrderState.acknowledged),
    ("ACKNOWLEDGED.INIT", OrderState.acknowledged),
    ("AKNOWLEGDED.ACCEPTED", OrderState.accepted),
    ("INPROGRESS", OrderState.in_progress),
    ("COMPLETED", OrderState.completed),
    ("CANCELLED", OrderState.cancelled),
    ("FAILED", OrderState.failed),
    ("PENDING", OrderState.pending),
    ("HELD", OrderState.held),
    # separators
    ("IN_PROGRESS", OrderState.in_progress),
    ("in progress", OrderState.in_progress),
    ("inprogress", OrderState.in_progress),
    ("in-progress", OrderState.in_progress),
    ("  Completed  ", OrderState.completed),
    ("canceled", OrderState.cancelled),
    # unknown sub-state of a known state falls back to the head
    ("inProgress.somethingNew", OrderState.in_progress),
    # not a state
    ("", OrderState.unknown),
    ("whatever", OrderState.unknown),
    ("...", OrderState.unknown),
]

QUOTE_SPELLINGS: list[tuple[str, QuoteState]] = [
    # carrier seed (Orange: rc5.1's `approved`)
    ("approved", QuoteState.approved),
    # MEF r4 QuoteStateType / QuoteItemStateType
    ("IN_PROGRESS", QuoteState.in_progress),
    ("READY", QuoteState.ready),
    ("CANCELLED", QuoteState.cancelled),
    ("REJECTED", QuoteState.rejected),
    ("ACCEPTED", QuoteState.accepted),
    ("EXPIRED", QuoteState.expired),
    ("UNABLE_TO_PROVIDE", QuoteState.rejected),
    ("INSUFICIENT_INFORMATION_PROVIDED", QuoteState.in_progress),
    ("ABANDONED", QuoteState.rejected),
    # MEF rc5.1 MEFQuoteStateType / MEFQuoteItemStateType
    ("accepted", QuoteState.accepted),
    ("approved.answered", QuoteState.approved),
    ("approved.orderableAlternate", QuoteState.approved),
    ("cancelled", QuoteState.cancelled),
    ("cancelled.insufficientInformationProvided", QuoteState.cancelled),
    ("cancelled.unableToProvide", QuoteState.cancelled),
    ("inProgress", QuoteState.in_progress),
    ("inProgress.draft", QuoteState.in_progress),
    ("rejected", QuoteState.rejected),
    ("rejected.expired", QuoteState.expired),
    ("rejected.unableToProvide", QuoteState.rejected),
    ("rejected.insufficientInformationProvided", QuoteState.rejected),
    ("pending", QuoteState.in_progress),
    # billie and later
    ("approved.orderable", QuoteState.approved),
    ("approved.somethingNew", QuoteState.approved),
    ("", QuoteState.unknown),
    ("nope", QuoteState.unknown),
]

PRODUCT_SPELLINGS: list[tuple[str, ProductStatus]] = [
    # carrier seed
    ("pending", ProductStatus.pending),
    ("active", ProductStatus.active),
    # wholesale seed
    ("ACTIVE", ProductStatus.active),
    # MEF r4 / rc5.1 ProductStatus
    ("suspended", ProductStatus.suspended),
    ("activePendingTerminate", ProductStatus.pending_terminate),
    ("terminated", ProductStatus.terminated),
    ("pendingActive", ProductStatus.pending_active),
    ("suspendedPendingTerminate", ProductStatus.pending_terminate),
    # TMF637 v4 ProductStatusType
    ("created", ProductStatus.created),
    ("cancelled", ProductStatus.cancelled),
    ("pendingTerminate", ProductStatus.pending_terminate),
    ("aborted ", ProductStatus.aborted),  # sic, trailing space
    ("aborted", ProductStatus.aborted),
    ("PENDING_ACTIVE", ProductStatus.pending_active),
    ("", ProductStatus.unknown),
    ("inDisturbance", ProductStatus.unknown),
]

# TMF637 operating-status lifecycle on Orange's inventory page, plus the seed's `ACTIVE`.
OPERATIONAL_SPELLINGS: list[tuple[str, str]] = [
    ("ACTIVE", "active"),
    ("aborted", "aborted"),
    ("active", "active"),
    ("cancelled", "cancelled"),
    ("confirmed", "confirmed"),
    ("created", "created"),
    ("inDisturbance", "in_disturbance"),
    ("locked", "locked"),
    ("pendingActive", "pending_active"),
    ("pendingCancel", "pending_cancel"),
    ("pendingModification", "pending_modification"),
    ("pendingTerminate", "pending_terminate"),
    ("terminated", "terminated"),
    ("IN_DISTURBANCE", "in_disturbance"),
    ("brandNewStatus", "brand_new_status"),
]


@pytest.mark.parametrize(("raw", "expected"), ORDER_SPELLINGS, ids=repr)
def test_order_state_table(raw: str, expected: OrderState) -> None:
    assert normalize_order_state(raw) is expected


@pytest.mark.parametrize(("raw", "expected"), QUOTE_SPELLINGS, ids=repr)
def test_quote_state_table(raw: str, expected: QuoteState) -> None:
    assert normalize_quote_state(raw) is expected


@pytest.mark.parametrize(("raw", "expected"), PRODUCT_SPELLINGS, ids=repr)
def test_product_status_table(raw: str, expected: ProductStatus) -> None:
    assert normalize_product_status(raw) is expected


@pytest.mark.parametrize(("raw", "expected"), OPERATIONAL_SPELLINGS, ids=repr)
def test_operational_status_table(raw: str, expected: str) -> None:
    assert normalize_operational_status(raw) == expected


def test_none_and_blank() -> None:
    assert normalize_order_state(None) is OrderState.unknown
    assert normalize_quote_state(None) is QuoteState.unknown
    assert normalize_product_status(None) is ProductStatus.unknown
    assert normalize_operational_status(None) is None
    assert normalize_operational_status("  ") is None
    assert normalize_business_step(None) is OrderState.unknown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("REQUEST", OrderState.acknowledged),
        ("request", OrderState.acknowledged),
        ("COMPLETED", OrderState.completed),
        ("CANCELLED", OrderState.cancelled),
        ("SOMETHING_ELSE", OrderState.unknown),
    ],
)
def test_business_steps(raw: str, expected: OrderState) -> None:
    assert normalize_business_step(raw) is expected


def test_final_states() -> None:
    assert FINAL_ORDER_STATES == {
        OrderState.completed,
        OrderState.cancelled,
        OrderState.rejected,
        OrderState.failed,
        OrderState.partial,
    }
    assert all(is_final(s) == (s in FINAL_ORDER_STATES) for s in OrderState)
    assert not is_final(OrderState.pending_cancellation)


def test_labels_and_emojis() -> None:
    for state in OrderState:
        assert label(state) and emoji(state)
    for quote_state in QuoteState:
        assert quote_label(quote_state) and quote_emoji(quote_state)
    assert emoji(OrderState.completed) == "✅"
    assert emoji(OrderState.failed) == emoji(OrderState.rejected) == "❌"
    assert emoji(OrderState.cancelled) == "🚫"
    assert emoji(OrderState.acknowledged) == emoji(OrderState.accepted) == "⏳"
    assert emoji(OrderState.in_progress) == "🔧"
    assert emoji(OrderState.held) == emoji(OrderState.pending) == emoji(OrderState.jeopardy) == "⚠️"
    assert label(OrderState.in_progress) == "In progress"


# --- properties ---------------------------------------------------------------------------------


@given(st.text())
def test_normalisation_is_total(raw: str) -> None:
    assert isinstance(normalize_order_state(raw), OrderState)
    assert isinstance(normalize_quote_state(raw), QuoteState)
    assert isinstance(normalize_product_status(raw), ProductStatus)
    assert isinstance(normalize_business_step(raw), OrderState)
    result = normalize_operational_status(raw)
    assert result is None or isinstance(result, str)


@given(st.sampled_from(list(OrderState)))
def test_order_state_is_idempotent(state: OrderState) -> None:
    assert normalize_order_state(state.value) is state
    assert normalize_order_state(str(state)) is state
    assert normalize_order_state(normalize_order_state(state.value).value) is state


@given(st.sampled_from(list(QuoteState)))
def test_quote_state_is_idempotent(state: QuoteState) -> None:
    assert normalize_quote_state(state.value) is state


@given(st.sampled_from(list(ProductStatus)))
def test_product_status_is_idempotent(state: ProductStatus) -> None:
    assert normalize_product_status(state.value) is state


@given(st.text())
def test_operational_status_is_idempotent(raw: str) -> None:
    once = normalize_operational_status(raw)
    if once is not None:
        assert normalize_operational_status(once) == once


SEPARATORS = st.sampled_from(["", "", "", "_", " ", "-", "."])


@st.composite
def respelt(draw: st.DrawFn, raw: str) -> str:
    """The same spelling with random case and random separators between characters."""
    out = []
    for ch in raw:
        out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        out.append(draw(SEPARATORS))
    return draw(SEPARATORS) + "".join(out)


_E = TypeVar("_E")


def _documented(table: list[tuple[str, _E]]) -> list[tuple[str, _E]]:
    # Spellings that resolve by exact key (the dotted fallback needs the dot where it was).
    return [(raw, member) for raw, member in table if canonical_key(raw) and "somethingnew" not in canonical_key(raw)]


@given(st.sampled_from(_documented(ORDER_SPELLINGS)).flatmap(lambda p: st.tuples(respelt(p[0]), st.just(p[1]))))
def test_order_state_ignores_case_and_separators(case: tuple[str, OrderState]) -> None:
    raw, expected = case
    if expected is OrderState.unknown:
        return
    assert normalize_order_state(raw) is expected


@given(st.sampled_from(_documented(QUOTE_SPELLINGS)).flatmap(lambda p: st.tuples(respelt(p[0]), st.just(p[1]))))
def test_quote_state_ignores_case_and_separators(case: tuple[str, QuoteState]) -> None:
    raw, expected = case
    if expected is QuoteState.unknown:
        return
    assert normalize_quote_state(raw) is expected


@given(st.sampled_from(_documented(PRODUCT_SPELLINGS)).flatmap(lambda p: st.tuples(respelt(p[0]), st.just(p[1]))))
def test_product_status_ignores_case_and_separators(case: tuple[str, ProductStatus]) -> None:
    raw, expected = case
    if expected is ProductStatus.unknown:
        return
    assert normalize_product_status(raw) is expected


@given(st.sampled_from(OPERATIONAL_SPELLINGS[:13]).flatmap(lambda p: st.tuples(respelt(p[0]), st.just(p[1]))))
def test_operational_status_ignores_case_and_separators(case: tuple[str, str]) -> None:
    raw, expected = case
    assert normalize_operational_status(raw) == expected


def test_canonical_key() -> None:
    assert canonical_key("inProgress.accepted") == canonical_key("IN_PROGRESS ACCEPTED") == "inprogressaccepted"
    assert canonical_key(None) == ""
