"""Shared wording and Block Kit helpers: states, money, dates, escaping, and blocks that never break Slack's limits.

    state_text(OrderState.in_progress)          # '🔧 In progress'              '🔧 En cours'
    money(price)                                # '28 EUR / day (recurring)'    '28,00 € / jour (récurrent)'
    when(dt, ZoneInfo("Europe/Paris"))          # '2021-03-30 18:10 CEST'       '30 mars 2021 18:10 CEST'
    section(escape(carrier_text))               # a SectionBlock truncated to 3,000 characters

Every text put in mrkdwn goes through `escape` (carrier text may hold `<`, `&`); helpers such as `section`,
`header`, `context` and `button` truncate with "…" instead of letting `to_dict()` fail.

Words, amounts and dates follow the language spoken (`bot.i18n.speaking`); English keeps the forms above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import i18n
from bot.commands.tokens import escape_slack
from bot.i18n import _, day, n_
from integrations.states import OrderState, ProductStatus, QuoteState
from integrations.views import PriceKind, PriceView, TermView

from .states import emoji, label, quote_emoji, quote_label

__all__ = [
    "posted_date",
    "ACTION_ID_MAX",
    "BUTTON_TEXT_MAX",
    "BUTTON_VALUE_MAX",
    "CONTEXT_ELEMENTS_MAX",
    "FIELDS_MAX",
    "FIELD_TEXT_MAX",
    "HEADER_TEXT_MAX",
    "LIST_PAGE_SIZE",
    "MESSAGE_BLOCKS_MAX",
    "MESSAGE_BUDGET",
    "SECTION_TEXT_MAX",
    "VIEW_BLOCKS_MAX",
    "actions",
    "bullet_sections",
    "button",
    "code",
    "context",
    "divider",
    "escape",
    "fallback_text",
    "header",
    "link",
    "mention",
    "money",
    "order_name",
    "pack_lines",
    "plural",
    "price_totals",
    "prices_text",
    "product_status_text",
    "section",
    "slack_date",
    "state_text",
    "TermTotal",
    "term_months",
    "term_total",
    "term_total_text",
    "truncate",
    "when",
    "words",
]

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_BUDGET = 48
"""What message builders use at most, leaving room for the caller's `share_button` (and one more block)."""
SECTION_TEXT_MAX = 3_000
FIELD_TEXT_MAX = 2_000
FIELDS_MAX = 10
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2_000
ACTION_ID_MAX = 255
CONTEXT_ELEMENTS_MAX = 10
LIST_PAGE_SIZE = 20
"""Entries of a list message (orders, quotes, sites, products) at most."""

ELLIPSIS = "…"

# --- text --------------------------------------------------------------------------------------

_OPEN_ENTITY = re.compile(r"&[a-z#0-9]{0,6}$")


def escape(text: str) -> str:
    """Text for mrkdwn: `&`, `<` and `>` as entities, so carrier text never becomes a link or a mention."""
    return escape_slack(text)


def truncate(text: str, n: int) -> str:
    """`text` if it fits in `n` characters, else cut with "…" at the end (never inside an entity or `<…>` token)."""
    if len(text) <= n:
        return text
    if n <= 0:
        return ""
    cut = text[: n - 1]
    # Our own mrkdwn holds entities (&lt;) and tokens (<@U1>, <!date^…>, <url|label>): never leave half of one.
    opening = cut.rfind("<")
    if opening > cut.rfind(">"):
        cut = cut[:opening]
    entity = _OPEN_ENTITY.search(cut)
    if entity is not None:
        cut = cut[: entity.start()]
    return cut.rstrip() + ELLIPSIS


def code(text: str) -> str:
    """`text` as an inline code span (escaped, backticks replaced so the span cannot end early)."""
    return "`" + escape(text.replace("`", "'")) + "`"


def order_name(label: str | None, reference: str) -> str:
    """An order in mrkdwn as people know it, its reference beside it to type: `` ACME-42 · Lyon · `carrier:11` ``
    (`label`: `order_label`'s plain text; none, or the reference itself, gives the code span alone)."""
    if not label or label == reference:
        return code(reference)
    return f"{escape(label)} · {code(reference)}"


