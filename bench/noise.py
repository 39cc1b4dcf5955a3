"""Benchmark: Slack calls per real-world event, the code before issue 17 beside this checkout, one run.

    .venv/bin/python bench/noise.py [--baseline 562cb68] [--json bench/noise.json] [--items 10] [--backfill 40]
        [--outage-watches 300] [--outage-minutes 10] [--storm 200]

The baseline is materialised from git (`git archive REF`) in a temp dir; the same scenario driver
(bench/noise_driver.py) runs in a subprocess once with that tree first on sys.path, then with this checkout (one
.venv for both). Scenarios, each in a world of its own (SQLite, the sandbox in-process, the Slack simulator, signed
slash commands and clicks, `run_cycle`, the outbox sender), calls counted from the event until nothing is owed:

  (a) cancelled   the sandbox's 10-item wholesale order cancelled in 3 steps (every item moving with the order)
  (b) delivered   the same order completed, a milestone reported on every item first
  (c) backfill    "Watch these too" on a rule that 40 orders match already, then one poll cycle
  (d) outage      the wholesale backend answers 500 for 10 minutes under 300 watches (a cycle a minute), then
                  answers again
  (e) storm       200 watched orders in one channel change at once (held, and a milestone): time until the last
                  post lands at 1 post/s per channel (virtual clock when the tree paces or the simulator limits;
                  else computed from the posts in the busiest channel)

"replies" are thread replies (chat.postMessage with thread_ts; "broadcast" when also sent to the channel),
"posts" top-level chat.postMessage, "edits" chat.update, "ephemeral" chat.postEphemeral and response_url posts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).resolve().parent / "noise_driver.py"
BASELINE = "562cb68"
"""The code issue 17 measured (34 replies for a cancellation, 40 posts for a backfill, 300+300 outage notices)."""


def run_tree(tree: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(DRIVER), "--code", str(tree), "--json", out.name]
        command += ["--items", str(args.items), "--backfill", str(args.backfill), "--storm", str(args.storm)]
        command += ["--outage-watches", str(args.outage_watches), "--outage-minutes", str(args.outage_minutes)]
        subprocess.run(command, cwd=tree, check=True)
        result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
        return result


def _calls(r: dict[str, Any]) -> str:
    names = {"replies": "reply", "posts": "post", "edits": "edit", "ephemeral": "ephemeral"}
    parts = [f"{r[k]} {k if r[k] != 1 else one}" for k, one in names.items() if r.get(k)]
    if r.get("broadcasts"):
        parts.append(f"({r['broadcasts']} broadcast)")
    if r.get("429s"):
        parts.append(f"{r['429s']} × 429")
    return ", ".join(parts) or "none"


def cell(name: str, r: dict[str, Any]) -> str:
    if name == "c":
        return f"{_calls(r)}; {r['summaries']} summary"
    if name == "d":
        return f"{_calls(r)}: {_calls(r['while_down'])} while down, {_calls(r['after'])} after"
    if name == "e":
        note = "" if r["drain_how"].startswith("measured") else " (computed)"
        return f"{r.get('replies', 0) + r.get('posts', 0)} posts, {r['drain_s']:.0f} s{note}; {_calls(r)}"
    return _calls(r)


def goal(name: str, args: argparse.Namespace) -> tuple[str, Any]:
    """The issue's goal for a scenario, and the check of a tree's figures against it."""
    n = args.storm
    goals: dict[str, tuple[str, Any]] = {
        "a": ("3 replies (one per step)", lambda r: r.get("replies", 0) == 3 and not r.get("posts")),
        "b": ("1 reply", lambda r: r.get("replies", 0) == 1 and not r.get("posts")),
        "c": (
            "1 summary, no replies",
            lambda r: r["summaries"] == 1 and not r.get("replies"),
        ),
        "d": ("2 channel notices, no replies", lambda r: r.get("posts", 0) == 2 and not r.get("replies")),
        "e": (
            f"≈ {n} posts in ≈ {n} s, no 429 loop",
            lambda r: (
                r.get("replies", 0) + r.get("posts", 0) <= 1.1 * n
                and r["drain_s"] <= 1.1 * n
                and r.get("429s", 0) <= n / 10
            ),
        ),
    }
    return goals[name]


TITLES = {
    "a": "(a) {items}-item order cancelled, 3 steps",
    "b": "(b) {items}-item order delivered, a milestone on every item",
    "c": "(c) backfill: Watch these too on {backfill} orders",
    "d": "(d) backend down {outage_minutes} min, {outage_watches} watches",
    "e": "(e) storm: {storm} orders change at once",
}


def report(before: dict[str, Any], now: dict[str, Any], args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    lines = [
        f"| scenario | before ({args.baseline}) | now | goal | met? |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows = []
    for name in ("a", "b", "c", "d", "e"):
        text, check = goal(name, args)
        met = bool(check(now[name]))
        mark = "yes" if met else "no"
        if name == "e" and met and not now[name]["drain_how"].startswith("measured"):
            mark = "yes (computed: no pacer)"
        title = TITLES[name].format(**vars(args))
        lines.append(f"| {title} | {cell(name, before[name])} | {cell(name, now[name])} | {text} | {mark} |")
        rows.append({"scenario": title, "before": before[name], "now": now[name], "goal": text, "met": met})
    return "\n".join(lines), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="the git ref of the code before")
    parser.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "noise.json")
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--backfill", type=int, default=40)
    parser.add_argument("--outage-watches", type=int, default=300)
    parser.add_argument("--outage-minutes", type=int, default=10)
    parser.add_argument("--storm", type=int, default=200)
    args = parser.parse_args()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="noise-baseline-") as tmp:
        archive = subprocess.run(["git", "archive", args.baseline], cwd=HERE, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        print(f"before ({args.baseline}):", file=sys.stderr, flush=True)
        before = run_tree(Path(tmp), args)
    print("now:", file=sys.stderr, flush=True)
    now = run_tree(HERE, args)
    table, rows = report(before, now, args)
    print()
    print(table)
    print(f"\n({time.monotonic() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"baseline": args.baseline, "rows": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
