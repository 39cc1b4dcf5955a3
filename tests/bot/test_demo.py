"""`orange-bot demo` reads lines, drives the bot through the Slack simulator and prints what the bot sends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]


async def test_demo_script() -> None:
    lines: list[str] = []
    await run_demo(
        [
            "/orange order carrier:11",
            "click 1",
            "/orange watch wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63",
            "/orange frobnicate",
            "nonsense",
        ],
        out=lines.append,
    )
    text = "\n".join(lines)
    assert "== Order carrier:11 ==" in text and "[1] Share in channel" in text
    assert "Shared by @U_ALICE" in text
    assert "Watching UW-de76cfa1" in text and "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63" in text
    assert "Unknown command" in text
    assert "Not understood" in text


def test_demo_command_exits_at_end_of_input() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        input="/orange help\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "orange-bot → #C_GENERAL, only you" in done.stdout


async def test_demo_shows_a_report_with_its_chart_for_orders_the_sandbox_moved_along() -> None:
    lines: list[str] = []
    await run_demo(
        [
            "/orange subscribe wholesale",
            "place 2",
            "wait 4",
            "advance 5",
            "wait 3",
            "advance 5",
            "wait 3",
            "advance 5",
            "wait 4",
            "/orange report wholesale last 1d",
        ],
        out=lines.append,
    )
    text = "\n".join(lines)
    assert "(placed 2 wholesale orders" in text
    assert "== Delivery report" in text and "Completed: 2" in text, text[-3000:]
    charts = [line.split("written to ", 1)[1].rstrip(")") for line in lines if "written to" in line and ".png" in line]
    assert len(charts) == 1
    assert Path(charts[0]).read_bytes().startswith(b"\x89PNG")
