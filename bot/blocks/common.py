"""Blocks every command uses: help, one-line errors, carrier errors in words, "Share in channel", paging.

blocks = [*order_blocks(view), share_button("order carrier:11")]
blocks = carrier_error_blocks(err)          # "`carrier:999999`: Orange has no such order (code 60)"
paging_actions(PageInfo(offset=20, limit=20, total=57, command_text="orders carrier"))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.i18n import _, number
from integrations import APIError, APIStatusError, RateLimitError, redact

from .format import (
    BUTTON_VALUE_MAX,
    LIST_PAGE_SIZE,
    MESSAGE_BUDGET,
    actions,
    button,
    code,
    context,
    escape,
    header,
    pack_lines,
    section,
    truncate,
)

__all__ = [
    "ACTION_PAGE_NEXT",
    "ACTION_PAGE_PREV",
    "ACTION_SHARE",
    "PageInfo",
    "carrier_error_blocks",
    "carrier_error_text",
    "error_blocks",
    "help_blocks",
    "list_blocks",
    "page_value",
    "paging_actions",
    "paging_context",
    "share_button",
]

ACTION_SHARE = "share_in_channel"
ACTION_PAGE_PREV = "page_prev"
ACTION_PAGE_NEXT = "page_next"


# --- help and errors ---------------------------------------------------------------------------


def help_blocks(usage_text: str, enabled_backends: Sequence[str]) -> list[Block]:
    """The usage (one line per verb, as `bot.commands.usage` writes it) and the enabled backends."""
    blocks: list[Block] = [header(_("Orange bot — help"))]
    lines = [escape(line) for line in usage_text.splitlines() if line.strip()]
    for chunk in pack_lines(lines)[: MESSAGE_BUDGET - 2]:
        blocks.append(section(chunk))
    if enabled_backends:
        # The general usage already names the backends; a verb's usage does not.
        if not all(b in usage_text for b in enabled_backends):
            names = ", ".join(code(b) for b in enabled_backends)
            blocks.append(
                context(_("Enabled backends: {names}. A reference is `backend:id`, e.g. `carrier:11`.", names=names))
            )
    else:
        blocks.append(context(_("No Orange backend is enabled: ask an operator to configure one.")))
    return blocks


MAX_CONTEXT_TEXTS = 10
"""Elements a Slack context block holds."""


def error_blocks(message: str, usage: str | None = None) -> list[Block]:
    """One clear line, then the usage of the verb in a context block."""
    text = message.strip() or _("Something went wrong.")
    blocks: list[Block] = [section(f":warning: {escape(text)}")]
    if usage:  # every verb's line, however long in French: as many texts as it takes (a context holds 10)
        chunks = pack_lines(escape(line) for line in usage.splitlines() if line.strip())
        blocks.append(context(*chunks[:MAX_CONTEXT_TEXTS]))
    return blocks


def _not_found(operation: str) -> str:
    # Our operations read "get order", "get site", "list quotes": the noun names what was not found.
    verb, _space, noun = operation.partition(" ")
    if verb != "get" or not noun or len(noun) > 40:
        return _("Orange has no such resource")
    known = {
        "order": _("Orange has no such order"),
        "order item": _("Orange has no such order item"),
        "product": _("Orange has no such product"),
        "quote": _("Orange has no such quote"),
        "site": _("Orange has no such site"),
        "address": _("Orange has no such address"),
        "offering": _("Orange has no such offering"),
        "qualification": _("Orange has no such qualification"),
        "cancellation": _("Orange has no such cancellation"),
        "request": _("Orange has no such request"),
        "category": _("Orange has no such category"),
        "specification": _("Orange has no such specification"),
        "characteristic": _("Orange has no such characteristic"),
        "price": _("Orange has no such price"),
    }
    return known.get(noun) or _("Orange has no such {thing}", thing=noun)


def carrier_error_text(err: APIError) -> str:
    """One sentence in words (not found, not allowed, try again later), with the carrier's code; never a secret.

    It starts with the reference the call was about, as a code span (`` `carrier:999999`: ``), so a reader of the
    channel knows which lookup failed. Free carrier text is kept only where it is the point (an invalid request, a
    refused order, a conflict). Both went through `integrations._redact` already, and go through it again here.
    """
    kind = err.kind
    status = err.status_code if isinstance(err, APIStatusError) else None
    if kind == "not_found":
        text = _not_found(err.operation)
    elif kind == "forbidden":
        text = _("Orange says we are not allowed to do this")
    elif kind == "rate_limited":
        wait = err.retry_after if isinstance(err, RateLimitError) else None
        if wait:
            text = _("Orange is limiting our request rate; try again in {seconds} s", seconds=max(1, round(wait)))
        else:
            text = _("Orange is limiting our request rate; try again later")
    elif kind == "server":
        text = _("Orange's service is failing right now; try again later")
    elif kind == "unreachable":
        text = _("Orange could not be reached; try again later")
    elif kind == "timeout":
        text = _("Orange did not answer in time; try again later")
    elif kind == "unreadable":
        text = _("Orange sent an answer we could not read; try again later")
    elif kind == "auth":
        text = _("Orange did not accept the bot's credentials; ask an operator to check them")
    elif kind == "not_allowed":
        text = _("Orange does not allow this operation")
    elif kind in ("invalid", "business_rule", "conflict"):
        text = truncate(redact(err.message).strip().rstrip("."), 500) or _("Orange refused the request")
    else:
        text = _("Orange refused the request")
    if err.code:
        text = _("{error} (code {code})", error=text, code=err.code)
    elif status is not None:
        text = _("{error} (HTTP {status})", error=text, status=status)
    reference = redact(err.reference or "").strip()
    if reference:
        # A backtick inside would end the span early; the caller escapes the rest for mrkdwn.
        span = truncate(reference.replace("`", "'"), 200)
        text = f"`{span}`: {text}"
    return text


def carrier_error_blocks(err: APIError) -> list[Block]:
    """A carrier error in one human line with the carrier's code, and what was attempted in a context line."""
    status = f" · HTTP {err.status_code}" if isinstance(err, APIStatusError) else ""
    return [
        section(f":x: {escape(carrier_error_text(err))}"),
        context(f"{escape(err.backend)} · {escape(err.operation)}{status}"),
    ]


