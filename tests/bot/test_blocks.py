"""Block builders: every seed example renders within Slack's limits; representative cases match exact JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk.models.blocks import Block

from bot.blocks import (
    ApprovalCard,
    ApprovalRow,
    PageInfo,
    WatchRow,
    address_blocks,
    approval_decided_blocks,
    approval_request_blocks,
    carrier_error_blocks,
    carrier_error_text,
    error_blocks,
    fallback_text,
    help_blocks,
    home_view,
    offer_blocks,
    order_blocks,
    orders_list_blocks,
    paging_actions,
    poq_blocks,
    product_blocks,
    products_list_blocks,
    quote_blocks,
    quotes_list_blocks,
    share_button,
    site_blocks,
    sites_list_blocks,
    watch_exists_blocks,
    watch_root_blocks,
    watches_list_blocks,
)
from bot.blocks.format import escape, money, price_totals, state_text, truncate, when
from integrations._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)
from integrations._redact import register_secret
from integrations.sandbox.examples import Example, get_example, load_examples
from integrations.states import OrderState, ProductStatus, QuoteState
from integrations.views import (
    AddressMatchView,
    AddressValidationView,
    ErrorMessageView,
    MilestoneView,
    OfferingView,
    OrderItemView,
    OrderView,
    PoqView,
    PriceView,
    ProductView,
    QuoteView,
    SiteView,
    address_validation_view,
    offering_view,
    order_view_from_carrier,
    order_view_from_wholesale,
    product_view_from_wholesale,
    quote_view_from_carrier,
    site_view_from_carrier,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2021, 3, 31, 12, 0, tzinfo=UTC)

# --- limits, checked on the JSON, independently of slack_sdk -----------------------------------

_TOKEN = re.compile(r"<(@[UW][A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+|https?://[^|<>\s]+\|[^<>]+)>")
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def _mrkdwn_ok(text: str, where: str) -> None:
    # Carrier text is escaped: the only `<…>` left are our mentions, dates and links, and `&` starts an entity.
    assert "<" not in _TOKEN.sub("", text), f"unescaped < in {where}: {text!r}"
    assert ">" not in re.sub(r"(^|\n)>", r"\1", _TOKEN.sub("", text)), f"unescaped > in {where}: {text!r}"
    assert not _ENTITY.search(text), f"unescaped & in {where}: {text!r}"


def _text(obj: Mapping[str, Any], limit: int, where: str, *, plain_only: bool = False) -> None:
    assert obj["type"] in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")), where
    text = obj["text"]
    assert isinstance(text, str) and text, f"empty text in {where}"
    assert len(text) <= limit, f"{where}: {len(text)} > {limit}"
    if obj["type"] == "mrkdwn":
        _mrkdwn_ok(text, where)


def _element(element: Mapping[str, Any], where: str, action_ids: set[str]) -> None:
    if element["type"] in ("mrkdwn", "plain_text"):
        _text(element, 3000, where)
        return
    assert element["type"] == "button", where
    _text(element["text"], 75, f"{where}/text", plain_only=True)
    assert len(element.get("value", "")) <= 2000, where
    action_id = element["action_id"]
    assert 0 < len(action_id) <= 255, where
    assert action_id not in action_ids, f"duplicate action_id {action_id} in {where}"
    action_ids.add(action_id)
    assert element.get("style") in (None, "primary", "danger"), where


def check_limits(blocks: Sequence[Block | Mapping[str, Any]], *, max_blocks: int = 50) -> list[dict[str, Any]]:
    """Slack's Block Kit limits on the JSON; returns the blocks as dicts (`to_dict()` must succeed)."""
    dicts = [dict(b) if isinstance(b, Mapping) else b.to_dict() for b in blocks]
    assert 0 < len(dicts) <= max_blocks, f"{len(dicts)} blocks"
    action_ids: set[str] = set()
    block_ids: set[str] = set()
    for i, block in enumerate(dicts):
        where = f"/blocks/{i}"
        if "block_id" in block:
            assert block["block_id"] not in block_ids and len(block["block_id"]) <= 255
            block_ids.add(block["block_id"])
        kind = block["type"]
        if kind == "section":
            assert "text" in block or block.get("fields"), where
            if "text" in block:
                _text(block["text"], 3000, f"{where}/text")
            fields = block.get("fields", [])
            assert len(fields) <= 10, where
            for j, field in enumerate(fields):
                _text(field, 2000, f"{where}/fields/{j}")
            if "accessory" in block:
                _element(block["accessory"], f"{where}/accessory", action_ids)
        elif kind == "header":
            _text(block["text"], 150, f"{where}/text", plain_only=True)
        elif kind == "context":
            assert 0 < len(block["elements"]) <= 10, where
            for j, element in enumerate(block["elements"]):
                _element(element, f"{where}/elements/{j}", action_ids)
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= 25, where
            for j, element in enumerate(block["elements"]):
                _element(element, f"{where}/elements/{j}", action_ids)
        else:
            assert kind == "divider", f"unexpected block type {kind}"
    return dicts


