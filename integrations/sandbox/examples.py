"""Every JSON example of Orange's API pages (the seeds), as checked-in, repaired fixtures.

The data lives in ``data/examples/``: one ``<backend>/<slug-tail>.json`` file per example and an
``index.json`` listing them (see :class:`Example` for the fields). Each file holds the valid JSON
obtained from the seed's block after the smallest repair (the ``repairs`` field says which).

Conventions:

* ``kind == "fragment"``: the seed shows a piece of a larger body. A bare ``"key": value`` piece
  is wrapped in ``{}``.
* ``partial``: the body is an excerpt (a fragment, a ``fields=`` attribute selection, or a body the seed
  elides with ``...`` or truncates), so required attributes may be missing.
* ``pointer`` (JSON Pointer, ``""`` = whole body) says which part of the body ``model`` parses:
  e.g. ``"/note"`` for a wrapped ``"note": [...]`` fragment. When that part is a list and ``model``
  is not a ``...List`` model, the model parses each element (see :meth:`Example.instances`).
* ``line`` is the 1-based seed line where the block starts (the line :func:`find_json_blocks`
  reports), ``path`` is the documented path after the API base, templated (``{id}``) unless the
  seed documents a query string.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

__all__ = ["DATA_DIR", "Example", "find_json_blocks", "get_example", "load_examples"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "examples"

Backend = Literal["carrier", "wholesale", "business", "auth"]
Kind = Literal["request", "response", "fragment"]


@dataclass(frozen=True)
class Example:
    """One JSON example of a seed file, with where it comes from and what should parse it."""

    slug: str
    backend: Backend
    api: str
    resource: str
    kind: Kind
    method: str | None
    path: str | None
    status: int | None
    seed: str
    line: int
    repairs: str
    model: str
    pointer: str = ""
    partial: bool = False
    body: Any = field(default=None, compare=False, repr=False)

    @property
    def file(self) -> Path:
        """The JSON file holding the repaired body."""
        return DATA_DIR / f"{self.slug}.json"

    def target(self) -> Any:
        """The part of ``body`` that ``model`` parses (the value at ``pointer``)."""
        value = self.body
        if self.pointer:
            for token in self.pointer.lstrip("/").split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                value = value[int(token)] if isinstance(value, list) else value[token]
        return value

    def instances(self) -> list[Any]:
        """The values ``model`` should parse: the target, or its elements for a non-list model."""
        value = self.target()
        if isinstance(value, list) and not self.model.endswith("List"):
            return list(value)
        return [value]


_INDEX_FIELDS = (
    "slug",
    "backend",
    "api",
    "resource",
    "kind",
    "method",
    "path",
    "status",
    "seed",
    "line",
    "repairs",
    "model",
    "pointer",
    "partial",
)


@cache
def _load() -> tuple[Example, ...]:
    entries = json.loads((DATA_DIR / "index.json").read_text(encoding="utf-8"))
    out: list[Example] = []
    for entry in entries:
        kwargs = {name: entry[name] for name in _INDEX_FIELDS if name in entry}
        body = json.loads((DATA_DIR / f"{entry['slug']}.json").read_text(encoding="utf-8"))
        out.append(Example(**kwargs, body=body))
    return tuple(out)


def load_examples() -> list[Example]:
    """All examples of the index, in index order, bodies loaded (fresh copies: safe to mutate)."""
    return [replace(example, body=copy.deepcopy(example.body)) for example in _load()]


def get_example(slug: str) -> Example:
    """The example with this slug (``KeyError`` if there is none); its body is a fresh copy."""
    for example in _load():
        if example.slug == slug:
            return replace(example, body=copy.deepcopy(example.body))
    raise KeyError(slug)


# --------------------------------------------------------------------------------------------
# Tolerant scanner for JSON-looking blocks in the plain-text seeds.
# --------------------------------------------------------------------------------------------

_SCALAR = r'(?:"[^"]*"|-?\d[\d.eE+-]*|true|false|null)'
# `{` alone or followed by anything; `[` only when followed by JSON-ish content (not a markdown link).
_OPEN = re.compile(r'^\s*(?:\{|\[\s*(?:$|[{\["\d\]-]|true|false|null|\.\.))')
# `"key": {` / `"key": [` fragments.
_KEY_OPEN = re.compile(r'^\s*"[^"\n]*"\s*:\s*[{\[]')
# `"key":` with the bracket on the next line.
_KEY_BARE = re.compile(r'^\s*"[^"\n]*"\s*:\s*$')
# `"key": scalar,` that opens a body whose `{` is missing (needs a following `"key":` line).
_KEY_SCALAR = re.compile(r'^\s*"[^"\n]*"\s*:\s*' + _SCALAR + r"\s*,\s*$")
_KEY_LINE = re.compile(r'^\s*"[^"\n]*"\s*:')
# Numbered listings (``1 {``, ``2   "id": ...``) pasted from screenshots.
_GUTTER_START = re.compile(r"^\s*1\s+([{\[])\s*$")
_GUTTER = re.compile(r"^\s*\d+(?:\s|$)")
_JSONISH_FIRST = set('{}[]",:.-0123456789')


def _is_jsonish(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    return stripped[0] in _JSONISH_FIRST or stripped.startswith(("true", "false", "null"))


def _next_nonblank(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        if line.strip():
            return line
    return None


def _block_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _OPEN.match(line) or _KEY_OPEN.match(line) or _GUTTER_START.match(line):
        return True
    following = _next_nonblank(lines, i + 1)
    if following is None:
        return False
    if _KEY_BARE.match(line):
        return following.lstrip()[:1] in ("{", "[")
    if _KEY_SCALAR.match(line):
        return bool(_KEY_LINE.match(following))
    return False


def find_json_blocks(text: str) -> list[tuple[int, str]]:
    """Start line (1-based) and raw text of each JSON-looking block of a seed text.

    A block starts at a line whose first non-space character is ``{`` or ``[`` (not a markdown
    link), at a ``"key": {``/``"key": [`` fragment (bracket possibly on the next line), at a
    ``"key": scalar,`` line followed by more keys (a body whose ``{`` is missing), or at a
    numbered listing ``1 {`` (the line-number gutter is stripped from the returned text). It runs
    over balanced brackets (strings respected, even across lines), carries on after a closing
    bracket followed by ``,`` or when the next non-blank line closes further (extra or duplicated
    closers), and stops before the first prose line, at the end of a numbered listing, or at EOF.
    """
    lines = text.split("\n")
    blocks: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        if not _block_start(lines, i):
            i += 1
            continue
        gutter_start = _GUTTER_START.match(lines[i])
        gutter = gutter_start is not None
        width = gutter_start.end(1) - 1 if gutter_start is not None else 0
        start = i
        depth = 0
        in_str = False
        escaped = False
        opened = False
        taken: list[str] = []
        j = i
        while j < len(lines):
            line = lines[j]
            if gutter:
                number = _GUTTER.match(line)
                if number is None:
                    break
                line = line[max(width, len(number.group().rstrip())) :]
            elif not in_str and j > start and not _is_jsonish(line):
                break
            end_at: int | None = None
            for k, ch in enumerate(line):
                if in_str:
                    if escaped:
                        escaped = False
                    elif ch == "\\":
                        escaped = True
                    elif ch == '"':
                        in_str = False
                    continue
                if ch == '"':
                    in_str = True
                elif ch in "{[":
                    depth += 1
                    opened = True
                elif ch in "}]":
                    depth -= 1
                    if depth <= 0 and (opened or depth < 0):
                        rest = line[k + 1 :].strip()
                        if rest.startswith(","):
                            continue
                        following = _next_nonblank(lines, j + 1)
                        if following is not None and gutter:
                            following = _GUTTER.sub("", following, count=1)
                        if following is not None and following.lstrip()[:1] in ("}", "]"):
                            continue
                        end_at = k + 1
                        break
            if end_at is not None:
                taken.append(line[:end_at])
                j += 1
                break
            taken.append(line)
            j += 1
        while taken and not taken[-1].strip():
            taken.pop()
        blocks.append((start + 1, "\n".join(taken)))
        i = max(j, start + 1)
    return blocks
