"""bench/report.py cannot rot silently: its generator and both report paths run on 300 orders of this tree, and the
real path (`build_report`) and the naive one (every row through the ORM, a timeline per order) count the same."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_bench", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, str, dict[str, object]]:
    report = bench()
    db = f"sqlite:///{tmp_path_factory.mktemp('report-bench') / 'history.db'}"
    return report, db, report.load(db, orders=300, seed=report.SEED)


def test_the_generated_history_is_fixed_by_its_seed(loaded: tuple[ModuleType, str, dict[str, object]]) -> None:
    report, _, found = loaded
    again = list(report.history(300, report.SEED))
    assert len(again) == found["rows"] and 4 * 300 <= len(again) <= 6 * 300, found  # about 5 rows an order
    assert [r["seen_at"] for r in again] == [r["seen_at"] for r in report.history(300, report.SEED)]
    assert {r["kind"] for r in again} == {"seen", "changes", "dates"}


@pytest.mark.parametrize("spec", ["last 30d", "last 105w"])
async def test_the_real_report_and_the_naive_one_agree(
    loaded: tuple[ModuleType, str, dict[str, object]], spec: str
) -> None:
    report, db, _ = loaded
    real = await report.real_report(db, spec)
    naive = report.naive_report(db, spec)
    assert real["figures"] == naive["figures"]
    figures = real["figures"]
    assert figures["orders"] > 0 and figures["late_open"] > 0 and figures["seen_midway"] > 0, figures
    if spec == "last 105w":  # every fate is there over the two years
        assert figures["orders"] > 290 and figures["completed"] > 150, figures
        assert figures["cancelled"] and figures["rejected"] and figures["lead_count"], figures
        assert real["rows_read"] == naive["rows_read"], (real["rows_read"], naive["rows_read"])
    else:
        assert real["rows_read"] < naive["rows_read"], (real["rows_read"], naive["rows_read"])
    assert real["csv_bytes"] > 0