def dicts(blocks: Iterable[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def all_text(blocks: Iterable[Block]) -> str:
    return json.dumps(dicts(blocks), ensure_ascii=False)


# --- every seed example ------------------------------------------------------------------------

from seed_views import MAPPERS, views_of  # noqa: E402


def _as_order(item: OrderItemView, backend: str) -> OrderView:
    return OrderView(
        backend=backend,
        id="example",
        reference=f"{backend}:example",
        state=item.state,
        items=(item,),
        error_messages=item.error_messages,
        milestones=item.milestones,
        jeopardy_alerts=item.jeopardy_alerts,
        prices=item.prices,
    )


def renderings(view: Any, backend: str) -> list[list[Block]]:
    """Every builder that takes this kind of view, on it."""
    page = PageInfo(offset=0, limit=20, total=1, command_text="x")
    if isinstance(view, OrderItemView):
        view = _as_order(view, backend)
    if isinstance(view, OrderView):
        return [
            order_blocks(view),
            order_blocks(view, tz=PARIS),
            orders_list_blocks([view], title="Orders", page=page),
            watch_root_blocks(view, errors_only=False),
            watch_root_blocks(view, errors_only=True, tz=PARIS),
        ]
    if isinstance(view, QuoteView):
        return [
            quote_blocks(view, now=NOW),
            quote_blocks(view, tz=PARIS, now=NOW + timedelta(days=365)),
            quotes_list_blocks([view], page=page, now=NOW),
        ]
    if isinstance(view, SiteView):
        return [site_blocks(view), sites_list_blocks([view], page, "city=Paris")]
    if isinstance(view, ProductView):
        return [product_blocks(view, PARIS), products_list_blocks([view], title="Products", page=page)]
    if isinstance(view, PoqView):
        return [poq_blocks(view), poq_blocks(view, tz=PARIS)]
    if isinstance(view, AddressValidationView):
        return [address_blocks(view)]
    if isinstance(view, AddressMatchView):
        return [address_blocks(AddressValidationView(result="success", best_match=view))]
    if isinstance(view, OfferingView):
        return [offer_blocks(view)]
    if isinstance(view, PriceView):
        return [offer_blocks(OfferingView(id="O1", name="priced", prices=(view,)))]
    raise AssertionError(f"no builder for {type(view).__name__}")


RENDERED = [e for e in load_examples() if (e.backend, e.api, e.model) in MAPPERS or e.model == "ProductOfferingCatalog"]


def test_the_seeds_have_something_to_render() -> None:
    kinds = {type(v).__name__ for e in RENDERED for v in views_of(e)}
    assert len(RENDERED) >= 40
    assert {"OrderView", "OrderItemView", "QuoteView", "SiteView", "ProductView", "PoqView"} <= kinds
    assert {"AddressValidationView", "AddressMatchView", "OfferingView", "PriceView"} <= kinds


@pytest.mark.parametrize("example", RENDERED, ids=lambda e: e.slug)
def test_every_example_renders_within_limits(example: Example) -> None:
    for view in views_of(example):
        for blocks in renderings(view, example.backend):
            check_limits(blocks)
            assert fallback_text(blocks)


# --- format ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "text"),
    [
        (PriceView(kind="recurring", amount=Decimal(28), currency="EUR", period="day"), "28 EUR / day (recurring)"),
        (PriceView(kind="one_off", amount=Decimal(3000), currency="EUR"), "3,000 EUR (one-off)"),
        (
            PriceView(kind="recurring", amount=Decimal("42.6"), currency="EUR", period="month"),
            "42.60 EUR / month (recurring)",
        ),
        (PriceView(kind="recurring", amount=Decimal(5), currency="USD"), "5 USD (recurring)"),
        (PriceView(kind="usage", amount=Decimal("0.125"), currency="EUR", period="GB"), "0.125 EUR / GB (usage)"),
        (
            PriceView(kind="one_off", amount=Decimal(100), currency="EUR", tax_included=True),
            "100 EUR (one-off, tax incl.)",
        ),
        (PriceView(amount=Decimal(1234567), currency="EUR"), "1,234,567 EUR"),
        (PriceView(kind="one_off", amount=Decimal(10)), "10 (currency not given) (one-off)"),
    ],
)
def test_money(price: PriceView, text: str) -> None:
    assert money(price) == text


def test_price_totals_sum_by_kind_currency_and_period() -> None:
    view = order_view_from_carrier(get_example("carrier/product-order-get-11").body)
    assert [money(p) for p in price_totals(view.prices)] == ["4,000 EUR (one-off)", "28 EUR / day (recurring)"]


@pytest.mark.parametrize("state", list(OrderState) + list(QuoteState) + list(ProductStatus))
def test_state_text_has_emoji_and_words(state: OrderState | QuoteState | ProductStatus) -> None:
    icon, _, words = state_text(state).partition(" ")
    assert icon and not icon.isascii()
    assert words and words[0].isupper()


def test_state_text_examples() -> None:
    assert state_text(OrderState.in_progress) == "🔧 In progress"
    assert state_text(QuoteState.approved) == "✅ Approved"
    assert state_text(ProductStatus.active) == "🟢 Active"
    assert state_text(OrderState.unknown, "weirdState") == "❔ Unknown (weirdState)"


def test_time_zones() -> None:
    moment = datetime(2021, 3, 30, 16, 10, 8, tzinfo=UTC)
    assert when(moment) == "2021-03-30 16:10 UTC"
    assert when(moment, PARIS) == "2021-03-30 18:10 CEST"
    assert when(datetime(2021, 1, 5, 9, 0, tzinfo=UTC), PARIS) == "2021-01-05 10:00 CET"
    assert when(moment, token=True) == "<!date^1617120608^{date_short_pretty} {time}|2021-03-30 16:10 UTC>"
    view = order_view_from_carrier(get_example("carrier/product-order-get-11").body)
    assert "*Ordered*\\n2021-03-30 18:10 CEST" in all_text(order_blocks(view, tz=PARIS))
    assert "*Ordered*\\n2021-03-30 16:10 UTC" in all_text(order_blocks(view))
    assert "UTC" not in all_text(order_blocks(view, tz=PARIS))


def test_escape_and_truncate() -> None:
    assert escape("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert truncate("short", 10) == "short"
    assert truncate("hello world", 6) == "hello…"
    assert truncate("abc &amp; def", 9) == "abc…"  # never half an entity
    assert truncate("x <@U123> y", 7) == "x…"  # never half a mention
    assert len(truncate("x" * 5000, 3000)) == 3000


# --- exact JSON: carrier order 11 --------------------------------------------------------------


def test_carrier_order_11() -> None:
    view = order_view_from_carrier(get_example("carrier/product-order-get-11").body)
    blocks = order_blocks(view)
    check_limits(blocks)
    assert dicts(blocks) == [
        {"type": "header", "text": {"type": "plain_text", "text": "Order carrier:11", "emoji": True}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*State:* ⚠️ Pending (action needed) · 3 items"},
            "fields": [
                {"type": "mrkdwn", "text": "*Ordered*\n2021-03-30 16:10 UTC"},
                {"type": "mrkdwn", "text": "*Requested completion*\n2021-03-31 12:00 UTC"},
                {"type": "mrkdwn", "text": "*Expected completion*\n2021-04-06 16:10 UTC"},
                {"type": "mrkdwn", "text": "*External id*\n`1`"},
                {"type": "mrkdwn", "text": "*Activity*\ninstall"},
                {"type": "mrkdwn", "text": "*Buyer*\n27117624"},
                {"type": "mrkdwn", "text": "*Total*\n4,000 EUR (one-off) + 28 EUR / day (recurring)"},
            ],
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Item 1* · add · ⚠️ Pending (action needed)\n"
                "Specification: TransitELine · Product: `LDD30106`\n"
                "Bandwidth: 4 · Class of service: GUARANTEED\n"
                "Price: 28 EUR / day (recurring)",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Item 2* · add · ⚠️ Pending (action needed)\n"
                "Specification: ENNI\n"
                "Site: `1440397`\n"
                "Price: 3,000 EUR (one-off)",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Item 3* · add · ⚠️ Pending (action needed)\n"
                "Specification: ENNI\n"
                "Site: `730124`\n"
                "Price: 1,000 EUR (one-off)",
            },
        },
    ]
    assert fallback_text(blocks) == "Order carrier:11"


# --- exact JSON: the wholesale item with a closed, then reopened, error ------------------------


def _wholesale_order_with_errors() -> OrderView:
    item = get_example("wholesale/product-order-item-milestones-fragment").body
    item["id"] = "1"
    return order_view_from_wholesale(
        {"id": "de76cfa1-9a55-412f-a9ee-61ca2f662a63", "state": "inProgress", "productOrderItem": [item]}
    )


def test_wholesale_open_errors_stand_out_and_closed_ones_are_summed_up() -> None:
    blocks = order_blocks(_wholesale_order_with_errors())
    check_limits(blocks)
    owf = (
        "Suite à l'échec de l'intervention, une nouvelle étude technique est nécessaire. "
        "A l'issue de la réparation, vous pourrez reprendre un rendez-vous."
    )
    assert dicts(blocks) == [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": "Order wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63",
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*State:* 🔧 In progress · 1 item · :rotating_light: 2 open errors"},
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":rotating_light: *Open error* · item `1`\n"
                ">Rendez-vous à reprendre\n"
                "*Reason:* ORT · since 2022-10-19 08:06 UTC",
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f":rotating_light: *Open error (reopened)* · item `1`\n>{owf}\n"
                "*Reason:* OWF · since 2022-10-14 17:06 UTC",
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": ":white_check_mark: 1 closed error message: OWF: Suite à l'échec de l'intervention, "
                    "une nouvelle étude technique est nécessaire.… (2022-10-14 17:06 UTC)",
                }
            ],
        },
        {"type": "divider"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Item 1* · 🔧 In progress · :rotating_light: 2 open errors"},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": ":round_pushpin: *Milestones* (latest first)\n"
                    "• 2022-10-01 08:06 UTC — En cours de production (FTTH · completed) · item `1`\n"
                    "• 2022-10-01 08:06 UTC — ICC : DSART162!10!FTT!04/05/33/0/1:835#xxx, SLID : xxxx "
                    "(FTTH · completed) · item `1`\n"
                    "• 2022-09-30 12:26 UTC — Validation de la commande en cours (FTTH · completed) · item `1`",
                }
            ],
        },
    ]


