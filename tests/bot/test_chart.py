"""The report's chart: a PNG of the size a phone reads, the same bytes for the same data, no software or date in
its metadata, an empty period drawn as a figure saying so, and matplotlib left out of the bot's import."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import pytest

from bot.history.chart import ChartData, report_chart

SIGNATURE = b"\x89PNG\r\n\x1a\n"

DATA = ChartData(
    title="Orange carrier — delivery report",
    subtitle="1–30 Nov 2026 · watched orders only",
    counts=[("Ordered", 42), ("Completed", 30), ("Cancelled", 3), ("Rejected", 2)],
    lead_times_days=[3.5 + (i * 7.3) % 40 for i in range(30)],
    time_in_state=[("acknowledged", 12.0), ("inProgress", 140.5), ("held", 22.25)],
    error_costs=[("Site access refused by the building manager", 96.0), ("Wrong VLAN", 30.0)]
    + [(f"reason {i}", 10.0 - i) for i in range(6)],
    median_label="médiane {days}",
    p90_label="90e centile {days}",
)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each PNG chunk, checking each CRC."""
    assert png[:8] == SIGNATURE
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) == crc
        out.append((kind, data))
        pos += 12 + length
    return out


def _size(png: bytes) -> tuple[int, int]:
    kind, header = _chunks(png)[0]
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", header[:8])
    return width, height


@pytest.fixture(scope="module")
def png() -> bytes:
    return report_chart(DATA)


def test_a_png_a_phone_reads(png: bytes) -> None:
    assert png.startswith(SIGNATURE)
    assert _size(png) == (1200, 800)
    assert _chunks(png)[-1][0] == b"IEND"
    assert 20_000 < len(png) < 400_000


def test_the_same_data_gives_the_same_bytes(png: bytes) -> None:
    assert report_chart(DATA) == png
    other = ChartData(**{**DATA.__dict__, "lead_times_days": [*DATA.lead_times_days, 55.0]})
    assert report_chart(other) != png


def test_no_software_or_date_in_the_metadata(png: bytes) -> None:
    kinds = {kind for kind, _ in _chunks(png)}
    assert b"tIME" not in kinds
    texts = b"".join(data for kind, data in _chunks(png) if kind in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in texts and b"matplotlib" not in texts.lower()


def test_an_empty_period_is_a_figure_saying_so() -> None:
    empty = ChartData(title="Report", subtitle="November 2026 · watched orders only", empty_text="Nothing here")
    assert empty.is_empty
    png = report_chart(empty)
    assert _size(png) == (1200, 800)
    assert report_chart(empty) == png
    assert png != report_chart(ChartData(title="Report", subtitle="November 2026", empty_text="Rien"))
    # counts of zero are still empty; a single lead time is not
    assert ChartData(title="t", subtitle="s", counts=[("Ordered", 0)]).is_empty
    one = ChartData(title="t", subtitle="s", lead_times_days=[4.0])
    assert not one.is_empty and report_chart(one).startswith(SIGNATURE)


@pytest.mark.parametrize(
    "field",
    ["lead_times_days", "time_in_state", "error_costs"],
)
def test_a_panel_without_data_does_not_break_the_others(field: str) -> None:
    partial = ChartData(**{**DATA.__dict__, field: []})
    assert _size(report_chart(partial)) == (1200, 800)


def test_importing_the_bot_does_not_import_matplotlib() -> None:
    code = "import sys, bot.app, bot.history.chart, bot.files; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