def words(*parts: str | None, sep: str = " · ") -> str:
    """The parts that are not empty, joined: `words("a", None, "b")` → `a · b`."""
    return sep.join(p for p in parts if p)


def mention(user_id: str) -> str:
    """`<@U123>`; a user group (`subteam^S123`, a channel's `mention` setting) `<!subteam^S123>`."""
    if user_id.startswith("subteam^"):
        return f"<!{escape(user_id)}>"
    return f"<@{escape(user_id)}>"


def link(url: str | None, label: str) -> str:
    """`<url|label>` for mrkdwn (label escaped), or the label alone when there is no usable http(s) URL."""
    if not url or not url.startswith(("https://", "http://")) or any(c in url for c in "<>| \n"):
        return escape(label)
    return f"<{url}|{escape(label).replace('|', '/')}>"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 item`, `3 items`, `2 open errors`: English words, the count in the language spoken. A sentence to
    translate says its count with `bot.i18n.n_` instead (`n_("{n} item", "{n} items", count)`)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{i18n.number(count)} {word}"


def _pack(lines: Iterable[str], limit: int) -> list[tuple[str, int]]:
    chunks: list[tuple[str, int]] = []
    current, count = "", 0
    for raw in lines:
        line = truncate(raw, limit)
        if count and len(current) + 1 + len(line) <= limit:
            current, count = f"{current}\n{line}", count + 1
            continue
        if count:
            chunks.append((current, count))
        current, count = line, 1
    if count:
        chunks.append((current, count))
    return chunks


def pack_lines(lines: Iterable[str], limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Join lines into as few texts of at most `limit` characters as possible (an overlong line is truncated)."""
    return [text for text, _count in _pack(lines, limit)]


# --- states ------------------------------------------------------------------------------------

_PRODUCT_EMOJI: dict[ProductStatus, str] = {
    ProductStatus.active: "🟢",
    ProductStatus.pending_active: "⏳",
    ProductStatus.pending: "⏳",
    ProductStatus.suspended: "⏸️",
    ProductStatus.pending_terminate: "⏳",
    ProductStatus.terminated: "⚫",
    ProductStatus.cancelled: "🚫",
    ProductStatus.created: "📝",
    ProductStatus.aborted: "❌",
    ProductStatus.unknown: "❔",
}


def _product_label(status: ProductStatus) -> str:
    return {
        ProductStatus.active: _("Active"),
        ProductStatus.pending_active: _("Pending activation"),
        ProductStatus.pending: _("Pending"),
        ProductStatus.suspended: _("Suspended"),
        ProductStatus.pending_terminate: _("Termination pending"),
        ProductStatus.terminated: _("Terminated"),
        ProductStatus.cancelled: _("Cancelled"),
        ProductStatus.created: _("Created"),
        ProductStatus.aborted: _("Aborted"),
        ProductStatus.unknown: _("Unknown"),
    }[status]


def state_text(state: OrderState | QuoteState | ProductStatus, raw: str | None = None) -> str:
    """Emoji and words, always both: `🔧 In progress`; an unknown state shows the carrier's spelling when given."""
    if isinstance(state, OrderState):
        text = f"{emoji(state)} {label(state)}"
        unknown = state is OrderState.unknown
    elif isinstance(state, QuoteState):
        text = f"{quote_emoji(state)} {quote_label(state)}"
        unknown = state is QuoteState.unknown
    else:
        text = f"{_PRODUCT_EMOJI[state]} {_product_label(state)}"
        unknown = state is ProductStatus.unknown
    if unknown and raw and raw.strip():
        text = f"{text} ({raw.strip()})"
    return text


def product_status_text(status: ProductStatus, raw: str | None = None) -> str:
    """`state_text` of a product status (`🟢 Active`)."""
    return state_text(status, raw)


# --- money -------------------------------------------------------------------------------------


def _amount(amount: Decimal) -> str:
    if not amount.is_finite():
        return str(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    if amount.as_tuple().exponent in (-1, -2):
        return f"{amount:,.2f}"
    return f"{amount:,}"


def _period(period: str) -> str:
    # Orange's periods are English words (`day`, `month`); a unit such as `GB` is shown as Orange wrote it.
    known = {
        "hour": _("hour"),
        "day": _("day"),
        "week": _("week"),
        "month": _("month"),
        "quarter": _("quarter"),
        "year": _("year"),
    }
    return known.get(period.strip().casefold(), period)


def _local_amount(amount: Decimal, currency: str) -> str:
    if not currency:
        return _("{amount} (currency not given)", amount=i18n.number(amount) if amount.is_finite() else str(amount))
    if not amount.is_finite():
        return f"{amount} {currency}"
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        # A usage price (0.125 per GB) keeps every decimal Orange gave; i18n.money would round it to cents.
        return format_currency(amount, currency, locale=i18n.language(), decimal_quantization=False)
    return i18n.money(amount, currency)


def money(price: PriceView) -> str:
    """`28 EUR / day (recurring)`, `3,000 EUR (one-off)`: amount, currency, period and kind, always.

    In French, Babel's amounts: `28,00 € / jour (récurrent)`, `3 000,00 € (ponctuel)`.
    """
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        # The English form people and tests know: ISO code after the amount, cents only when there are some.
        amount = _amount(price.amount)
        text = f"{amount} {price.currency}" if price.currency else _("{amount} (currency not given)", amount=amount)
    else:
        text = _local_amount(price.amount, price.currency)
    if price.kind in ("recurring", "usage") and price.period:
        text += f" / {_period(price.period)}"
    notes = {"one_off": [_("one-off")], "recurring": [_("recurring")], "usage": [_("usage")]}.get(price.kind, [])
    if price.tax_included:
        notes.append(_("tax incl."))
    if notes:
        text += f" ({', '.join(notes)})"
    return text


_KIND_ORDER = {"one_off": 0, "recurring": 1, "usage": 2, "unknown": 3}


def price_totals(prices: Iterable[PriceView]) -> list[PriceView]:
    """Prices summed by kind, currency, period and tax basis: one-off first, then recurring, usage, others."""
    sums: dict[tuple[PriceKind, str, str | None, bool | None], Decimal] = {}
    for p in prices:
        key = (p.kind, p.currency, p.period, p.tax_included)
        sums[key] = sums.get(key, Decimal(0)) + p.amount
    ordered = sorted(sums.items(), key=lambda kv: (_KIND_ORDER.get(kv[0][0], 9), kv[0][1], kv[0][2] or ""))
    return [
        PriceView(kind=kind, amount=amount, currency=cur, period=period, tax_included=tax)
        for (kind, cur, period, tax), amount in ordered
    ]


def prices_text(prices: Sequence[PriceView], *, names: bool = False, empty: str | None = None) -> str:
    """Prices one after the other (`3,000 EUR (one-off) + 28 EUR / day (recurring)`), escaped for mrkdwn; `empty`
    (default "none", in the language spoken) when there is none."""
    if not prices:
        return _("none") if empty is None else empty
    parts = []
    for p in prices:
        text = money(p)
        if names and p.name:
            text = f"{p.name}: {text}"
        parts.append(escape(text))
    return " + ".join(parts)


# --- the total over a term ----------------------------------------------------------------------

_MONTH = Decimal(12)
_YEAR_DAYS = Decimal(365)
_MONTHS_PER_UNIT: dict[str, Decimal] = {
    "day": _MONTH / _YEAR_DAYS,
    "week": 7 * _MONTH / _YEAR_DAYS,
    "month": Decimal(1),
    "quarter": Decimal(3),
    "year": _MONTH,
}
"""A term unit in months: a year is 12 months of 365/12 days (leap days ignored)."""
_CHARGES_PER_MONTH: dict[str, Decimal] = {
    "hour": 24 * _YEAR_DAYS / _MONTH,
    "day": _YEAR_DAYS / _MONTH,
    "week": _YEAR_DAYS / _MONTH / 7,
    "month": Decimal(1),
    "quarter": Decimal(1) / 3,
    "year": Decimal(1) / _MONTH,
}
"""How many times a recurring price of each period is charged in a month (a day: 365/12 times)."""
_CENT = Decimal("0.01")


def _unit(raw: str | None) -> str:
    """`calendarMonths`, `Months`, `month` → `month` (MEF and TMF spell term units and periods either way)."""
    word = (raw or "").strip().casefold().removeprefix("calendar").removeprefix("business")
    return word[:-1] if word.endswith("s") else word


def term_months(term: TermView | None) -> Decimal | None:
    """The term in months (`1 year` → 12, `36 months` → 36, `730 days` → 24), or None when Orange gave none usable."""
    if term is None or term.amount is None or not term.amount.is_finite() or term.amount <= 0:
        return None
    per = _MONTHS_PER_UNIT.get(_unit(term.units))
    return None if per is None else term.amount * per


@dataclass(frozen=True)
class TermTotal:
    """What a quote costs over its term: one-off plus recurring × term, per currency (and tax basis)."""

    prices: tuple[PriceView, ...]
    months: Decimal | None
    """The term in months when every item has the same one, else None."""


def _cents(amount: Decimal) -> Decimal:
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    return cents.quantize(Decimal(1)) if cents == cents.to_integral_value() else cents


def term_total(items: Iterable[tuple[Sequence[PriceView], TermView | None]]) -> TermTotal | None:
    """The total over the term of priced items, each `(prices, term)`: its one-off prices plus each recurring price
    times the number of its periods in the item's term (a per-day price over 12 months: 365 days; per month: 12;
    per year: 1). None when a recurring price has no term or a period we cannot count, or nothing is priced.
    Usage prices depend on use: they are not counted."""
    sums: dict[tuple[str, bool | None], Decimal] = {}
    terms: set[Decimal] = set()
    for prices, term in items:
        months = term_months(term)
        for price in prices:
            if price.kind == "one_off":
                amount = price.amount
            elif price.kind == "recurring":
                per_month = _CHARGES_PER_MONTH.get(_unit(price.period))
                if months is None or per_month is None:
                    return None
                amount = price.amount * per_month * months
                terms.add(months)
            else:
                continue
            if not amount.is_finite():
                return None
            key = (price.currency, price.tax_included)
            sums[key] = sums.get(key, Decimal(0)) + amount
    if not sums:
        return None
    totals = tuple(
        PriceView(
            kind="unknown",
            amount=_cents(amount),
            currency=cur,
            tax_included=tax,
        )
        for (cur, tax), amount in sorted(sums.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
    )
    return TermTotal(prices=totals, months=terms.pop() if len(terms) == 1 else None)


def term_total_text(total: TermTotal) -> str:
    """`91,250 EUR over 12 months` (`91 250,00 € sur 12 mois`), `50 EUR over 1 day`, escaped for mrkdwn."""
    amounts = prices_text(total.prices)
    if total.months is None:
        return _("{amount} over each item's term", amount=amounts)
    months = total.months.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if months >= 1 and months == months.to_integral_value():
        count = int(months)
        return n_(
            "{amount} over {months} month",
            "{amount} over {months} months",
            count,
            amount=amounts,
            months=i18n.number(count),
        )
    days = int((total.months * _YEAR_DAYS / _MONTH).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return n_("{amount} over {days} day", "{amount} over {days} days", days, amount=amounts, days=i18n.number(days))


# --- dates -------------------------------------------------------------------------------------


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def when(dt: datetime, tz: tzinfo | None = None, *, token: bool = False) -> str:
    """`2021-03-30 18:10 CEST` in the user's time zone, else `2021-03-30 16:10 UTC` (French: `30 mars 2021 18:10
    CEST`); `token=True` wraps it in a Slack date token, which each reader's client shows in their own time zone
    (the text is its fallback).
    """
    local = _aware(dt).astimezone(tz or UTC)
    zone = local.tzname() or local.strftime("%z")
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        text = f"{local:%Y-%m-%d %H:%M} {zone}"
    else:
        # Babel's day (`6 déc. 2026`), then the 24-hour clock French reads everywhere, then the zone.
        text = f"{i18n.day(local)} {local:%H:%M} {zone}"
    if token:
        return slack_date(dt, fallback=text)
    return text


def slack_date(dt: datetime, *, fallback: str | None = None, fmt: str = "{date_short_pretty} {time}") -> str:
    """`<!date^1617120608^{date_short_pretty} {time}|2021-03-30 16:10 UTC>`."""
    epoch = int(_aware(dt).timestamp())
    text = fallback if fallback is not None else when(dt)
    return f"<!date^{epoch}^{fmt}|{escape(text).replace('|', '/')}>"


# --- blocks ------------------------------------------------------------------------------------


def posted_date(dt: datetime) -> str:
    """A date in a channel post or App Home: a Slack date token, which each reader's client shows in their own zone;
    its fallback names the zone (`6 déc. 2026 14:46 UTC`, `Dec 6, 2026 14:46 UTC`), in the language spoken."""
    utc = (dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)).astimezone(UTC)
    return slack_date(utc, fallback=f"{day(utc)} {utc:%H:%M} UTC")


def header(text: str) -> HeaderBlock:
    """A header of plain text, cut at 150 characters."""
    return HeaderBlock(text=PlainTextObject(text=truncate(text, HEADER_TEXT_MAX) or " ", emoji=True))


def section(
    text: str | None = None,
    *,
    fields: Sequence[str] = (),
    accessory: ButtonElement | None = None,
) -> SectionBlock:
    """A mrkdwn section; text cut at 3,000 characters, at most 10 fields of at most 2,000 each (empty ones dropped)."""
    kept = [truncate(f, FIELD_TEXT_MAX) for f in fields if f][:FIELDS_MAX]
    body = MarkdownTextObject(text=truncate(text, SECTION_TEXT_MAX)) if text else None
    if body is None and not kept:
        body = MarkdownTextObject(text=" ")
    return SectionBlock(text=body, fields=[MarkdownTextObject(text=f) for f in kept] or None, accessory=accessory)


def context(*texts: str) -> ContextBlock:
    """A context block of mrkdwn texts (at most 10, each cut at 3,000 characters)."""
    kept = [truncate(t, SECTION_TEXT_MAX) for t in texts if t][:CONTEXT_ELEMENTS_MAX] or [" "]
    return ContextBlock(elements=[MarkdownTextObject(text=t) for t in kept])


def divider() -> DividerBlock:
    return DividerBlock()


def button(text: str, *, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    """A button; text cut at 75 characters, value at 2,000, action_id at 255."""
    return ButtonElement(
        text=PlainTextObject(text=truncate(text, BUTTON_TEXT_MAX), emoji=True),
        action_id=action_id[:ACTION_ID_MAX],
        value=value[:BUTTON_VALUE_MAX],
        style=style or None,
    )


def actions(*buttons: ButtonElement) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons))


def bullet_sections(
    lines: Sequence[str], *, max_blocks: int, more: str | Callable[[int], str] | None = None
) -> list[Block]:
    """Lines packed into sections, at most `max_blocks` blocks; what does not fit is counted in a last context line.

    `more` says the count: a function of it (`lambda n: n_("and {n} more site", "and {n} more sites", n)`), a
    template with `{n}`, or by default "and {n} more" in the language spoken.
    """
    if not lines or max_blocks <= 0:
        return []
    chunks = _pack(lines, SECTION_TEXT_MAX)
    if len(chunks) <= max_blocks:
        return [section(text) for text, _count in chunks]
    kept = chunks[: max_blocks - 1]
    rest = len(lines) - sum(count for _text, count in kept)
    if more is None:
        counted = n_("and {n} more", "and {n} more", rest)
    elif isinstance(more, str):
        counted = more.format(n=rest)
    else:
        counted = more(rest)
    return [*(section(text) for text, _count in kept), context(counted)]


def fallback_text(blocks: Sequence[Block], limit: int = 300) -> str:
    """The notification text of a message: its first header or section, without mrkdwn styling."""
    for block in blocks:
        text: str | None = None
        if isinstance(block, HeaderBlock) and block.text is not None:
            text = block.text.text
        elif isinstance(block, SectionBlock) and block.text is not None:
            text = block.text.text
        if text and text.strip():
            plain = re.sub(r"[*`]", "", text.split("\n", 1)[0])
            return truncate(plain.strip(), limit)
    return "Orange bot"