def test_error_notes_stand_out() -> None:
    notes = [
        *get_example("wholesale/product-order-note-error-fragment").body["note"],
        *get_example("wholesale/product-order-note-comment-fragment").body["note"],
    ]
    view = order_view_from_wholesale({"id": "n1", "state": "held", "note": notes})
    blocks = dicts(order_blocks(view, tz=PARIS))
    check_limits(order_blocks(view))
    assert {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": ":rotating_light: *Error note* · System · 2023-05-25 11:38 CEST\n"
            "067 The individual bbbe65f7-32d4-4539-8efe-beac37e65d0c does not have the correct role",
        },
    } in blocks
    assert {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ":memo: Order comment — Comment author · 2023-05-25 11:38 CEST"}],
    } in blocks


def test_carrier_text_is_escaped() -> None:
    view = OrderView(
        backend="wholesale",
        id="x",
        reference="wholesale:x",
        description="<!channel> & <https://evil.example|click>",
        error_messages=(ErrorMessageView(message="<@U999> pay now", reason="R&D"),),
    )
    text = all_text(order_blocks(view))
    assert "<!channel>" not in text and "<@U999>" not in text and "<https" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    check_limits(order_blocks(view))


# --- quotes ------------------------------------------------------------------------------------


def test_quote_orderable_has_the_order_button() -> None:
    view = quote_view_from_carrier(get_example("carrier/quote-get-6").body)
    blocks = dicts(quote_blocks(view, now=NOW))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Quote carrier:6", "emoji": True}}
    assert blocks[1]["text"]["text"] == "*State:* ✅ Approved · valid until 2021-04-01 23:59 UTC"
    assert {"type": "mrkdwn", "text": "*Recurring total*\n50 EUR / day (recurring)"} in blocks[1]["fields"]
    assert blocks[3]["text"]["text"] == (
        "*Item 1* · add · ✅ Approved\n"
        "Offering: Intense · Specification: TransitELine\n"
        "Bandwidth: 4 · Class of service: GUARANTEED · Term: 1 day\n"
        "Relies on: `ROUTA591-TenGigEth1-0-5`, `ROUTA659-TenGigEth1-0-6`"
    )  # one item: its prices are the totals above, shown once
    assert {"type": "mrkdwn", "text": "*Total over the term*\n50 EUR over 1 day"} in blocks[1]["fields"]
    assert {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "quote_order_request",
                "text": {"type": "plain_text", "text": "Order this quote", "emoji": True},
                "value": "carrier:6",
                "style": "primary",
            }
        ],
    } in blocks