# --- sharing and paging ------------------------------------------------------------------------


def share_button(command_text: str) -> ActionsBlock:
    """A "Share in channel" button whose value is the command text (without the slash command)."""
    return actions(button(_("Share in channel"), action_id=ACTION_SHARE, value=command_text[:BUTTON_VALUE_MAX]))


@dataclass(frozen=True)
class PageInfo:
    """Where a list message is: `offset` and `limit` of the page, `total` when the carrier says it.

    Without a total, `more=True` says a next page exists (the carrier filled the page).
    """

    offset: int
    limit: int
    total: int | None
    command_text: str
    more: bool = False

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        if self.total is not None:
            return self.offset + self.limit < self.total
        return self.more

    def shown(self, count: int) -> str:
        """`Showing 21–40 of 57`, `Showing 1–20`, or `Nothing to show`."""
        if count <= 0:
            return _("Nothing to show")
        first, last = number(self.offset + 1), number(self.offset + count)
        if self.total is not None:
            return _("Showing {first}–{last} of {total}", first=first, last=last, total=number(self.total))
        return _("Showing {first}–{last}", first=first, last=last)


def page_value(command_text: str, offset: int) -> str:
    """The button value: `{"c":"orders carrier","o":20}` (compact JSON)."""
    return json.dumps({"c": command_text, "o": offset}, separators=(",", ":"), ensure_ascii=False)


def paging_actions(page: PageInfo) -> ActionsBlock | None:
    """Previous/Next buttons (`page_prev`/`page_next`), only those that lead somewhere; None if neither does.

    None too when the command is too long to fit in a button value (2,000 characters): no button beats a wrong one.
    """
    buttons: list[ButtonElement] = []
    targets = []
    if page.has_prev:
        targets.append((_("◀ Previous"), ACTION_PAGE_PREV, max(0, page.offset - page.limit)))
    if page.has_next:
        targets.append((_("Next ▶"), ACTION_PAGE_NEXT, page.offset + page.limit))
    for text, action_id, offset in targets:
        value = page_value(page.command_text, offset)
        if len(value) > BUTTON_VALUE_MAX:
            return None
        buttons.append(button(text, action_id=action_id, value=value))
    return actions(*buttons) if buttons else None


def paging_context(page: PageInfo, count: int) -> Block:
    """`Showing 1–20 of 57` as a context line."""
    return context(page.shown(count))


def list_blocks(
    title: str,
    lines: Sequence[str],
    page: PageInfo,
    *,
    empty: str,
    note: str | None = None,
) -> list[Block]:
    """A list message: header, one line per entry (at most 20), where we are, paging.

    `lines`, `empty` and `note` are mrkdwn, escaped by the caller.

    When more lines than the page size come in, the first 20 are shown and a Next button leads on.
    """
    limit = max(1, min(page.limit, LIST_PAGE_SIZE))
    page = replace(page, limit=limit, more=page.more or len(lines) > limit)
    shown = list(lines[:limit])
    blocks: list[Block] = [header(title)]
    if not shown:
        blocks.append(section(empty))
    else:
        blocks.extend(section(chunk) for chunk in pack_lines(shown))
    details = [page.shown(len(shown))] if shown or page.offset else []
    if note:
        details.append(note)
    if details:
        blocks.append(context(" · ".join(details)))
    paging = paging_actions(page)
    if paging is not None:
        blocks.append(paging)
    return blocks
