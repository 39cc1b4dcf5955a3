"""The seed JSON examples: index ↔ data files ↔ the blocks of the seed texts, and no data lost in repairs."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from integrations.sandbox.examples import DATA_DIR, Example, find_json_blocks, get_example, load_examples

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_FILES = (
    "carrier-evpl-mef-sonata.txt",
    "wholesale-product-ordering-tmf622.txt",
    "wholesale-product-inventory-tmf637.txt",
    "wholesale-product-catalog-tmf620.txt",
    "business-ordering-requests-v2.txt",
)

# Blocks find_json_blocks reports that are not JSON examples: (seed, line) -> reason.
# Empty today: the scanner already skips markdown links such as "[Learn more about authorization](#)"
# (business-ordering-requests-v2.txt:261) and CSS such as ".wpb_animate_when_almost_visible { opacity: 1; }".
EXCLUDED: dict[tuple[str, int], str] = {}

# Index entries the line-based scanner cannot find, with the raw JSON as it appears in the seed line.
INLINE: dict[tuple[str, int], str] = {
    # The TMF622 page lost its markdown here: "http POST /hub Accept: application/json json { ... } ### ..."
    # is one prose line (704) that embeds the hub-registration body.
    ("wholesale-product-ordering-tmf622.txt", 704): '{ "callback": "https://listener.com" }',
}

BACKENDS = {"carrier", "wholesale", "business", "auth"}
KINDS = {"request", "response", "fragment"}
METHODS = {"GET", "POST", "DELETE", None}
SLUG = re.compile(r"^(carrier|wholesale|business|auth)/[a-z0-9]+(?:-[a-z0-9]+)*$")

EXAMPLES = load_examples()


def _ids(example: Example) -> str:
    return example.slug


# ---------------------------------------------------------------------------------------------
# (a) index entries, data files


def test_index_is_not_empty_and_slugs_unique() -> None:
    slugs = [e.slug for e in EXAMPLES]
    assert len(slugs) > 100
    assert len(slugs) == len(set(slugs))
    assert len({(e.seed, e.line) for e in EXAMPLES}) == len(EXAMPLES), "two entries for one seed block"


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_index_entry_is_well_formed(example: Example) -> None:
    assert SLUG.match(example.slug), example.slug
    assert example.slug.split("/")[0] == example.backend
    assert example.backend in BACKENDS
    assert example.kind in KINDS
    assert example.method in METHODS
    assert example.path is None or example.path.startswith("/")
    assert example.status is None or 200 <= example.status < 600
    assert example.seed in SEED_FILES
    assert example.line >= 1
    assert example.model and example.model[0].isupper()
    assert example.repairs == "" or example.repairs.endswith(".")
    assert example.pointer == "" or example.pointer.startswith("/")


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_data_file_exists_and_parses(example: Example) -> None:
    assert example.file.is_file(), example.file
    body = json.loads(example.file.read_text(encoding="utf-8"))
    assert body == example.body
    assert isinstance(body, (dict, list))
    assert example.instances(), "pointer must select something"


def test_no_orphan_data_files() -> None:
    files = {p.relative_to(DATA_DIR).with_suffix("").as_posix() for p in DATA_DIR.rglob("*.json")}
    files.discard("index")
    assert files == {e.slug for e in EXAMPLES}


def test_get_example() -> None:
    example = get_example("carrier/product-order-get-11")
    assert example.body["id"] == 11
    assert example.model == "ProductOrder"
    with pytest.raises(KeyError):
        get_example("carrier/no-such-example")


# ---------------------------------------------------------------------------------------------
# (b) every block of every seed is indexed, and every index entry is a block of its seed


def _seed_text(seed: str) -> str:
    return (SEEDS_DIR / seed).read_text(encoding="utf-8")


def _raw_block(example: Example) -> str:
    key = (example.seed, example.line)
    if key in INLINE:
        return INLINE[key]
    blocks = dict(find_json_blocks(_seed_text(example.seed)))
    return blocks[example.line]


needs_seeds = pytest.mark.skipif(
    not SEEDS_DIR.is_dir(), reason=f"seed texts not found at {SEEDS_DIR} (shared/ beside the repo)"
)


@needs_seeds
@pytest.mark.parametrize("seed", SEED_FILES)
def test_seed_blocks_match_index(seed: str) -> None:
    text = _seed_text(seed)
    found = {line for line, _ in find_json_blocks(text)}
    indexed = {e.line for e in EXAMPLES if e.seed == seed}
    excluded = {line for (s, line) in EXCLUDED if s == seed}
    inline = {line for (s, line) in INLINE if s == seed}
    assert not found & inline, "an INLINE entry is now found by the scanner: drop it from INLINE"
    assert sorted(found - excluded - indexed) == [], "blocks without an index entry"
    assert sorted(indexed - found - inline) == [], "index entries without a block at that line"
    assert not excluded & indexed
    lines = text.split("\n")
    for line in inline:
        assert INLINE[(seed, line)] in lines[line - 1]


# ---------------------------------------------------------------------------------------------
# (c) repairs keep every key and scalar of the raw block


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"true|false|null")


def _raw_literals(raw: str) -> tuple[list[str], list[float], list[str]]:
    """String literals (possibly spanning lines), numbers and true/false/null outside strings."""
    strings: list[str] = []
    numbers: list[float] = []
    words: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == '"':
            j = i + 1
            while j < len(raw) and raw[j] != '"':
                j += 2 if raw[j] == "\\" else 1
            strings.append(raw[i + 1 : j])
            i = j + 1
            continue
        number = _NUMBER.match(raw, i)
        if number and (i == 0 or not (raw[i - 1].isalnum() or raw[i - 1] == ".")):
            numbers.append(float(number.group()))
            i = number.end()
            continue
        word = _WORD.match(raw, i)
        if word:
            words.append(word.group())
            i = word.end()
            continue
        i += 1
    return strings, numbers, words


def _norm(text: str) -> str:
    return " ".join(text.split())


def _body_literals(body: Any) -> tuple[Counter[str], Counter[float], Counter[str]]:
    strings: Counter[str] = Counter()
    numbers: Counter[float] = Counter()
    words: Counter[str] = Counter()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                strings[_norm(key)] += 1
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            strings[_norm(value)] += 1
        elif value is None:
            words["null"] += 1
        elif isinstance(value, bool):
            words[json.dumps(value)] += 1
        else:
            numbers[float(value)] += 1

    walk(body)
    return strings, numbers, words


@needs_seeds
@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_repair_keeps_every_literal(example: Example) -> None:
    """Each key/string, number and true/false/null of the raw block occurs at least as often in the body."""
    raw = _raw_block(example)
    if not example.repairs:
        assert json.loads(raw) == example.body, "no repair declared, so the raw block must be the body"
        return
    raw_strings, raw_numbers, raw_words = _raw_literals(raw)
    strings, numbers, words = _body_literals(example.body)
    assert Counter(_norm(json.loads(f'"{_norm(s)}"')) for s in raw_strings) - strings == Counter()
    assert Counter(raw_numbers) - numbers == Counter()
    assert Counter(raw_words) - words == Counter()


def test_literal_scanner_sees_strings_numbers_and_words() -> None:
    strings, numbers, words = _raw_literals('{"a": "x\n y", "b": [1000.00, -2], ..., "c": true, "d": null}')
    assert strings == ["a", "x\n y", "b", "c", "d"]
    assert numbers == [1000.0, -2.0]
    assert words == ["true", "null"]