def test_expired_quote_says_so_and_has_no_button() -> None:
    view = quote_view_from_carrier(get_example("carrier/quote-get-6").body)
    later = datetime(2021, 4, 2, tzinfo=UTC)
    blocks = quote_blocks(view, now=later, tz=PARIS)
    text = all_text(blocks)
    assert "quote_order_request" not in text
    assert "expired 2021-04-02 01:59 CEST" in text
    assert "Not orderable any more: the quote has expired." in text
    line = dicts(quotes_list_blocks([view], page=PageInfo(0, 20, 1, "quotes"), now=later))[1]["text"]["text"]
    assert line == "`carrier:6` · ✅ Approved · firm · expired 2021-04-01 23:59 UTC · 50 EUR / day (recurring)"


# --- approvals ---------------------------------------------------------------------------------

CARD = ApprovalCard(
    approval_id="apr-1",
    kind="quote_order",
    requester_id="U123",
    summary=["Quote carrier:6 — 4 Mbps GUARANTEED between sites 1265904 & 1354977"],
    one_off=[PriceView(name="installation", kind="one_off", amount=Decimal(3000), currency="EUR")],
    recurring=[PriceView(kind="recurring", amount=Decimal(28), currency="EUR", period="day")],
    reason="New customer <Acme>",
    reference="carrier:6",
)

