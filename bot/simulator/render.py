"""Block Kit as terminal text, with every clickable element numbered.

    out = render_message(msg["text"], msg["blocks"], ref=MessageRef(channel="C_GENERAL", ts=msg["ts"]))
    print(out)                      # "... [1] Approve  [2] Reject"
    out.clickables[2].action_id     # "reject"

``start`` continues a numbering across messages (the demo keeps one running counter).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DIVIDER = "-" * 40

_JSON = Mapping[str, Any]


@dataclass(frozen=True)
class MessageRef:
    """Where a clickable lives: a channel message, an ephemeral message, or a view."""

    channel: str | None = None
    ts: str | None = None
    ephemeral: bool = False
    user: str | None = None
    """The recipient of an ephemeral message, or the owner of a view."""
    view_id: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class Clickable:
    number: int
    action_id: str
    block_id: str
    type: str
    """Element type as Slack names it in ``actions[].type``: button, overflow, static_select, …"""
    label: str
    value: str | None = None
    selected_option: Mapping[str, Any] | None = None
    url: str | None = None
    ref: MessageRef | None = None


class Rendered(str):
    """The rendered text (a plain ``str``) plus the numbered clickables it shows."""

    clickables: dict[int, Clickable]
    next_number: int

    def __new__(cls, text: str, clickables: Mapping[int, Clickable] | None = None, next_number: int = 1) -> Rendered:
        obj = super().__new__(cls, text)
        obj.clickables = dict(clickables or {})
        obj.next_number = next_number
        return obj


# --------------------------------------------------------------------------- mrkdwn

_ANGLE = re.compile(r"<([^<>\n]+)>")
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_STYLES = [
    re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"),
    re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"),
]
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def _angle(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in _SPECIAL:
            return _SPECIAL[name]
        if label:
            return label
        return "@" + name if name == "subteam" else name
    url = html.unescape(target)
    if not label:
        return url.removeprefix("mailto:")
    label = html.unescape(label)
    if label in (url, url.removeprefix("mailto:")):
        return label
    return f"{label} ({url})"


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as plain text: styles dropped, links as ``label (url)``, dates as their fallback."""
    parts = _CODE.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # inside a code span: Slack shows it verbatim
            out.append(html.unescape(part))
            continue
        # entities are unescaped last so an escaped "&lt;" never becomes a link
        converted = _ANGLE.sub(lambda m: _angle(m).replace("&", "&amp;"), part)
        for style in _STYLES:
            converted = style.sub(r"\1", converted)
        out.append(html.unescape(converted))
    return "".join(out)


def text_of(obj: object) -> str:
    """A text object (plain_text or mrkdwn) as plain text; '' when absent."""
    if not isinstance(obj, Mapping):
        return ""
    text = obj.get("text")
    if not isinstance(text, str):
        return ""
    if obj.get("type") == "mrkdwn" and not obj.get("verbatim", False):
        return mrkdwn_to_text(text)
    if obj.get("type") == "mrkdwn":
        return html.unescape(text)
    return text


