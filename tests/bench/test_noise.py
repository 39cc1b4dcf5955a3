"""bench/noise.py cannot rot silently: its driver runs every scenario on this tree with small numbers, and the
counts come out as the issue's goals say (one reply per step, one per delivery, two notices per outage, a post
per order in a storm)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noise_driver", ROOT / "bench" / "noise_driver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def test_the_noise_bench_counts_every_scenario_on_this_tree() -> None:
    noise = driver()
    args = noise.parser().parse_args(
        ["--backfill", "3", "--outage-watches", "4", "--outage-minutes", "4", "--storm", "3"]
    )
    result = await noise.run(args)
    a, b, c, d, e = (result[k] for k in "abcde")
    assert a["replies"] == 3 and not a.get("posts"), a  # 10 items, 3 steps: one reply a step
    assert b["replies"] == 1, b  # delivered, a milestone on every item: one reply
    assert c["watched"] == 3 and c.get("posts", 0) >= 3 and c["summaries"] <= 1, c  # a root each (+ a summary)
    assert d.get("posts") == 2 and not d.get("replies"), d  # down, then up: one notice each in the channel
    assert d["while_down"].get("posts") == 1 and d["after"].get("posts") == 1, d
    assert e.get("replies", 0) + e.get("posts", 0) == 3 and e["drain_s"] >= 2, e  # a post per order, 1/s