_CARD_JSON: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": ":raised_hand: <@U123> asks to order quote *carrier:6*"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Quote carrier:6 — 4 Mbps GUARANTEED between sites 1265904 &amp; 1354977"},
    },
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*One-off*\ninstallation: 3,000 EUR (one-off)"},
            {"type": "mrkdwn", "text": "*Recurring*\n28 EUR / day (recurring)"},
        ],
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Reason: New customer &lt;Acme&gt;"}]},
]


def test_approval_request() -> None:
    blocks = approval_request_blocks(CARD)
    check_limits(blocks)
    assert dicts(blocks) == [
        *_CARD_JSON,
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":bust_in_silhouette: No approvers are named: any member of the workspace but <@U123> may "
                "approve or reject.",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approval_approve",
                    "text": {"type": "plain_text", "text": "Approve", "emoji": True},
                    "value": "apr-1",
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": "approval_reject",
                    "text": {"type": "plain_text", "text": "Reject", "emoji": True},
                    "value": "apr-1",
                    "style": "danger",
                },
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Approval `apr-1` · waiting for an approver"}]},
    ]
    assert fallback_text(blocks) == ":raised_hand: <@U123> asks to order quote carrier:6"


def test_approval_decided() -> None:
    decided_at = datetime(2021, 3, 30, 16, 10, tzinfo=UTC)
    blocks = approval_decided_blocks(
        CARD,
        decided_by="U456",
        decided_at=decided_at,
        outcome="approved",
        result_text="Order carrier:31 created; it is watched in this channel.",
        tz=PARIS,
    )
    check_limits(blocks)
    assert dicts(blocks) == [
        *_CARD_JSON,
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":white_check_mark: *Approved* by <@U456> · "
                "<!date^1617120600^{date_short_pretty} {time}|Mar 30, 2021 16:10 UTC>\n"
                "Order carrier:31 created; it is watched in this channel.",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Approval `apr-1`"}]},
    ]


def test_approval_failed_offers_a_retry() -> None:
    blocks = approval_decided_blocks(
        CARD,
        decided_by="U456",
        decided_at=datetime(2021, 3, 30, 16, 10, tzinfo=UTC),
        outcome="failed",
        result_text="Orange refused the order: this externalIdentifier already exists (code PRO_0005_A)",
        tz=None,
    )
    check_limits(blocks)
    assert dicts(blocks)[4:] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":warning: *Failed* · approved by <@U456> · "
                "<!date^1617120600^{date_short_pretty} {time}|Mar 30, 2021 16:10 UTC>\n"
                "Orange refused the order: this externalIdentifier already exists (code PRO_0005_A)",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approval_retry",
                    "text": {"type": "plain_text", "text": "Retry", "emoji": True},
                    "value": "apr-1",
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Approval `apr-1`"}]},
    ]


@pytest.mark.parametrize("outcome", ["approved", "rejected", "failed", "submitted"])
def test_decided_approvals_have_no_approve_button(outcome: Any) -> None:
    cancel = ApprovalCard("apr-2", "cancel_order", "U1", ["wholesale:de76"], reason="client changed his mind")
    for card in (CARD, cancel):
        blocks = approval_decided_blocks(
            card, decided_by="U2", decided_at=NOW, outcome=outcome, result_text=None, tz=PARIS
        )
        check_limits(blocks)
        text = all_text(blocks)
        assert "approval_approve" not in text and "approval_reject" not in text
        assert ("approval_retry" in text) == (outcome == "failed")
        assert "<@U2>" in text
    assert "asks to cancel an order" in all_text(approval_request_blocks(cancel))