def _field_line(field_obj: object) -> str:
    lines = [ln.strip() for ln in text_of(field_obj).splitlines() if ln.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    head = lines[0] if lines[0].endswith(":") else lines[0] + ":"
    return f"{head} {' '.join(lines[1:])}"


def _rich_text(elements: Iterable[Any]) -> str:
    out: list[str] = []
    for el in elements:
        if not isinstance(el, Mapping):
            continue
        kind = el.get("type")
        if kind == "text":
            out.append(str(el.get("text", "")))
        elif kind == "link":
            url = str(el.get("url", ""))
            label = el.get("text")
            out.append(f"{label} ({url})" if label and label != url else url)
        elif kind == "user":
            out.append(f"@{el.get('user_id', '')}")
        elif kind == "channel":
            out.append(f"#{el.get('channel_id', '')}")
        elif kind == "usergroup":
            out.append(f"@{el.get('usergroup_id', '')}")
        elif kind == "broadcast":
            out.append(f"@{el.get('range', 'here')}")
        elif kind == "emoji":
            out.append(f":{el.get('name', '')}:")
        elif kind == "date":
            out.append(str(el.get("fallback", el.get("timestamp", ""))))
        elif kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            text = _rich_text(el.get("elements", []))
            out.append("> " + text if kind == "rich_text_quote" else text)
            if kind != "rich_text_section":
                out.append("\n")
        elif kind == "rich_text_list":
            bullet_items = [_rich_text(item.get("elements", [])) for item in el.get("elements", [])]
            ordered = el.get("style") == "ordered"
            lines = [f"{i}. {t}" if ordered else f"• {t}" for i, t in enumerate(bullet_items, 1)]
            out.append("\n".join(lines) + "\n")
    return "".join(out)


# --------------------------------------------------------------------------- elements


@dataclass
class _Numbering:
    next_number: int
    ref: MessageRef | None
    clickables: dict[int, Clickable] = field(default_factory=dict)

    def add(self, *, action_id: str, block_id: str, type: str, label: str, **extra: Any) -> str:
        n = self.next_number
        self.next_number += 1
        self.clickables[n] = Clickable(
            number=n, action_id=action_id, block_id=block_id, type=type, label=label, ref=self.ref, **extra
        )
        return f"[{n}] {label}"


def _option_label(option: object) -> str:
    return text_of(option.get("text")) if isinstance(option, Mapping) else ""


def _options(element: _JSON) -> list[Mapping[str, Any]]:
    options = [o for o in element.get("options", []) or [] if isinstance(o, Mapping)]
    for group in element.get("option_groups", []) or []:
        if isinstance(group, Mapping):
            options += [o for o in group.get("options", []) or [] if isinstance(o, Mapping)]
    return options


def _element(element: object, block_id: str, num: _Numbering) -> str:
    if not isinstance(element, Mapping):
        return ""
    kind = str(element.get("type", ""))
    action_id = str(element.get("action_id", ""))
    if kind in ("plain_text", "mrkdwn"):
        return text_of(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        label = text_of(element.get("text"))
        url = element.get("url")
        shown = num.add(
            action_id=action_id,
            block_id=block_id,
            type="button",
            label=label,
            value=element.get("value"),
            url=url if isinstance(url, str) else None,
        )
        return f"{shown} ({url})" if isinstance(url, str) else shown
    if kind in ("overflow", "static_select", "radio_buttons"):
        items = [
            num.add(
                action_id=action_id,
                block_id=block_id,
                type=kind,
                label=_option_label(o),
                value=o.get("value"),
                selected_option=o,
            )
            for o in _options(element)
        ]
        if kind == "overflow":
            prefix = "More:"
        else:
            prefix = (text_of(element.get("placeholder")) or "Choose") + ":"
        return " ".join([prefix, "  ".join(items)])
    placeholder = text_of(element.get("placeholder")) or kind.replace("_", " ")
    if kind == "datepicker":
        placeholder = str(element.get("initial_date") or placeholder)
    return num.add(action_id=action_id, block_id=block_id, type=kind, label=f"<{placeholder}>")


def _input_summary(element: object) -> str:
    if not isinstance(element, Mapping):
        return "?"
    kind = str(element.get("type", ""))
    placeholder = text_of(element.get("placeholder"))
    if kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
        labels = " | ".join(_option_label(o) for o in _options(element))
        summary = f"{kind.replace('_', ' ')}: {labels}"
    elif kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        summary = "multiline text" if element.get("multiline") else "text"
        if kind != "plain_text_input":
            summary = kind.removesuffix("_input").replace("_", " ")
    else:
        summary = kind.replace("_", " ")
    initial = element.get("initial_value") or element.get("initial_date")
    initial_option = element.get("initial_option")
    if isinstance(initial_option, Mapping):
        initial = _option_label(initial_option)
    if initial:
        summary += f' = "{initial}"'
    elif placeholder:
        summary += f' "{placeholder}"'
    return f"<{summary}>"


def _block(block: object, num: _Numbering) -> list[str]:
    if not isinstance(block, Mapping):
        return []
    kind = block.get("type")
    block_id = str(block.get("block_id", ""))
    if kind == "header":
        return [f"== {text_of(block.get('text'))} =="]
    if kind == "divider":
        return [DIVIDER]
    if kind == "section":
        lines = text_of(block.get("text")).splitlines() if block.get("text") else []
        lines += [f"  {_field_line(f)}" for f in block.get("fields", []) or []]
        if block.get("accessory") is not None:
            lines.append(_element(block["accessory"], block_id, num))
        return lines
    if kind == "context":
        return [" | ".join(_element(e, block_id, num) for e in block.get("elements", []) or [])]
    if kind == "actions":
        return ["  ".join(_element(e, block_id, num) for e in block.get("elements", []) or [])]
    if kind == "image":
        title = text_of(block.get("title"))
        return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
    if kind == "input":
        element = block.get("element")
        action_id = element.get("action_id", "") if isinstance(element, Mapping) else ""
        optional = " (optional)" if block.get("optional") else ""
        lines = [f"{text_of(block.get('label'))}{optional} [{block_id}/{action_id}]: {_input_summary(element)}"]
        if block.get("hint"):
            lines.append(f"  ({text_of(block.get('hint'))})")
        return lines
    if kind == "rich_text":
        return _rich_text(block.get("elements", [])).rstrip("\n").splitlines()
    if kind == "markdown":
        return mrkdwn_to_text(str(block.get("text", ""))).splitlines()
    if kind in ("file", "video"):
        return [f"[{kind}: {text_of(block.get('title')) or block.get('external_id', '')}]"]
    return [f"[{kind} block]"]


def _render_blocks(blocks: Sequence[Any], num: _Numbering) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        lines += _block(block, num)
    return lines


def render_message(
    text: str | None,
    blocks: Sequence[Mapping[str, Any]] | None = None,
    *,
    ref: MessageRef | None = None,
    start: int = 1,
    files: Sequence[Mapping[str, Any]] | None = None,
) -> Rendered:
    """Blocks as readable lines (``text`` when there are none), clickables numbered from ``start``; then each
    shared file as ``[file: name, size bytes] url``."""
    num = _Numbering(next_number=start, ref=ref)
    lines = _render_blocks(blocks, num) if blocks else mrkdwn_to_text(text or "").splitlines()
    for f in files or ():
        title = f" ({f['title']})" if f.get("title") not in (None, f.get("name")) else ""
        lines.append(f"[file: {f.get('name')}{title}, {f.get('size')} bytes] {f.get('url_private', '')}".rstrip())
    return Rendered("\n".join(lines), num.clickables, num.next_number)


def render_view(view: Mapping[str, Any], *, start: int = 1, user: str | None = None) -> Rendered:
    """A modal or App Home: title, blocks (inputs with their label and block_id/action_id), buttons."""
    num = _Numbering(next_number=start, ref=MessageRef(view_id=view.get("id"), user=user))
    kind = view.get("type", "modal")
    title = text_of(view.get("title")) or ("Home" if kind == "home" else "")
    lines = [f"[{kind}] {title}"]
    lines += _render_blocks(view.get("blocks", []) or [], num)
    footer = []
    if view.get("submit") is not None:
        footer.append(f"(Submit: {text_of(view.get('submit'))})")
    if view.get("close") is not None:
        footer.append(f"(Close: {text_of(view.get('close'))})")
    if footer:
        lines.append("  ".join(footer))
    return Rendered("\n".join(lines), num.clickables, num.next_number)
