"""Block Kit limits the simulator enforces, with Slack's error wording.

    errors = validate_blocks(blocks, max_blocks=50)
    if errors:
        return {"ok": False, "error": "invalid_blocks", "errors": errors, ...}

Each error ends with ``[json-pointer:/blocks/…]`` like Slack's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_SECTION_TEXT = 3_000
MAX_TEXT_INPUT = 3_000
MAX_PLACEHOLDER = 150
MAX_FIELD_TEXT = 2_000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_ID = 255
MAX_URL = 3_000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_OVERFLOW_OPTIONS = 5
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_ALT_TEXT = 2_000
MAX_LABEL = 2_000
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_PRIVATE_METADATA = 3_000

BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
        "table",
        "context_actions",
    }
)
SELECT_TYPES = frozenset({"static_select", "multi_static_select"})
ActionIdScope = Literal["message", "block"]

_JSON = Mapping[str, Any]


class _Checker:
    def __init__(self, *, action_id_scope: ActionIdScope) -> None:
        self.errors: list[str] = []
        self.action_id_scope = action_id_scope
        self.block_ids: set[str] = set()
        self.message_action_ids: set[str] = set()
        self.block_action_ids: set[str] = set()

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def max_len(self, value: object, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", pointer)

    def text_object(
        self, obj: object, pointer: str, *, limit: int, plain_only: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.fail("must provide an object", pointer)
            return
        if not isinstance(obj, Mapping):
            self.fail("must provide an object", pointer)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.fail(f"must be one of {', '.join(allowed)}", f"{pointer}/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail("must be more than 0 characters", f"{pointer}/text")
            return
        self.max_len(text, limit, f"{pointer}/text")

    def block_id(self, block: _JSON, pointer: str) -> None:
        block_id = block.get("block_id")
        if block_id is None:
            return
        if not isinstance(block_id, str) or not block_id:
            self.fail("must be a non-empty string", f"{pointer}/block_id")
            return
        self.max_len(block_id, MAX_ID, f"{pointer}/block_id")
        if block_id in self.block_ids:
            self.fail("duplicate block_id", f"{pointer}/block_id")
        self.block_ids.add(block_id)

    def action_id(self, element: _JSON, pointer: str) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        if not isinstance(action_id, str) or not action_id:
            self.fail("must be a non-empty string", f"{pointer}/action_id")
            return
        self.max_len(action_id, MAX_ID, f"{pointer}/action_id")
        seen = self.message_action_ids if self.action_id_scope == "message" else self.block_action_ids
        if action_id in seen:
            self.fail("duplicate action_id", f"{pointer}/action_id")
        seen.add(action_id)

    def options(self, options: object, pointer: str, *, maximum: int, minimum: int = 1) -> None:
        if not isinstance(options, Sequence) or isinstance(options, str):
            self.fail("must provide an array", pointer)
            return
        if len(options) > maximum:
            self.fail(f"must be no more than {maximum} items", pointer)
        if len(options) < minimum:
            self.fail(f"must provide at least {minimum} items", pointer)
        for i, option in enumerate(options):
            if not isinstance(option, Mapping):
                self.fail("must provide an object", f"{pointer}/{i}")
                continue
            self.text_object(option.get("text"), f"{pointer}/{i}/text", limit=MAX_OPTION_TEXT)
            value = option.get("value")
            if value is not None:
                self.max_len(value, MAX_OPTION_VALUE, f"{pointer}/{i}/value")

    def element(self, element: object, pointer: str) -> None:
        if not isinstance(element, Mapping):
            self.fail("must provide an object", pointer)
            return
        kind = element.get("type")
        if not isinstance(kind, str):
            self.fail("must provide a type", f"{pointer}/type")
            return
        if kind in ("image",):
            self.max_len(element.get("alt_text"), MAX_ALT_TEXT, f"{pointer}/alt_text")
            return
        if kind in ("plain_text", "mrkdwn"):
            self.text_object(element, pointer, limit=MAX_SECTION_TEXT)
            return
        self.action_id(element, pointer)
        if kind == "button":
            self.text_object(element.get("text"), f"{pointer}/text", limit=MAX_BUTTON_TEXT, plain_only=True)
            self.max_len(element.get("value"), MAX_BUTTON_VALUE, f"{pointer}/value")
            self.max_len(element.get("url"), MAX_URL, f"{pointer}/url")
            style = element.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.fail("must be one of primary, danger", f"{pointer}/style")
        elif kind == "overflow":
            self.options(element.get("options"), f"{pointer}/options", maximum=MAX_OVERFLOW_OPTIONS)
        elif kind in SELECT_TYPES:
            if "options" in element:
                self.options(element.get("options"), f"{pointer}/options", maximum=MAX_SELECT_OPTIONS)
            elif "option_groups" not in element:
                self.fail("must provide options or option_groups", pointer)
        elif kind in ("radio_buttons", "checkboxes"):
            self.options(element.get("options"), f"{pointer}/options", maximum=10)
        elif kind == "plain_text_input":
            most, least = element.get("max_length"), element.get("min_length")
            for name, value in (("max_length", most), ("min_length", least)):
                if value is not None and (not isinstance(value, int) or not 0 <= value <= MAX_TEXT_INPUT):
                    self.fail(f"must be an integer from 0 to {MAX_TEXT_INPUT}", f"{pointer}/{name}")
            if isinstance(most, int) and isinstance(least, int) and least > most:
                self.fail("must be less than or equal to max_length", f"{pointer}/min_length")
            self.max_len(element.get("initial_value"), MAX_TEXT_INPUT, f"{pointer}/initial_value")
            placeholder = element.get("placeholder")
            if placeholder is not None:
                self.text_object(placeholder, f"{pointer}/placeholder", limit=MAX_PLACEHOLDER, plain_only=True)

    def block(self, block: object, pointer: str) -> None:
        if not isinstance(block, Mapping):
            self.fail("must provide an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(f"unsupported type: {kind}", f"{pointer}/type")
            return
        self.block_id(block, pointer)
        self.block_action_ids = set()
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                self.fail("must provide text or fields", pointer)
            if text is not None:
                self.text_object(text, f"{pointer}/text", limit=MAX_SECTION_TEXT)
            if fields is not None:
                if not isinstance(fields, Sequence) or isinstance(fields, str):
                    self.fail("must provide an array", f"{pointer}/fields")
                else:
                    if len(fields) > MAX_FIELDS:
                        self.fail(f"must be no more than {MAX_FIELDS} items", f"{pointer}/fields")
                    for i, field in enumerate(fields):
                        self.text_object(field, f"{pointer}/fields/{i}", limit=MAX_FIELD_TEXT)
            if block.get("accessory") is not None:
                self.element(block["accessory"], f"{pointer}/accessory")
        elif kind == "header":
            self.text_object(block.get("text"), f"{pointer}/text", limit=MAX_HEADER_TEXT, plain_only=True)
        elif kind in ("actions", "context"):
            limit = MAX_ACTIONS_ELEMENTS if kind == "actions" else MAX_CONTEXT_ELEMENTS
            elements = block.get("elements")
            if not isinstance(elements, Sequence) or isinstance(elements, str) or not elements:
                self.fail("must provide at least 1 items", f"{pointer}/elements")
                return
            if len(elements) > limit:
                self.fail(f"must be no more than {limit} items", f"{pointer}/elements")
            for i, element in enumerate(elements):
                self.element(element, f"{pointer}/elements/{i}")
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                self.fail("must provide image_url or slack_file", pointer)
            alt = block.get("alt_text")
            if not isinstance(alt, str) or not alt:
                self.fail("must be more than 0 characters", f"{pointer}/alt_text")
            self.max_len(alt, MAX_ALT_TEXT, f"{pointer}/alt_text")
        elif kind == "input":
            self.text_object(block.get("label"), f"{pointer}/label", limit=MAX_LABEL, plain_only=True)
            if block.get("hint") is not None:
                self.text_object(block.get("hint"), f"{pointer}/hint", limit=MAX_LABEL, plain_only=True)
            self.element(block.get("element"), f"{pointer}/element")


def validate_blocks(
    blocks: object,
    *,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
    pointer: str = "/blocks",
    action_id_scope: ActionIdScope = "message",
) -> list[str]:
    """Slack-worded errors for ``blocks``; empty when Slack would accept them."""
    checker = _Checker(action_id_scope=action_id_scope)
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        checker.fail("must provide an array", pointer)
        return checker.errors
    if len(blocks) > max_blocks:
        checker.fail(f"no more than {max_blocks} items allowed", pointer)
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
    return checker.errors


def validate_view(view: object, *, action_id_scope: ActionIdScope = "block") -> list[str]:
    """Slack-worded errors for a modal or home ``view`` (an action_id may repeat across its input blocks)."""
    checker = _Checker(action_id_scope=action_id_scope)
    if not isinstance(view, Mapping):
        checker.fail("must provide an object", "/view")
        return checker.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("must be one of modal, home", "/view/type")
    if kind == "modal":
        checker.text_object(view.get("title"), "/view/title", limit=MAX_VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text_object(view.get(key), f"/view/{key}", limit=MAX_VIEW_BUTTON, plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, Sequence) and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            checker.fail("must provide submit when using input blocks", "/view/submit")
    checker.max_len(view.get("private_metadata"), MAX_PRIVATE_METADATA, "/view/private_metadata")
    checker.max_len(view.get("callback_id"), MAX_ID, "/view/callback_id")
    checker.max_len(view.get("external_id"), MAX_ID, "/view/external_id")
    errors = checker.errors
    errors += validate_blocks(
        view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks", action_id_scope=action_id_scope
    )
    return errors


def slack_error_body(error: str, errors: Sequence[str]) -> dict[str, Any]:
    """An ``ok: false`` body carrying block errors the way Slack reports them."""
    return {
        "ok": False,
        "error": error,
        "errors": list(errors),
        "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
    }