# --- paging, sharing, errors -------------------------------------------------------------------


def test_paging_actions() -> None:
    block = paging_actions(PageInfo(offset=20, limit=20, total=57, command_text="orders carrier state=inProgress"))
    assert block is not None
    assert block.to_dict() == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "page_prev",
                "text": {"type": "plain_text", "text": "◀ Previous", "emoji": True},
                "value": '{"c":"orders carrier state=inProgress","o":0}',
            },
            {
                "type": "button",
                "action_id": "page_next",
                "text": {"type": "plain_text", "text": "Next ▶", "emoji": True},
                "value": '{"c":"orders carrier state=inProgress","o":40}',
            },
        ],
    }


def test_paging_only_where_it_leads() -> None:
    assert paging_actions(PageInfo(0, 20, 15, "orders")) is None
    first = paging_actions(PageInfo(0, 20, 57, "orders"))
    assert first is not None and [e["action_id"] for e in first.to_dict()["elements"]] == ["page_next"]
    last = paging_actions(PageInfo(40, 20, 57, "orders"))
    assert last is not None and [e["action_id"] for e in last.to_dict()["elements"]] == ["page_prev"]
    unknown_total = paging_actions(PageInfo(0, 20, None, "orders", more=True))
    assert unknown_total is not None and json.loads(unknown_total.to_dict()["elements"][0]["value"]) == {
        "c": "orders",
        "o": 20,
    }
    assert paging_actions(PageInfo(0, 20, 57, "sites " + "x" * 2000)) is None


def test_lists_show_at_most_20_and_page_on() -> None:
    views = [
        OrderView(backend="carrier", id=str(i), reference=f"carrier:{i}", state=OrderState.in_progress)
        for i in range(30)
    ]
    blocks = orders_list_blocks(views, title="Orders — carrier", page=PageInfo(0, 50, None, "orders carrier"))
    check_limits(blocks)
    text = all_text(blocks)
    assert "`carrier:19`" in text and "`carrier:20`" not in text
    assert "Showing 1–20" in text
    assert '{\\"c\\":\\"orders carrier\\",\\"o\\":20}' in text
    first = dicts(blocks)[1]["text"]["text"].split("\n")[0]
    assert first == "`carrier:0` · 🔧 In progress"
    empty = dicts(orders_list_blocks([], title="Orders", page=PageInfo(0, 20, 0, "orders")))
    assert empty[1] == {"type": "section", "text": {"type": "mrkdwn", "text": "No order found."}}


def test_share_button() -> None:
    assert share_button("order carrier:11").to_dict() == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "share_in_channel",
                "text": {"type": "plain_text", "text": "Share in channel", "emoji": True},
                "value": "order carrier:11",
            }
        ],
    }


def _status_error(
    status: int, body: object, *, operation: str = "get order", headers: dict[str, str] | None = None
) -> APIStatusError:
    response = httpx.Response(
        status, json=body, headers=headers, request=httpx.Request("GET", "https://api.example/productOrder/999")
    )
    return make_status_error(backend="carrier", operation=operation, response=response)


def test_carrier_error_404() -> None:
    err = _status_error(404, {"code": 60, "message": "Resource not found", "description": "no productOrder 999"})
    blocks = carrier_error_blocks(err)
    check_limits(blocks)
    assert dicts(blocks) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":x: Orange has no such order (code 60)"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "carrier · get order · HTTP 404"}]},
    ]


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (lambda: _status_error(404, {"code": "60"}, operation="get quote"), "Orange has no such quote (code 60)"),
        (lambda: _status_error(403, {"code": "50"}), "not allowed to do this (code 50)"),
        (lambda: _status_error(429, {}, headers={"Retry-After": "30"}), "try again in 30 s (HTTP 429)"),
        (lambda: _status_error(403, {"code": "53"}), "try again later (code 53)"),
        (lambda: _status_error(503, {"code": "5"}), "failing right now; try again later (code 5)"),
        (lambda: APIConnectionError(backend="carrier", operation="get order"), "could not be reached; try again later"),
        (lambda: APITimeoutError(backend="carrier", operation="get order"), "did not answer in time; try again later"),
        (lambda: _status_error(401, {"code": "41"}), "ask an operator to check them (code 41)"),
        (
            lambda: _status_error(400, {"code": "PRO_0005_A"}, operation="create order"),
            "Orange refused the order: this externalIdentifier already exists (code PRO_0005_A)",
        ),
    ],
)
def test_carrier_errors_in_words(err: Callable[[], APIError], words: str) -> None:
    error = err()
    assert carrier_error_text(error).endswith(words)
    check_limits(carrier_error_blocks(error))


def test_carrier_errors_never_carry_secrets() -> None:
    register_secret("s3cr3t-client-secret")
    body = {
        "code": "22",
        "message": "Invalid body: client_secret=s3cr3t-client-secret",
        "reason": "Bearer abcdefghijkl",
    }
    for status in (400, 401, 404, 500):
        text = all_text(carrier_error_blocks(_status_error(status, body)))
        assert "s3cr3t-client-secret" not in text and "abcdefghijkl" not in text


def test_error_blocks() -> None:
    blocks = error_blocks("Unknown backend carier: did you mean carrier?", "Usage: `/orange order <ref>` — one order")
    assert dicts(blocks) == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": ":warning: Unknown backend carier: did you mean carrier?"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Usage: `/orange order &lt;ref&gt;` — one order"}]},
    ]
    assert len(error_blocks("x")) == 1


def test_help_blocks() -> None:
    usage = "\n".join(f"`/orange verb{i} <ref>` — does thing {i}" for i in range(200))
    blocks = help_blocks(usage, ["carrier", "wholesale"])
    check_limits(blocks)
    text = all_text(blocks)
    assert "&lt;ref&gt;" in text and "`carrier`, `wholesale`" in text
    assert "No Orange backend is enabled" in all_text(help_blocks("`/orange help`", []))


# --- watches and home --------------------------------------------------------------------------


def test_watch_root() -> None:
    view = order_view_from_carrier(get_example("carrier/product-order-get-11").body)
    blocks = watch_root_blocks(view, errors_only=True)
    check_limits(blocks)
    assert dicts(blocks) == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":eyes: *Watching 1 / BOA12 · site 1440397* · `carrier:11`\n"
                "*State:* ⚠️ Pending (action needed) · "
                "expected <!date^1617725408^{date_short_pretty} {time}|Apr 6, 2021 16:10 UTC>",
            },
            "accessory": {
                "type": "button",
                "action_id": "unwatch",
                "text": {"type": "plain_text", "text": "Unwatch", "emoji": True},
                "value": "carrier:11",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Only error messages and the final state are posted in this thread."}
            ],
        },
    ]
    done = view.model_copy(update={"state": OrderState.completed, "completion_date": NOW})
    text = all_text(watch_root_blocks(done, errors_only=False, tz=PARIS))
    assert (
        "Watch ended: 1 / BOA12 · site 1440397* · `carrier:11`" in text
        and "✅ Completed" in text
        and "unwatch" not in text
    )


def test_watch_lists() -> None:
    link = "https://example.slack.com/archives/C1/p1617120608000100"
    assert dicts(watch_exists_blocks("carrier:11", link)) == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":information_source: `carrier:11` is already watched in this channel. "
                f"<{link}|See its thread>",
            },
        }
    ]
    rows = [WatchRow(f"carrier:{i}", "🔧 In progress", link, i % 2 == 0, "U1") for i in range(500)]
    blocks = watches_list_blocks(rows)
    check_limits(blocks)
    assert f"`carrier:0` · 🔧 In progress · errors only · by <@U1> · <{link}|thread>" in all_text(blocks)
    assert "No order is watched in this channel yet" in all_text(watches_list_blocks([]))
    check_limits(watches_list_blocks([]))


def test_home_view() -> None:
    empty = home_view([], [], enabled_backends=["carrier"])
    assert empty["type"] == "home"
    check_limits(empty["blocks"], max_blocks=100)
    text = json.dumps(empty, ensure_ascii=False)
    assert "Your watches" in text and "Pending approvals" in text
    assert "You are not watching any order" in text and "Nothing waits for a decision" in text
    link = "https://example.slack.com/archives/C1/p1"
    watches = [WatchRow(f"wholesale:{i:040d}", "🔧 In progress", link, False, "U1") for i in range(1000)]
    approvals = [ApprovalRow(f"apr-{i}", "quote_order", "U2", f"Quote carrier:{i} <x>", link, NOW) for i in range(1000)]
    full = home_view(watches, approvals, enabled_backends=["carrier", "wholesale", "business"], tz=PARIS)
    check_limits(full["blocks"], max_blocks=100)
    assert "&lt;x&gt;" in json.dumps(full)


# --- sites, products, catalog ------------------------------------------------------------------


def test_address_validation_in_words() -> None:
    body = get_example("carrier/geographic-address-validation-create-response").body
    blocks = dicts(address_blocks(address_validation_view(body)))
    assert blocks[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Result:* ✅ Success: Orange knows this address"},
    }
    assert blocks[3]["text"]["text"] == (
        "*Best match*\n12 rue des fleurs, 95870 bezons, France · id `22482972` · "
        "a new site can be built, no public site"
    )
    alternatives = tuple(AddressMatchView(id=str(i), line=f"{i} rue X") for i in range(300))
    partial = address_blocks(AddressValidationView(result="partial", alternatives=alternatives))
    check_limits(partial)
    assert "🟡 Partial" in all_text(partial)
    assert "❌ Fail" in all_text(address_blocks(AddressValidationView(result="fail")))


def test_sites_list() -> None:
    views = [site_view_from_carrier(s) for s in get_example("carrier/geographic-site-list").body]
    blocks = dicts(sites_list_blocks(views, PageInfo(0, 20, 3, "sites"), ""))
    assert blocks[1]["text"]["text"].split("\n")[2] == (
        "`105740` *Bagnolet* · public · 7, avenue Gambetta, 93177 Bagnolet, France"
    )
    assert "No site matches `city=Nowhere`" in all_text(sites_list_blocks([], PageInfo(0, 20, 0, "s"), "city=Nowhere"))


def test_product_tree_and_catalog_offer() -> None:
    view = product_view_from_wholesale(get_example("wholesale/inventory-product-get-depth-2").body)
    text = all_text(product_blocks(view, None))
    assert "*Related products*" in text and "↳ `wholesale:2c9180837dba2335017dc33dee820025`" in text
    offer = offering_view(get_example("wholesale/catalog-product-offering-get").body)
    text = all_text(offer_blocks(offer))
    assert "Orderable by API: no" in text and "Price from: 42,60 €" in text


# --- stress ------------------------------------------------------------------------------------


def test_huge_order_stays_within_limits() -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    items = tuple(
        OrderItemView(
            id=str(i),
            state=OrderState.in_progress,
            offering_name="Accès " * 100,
            site_ids=tuple(str(s) for s in range(50)),
            prices=tuple(
                PriceView(kind="recurring", amount=Decimal(i), currency="EUR", period="month") for _ in range(20)
            ),
        )
        for i in range(200)
    )
    milestones = tuple(
        MilestoneView(item_id=str(i % 200), message=f"step {i}", date=base + timedelta(hours=i)) for i in range(300)
    )
    errors = tuple(
        ErrorMessageView(item_id=str(i), message="x" * 10_000, reason="OWF", status="opened" if i % 2 else "closed")
        for i in range(40)
    )
    view = OrderView(
        backend="wholesale",
        id="big",
        reference="wholesale:big",
        description="d" * 10_000,
        items=items,
        milestones=milestones,
        error_messages=errors,
        notes=tuple(),
        prices=tuple(p for i in items for p in i.prices),
    )
    blocks = order_blocks(view, tz=PARIS)
    check_limits(blocks, max_blocks=48)
    text = all_text(blocks)
    assert "step 299" in text and "step 294" not in text and "and 295 more milestones" in text
    assert "more items not shown" in text and "and 15 more open errors" in text
    check_limits([*blocks, share_button("order wholesale:big")])


def test_long_error_message_is_truncated() -> None:
    blocks = error_blocks("e" * 10_000, "u" * 10_000)
    dumped = check_limits(blocks)
    assert len(dumped[0]["text"]["text"]) <= 3000 and dumped[0]["text"]["text"].endswith("…")
    assert len(dumped[1]["elements"][0]["text"]) <= 3000
    view = OrderView(
        backend="wholesale",
        id="x",
        reference="wholesale:x",
        error_messages=(ErrorMessageView(message="<&>" * 4000, reason="R"),),
    )
    check_limits(order_blocks(view))


# --- the checker itself ------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "b"}, "value": "v"}


@pytest.mark.parametrize(
    "blocks",
    [
        [_section("x")] * 51,
        [_section("x" * 3001)],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        [{"type": "actions", "elements": [_button("a"), _button("a")]}],
        [{"type": "actions", "elements": [{**_button("a"), "value": "v" * 2001}]}],
        [_section("<!channel> & co")],
        [_section("")],
    ],
)
def test_check_limits_catches_violations(blocks: list[dict[str, Any]]) -> None:
    with pytest.raises(AssertionError):
        check_limits(blocks)


def test_help_names_the_backends_once() -> None:
    text = "• `/orange order <ref>` — one order\nBackends: carrier, wholesale. A reference is backend:id."
    blocks = help_blocks(text, ["carrier", "wholesale"])
    check_limits(blocks)
    assert "Enabled backends" not in all_text(blocks)
