"""The `/orange report` chart: one PNG readable on a phone — the counts in its header, then three panels: lead
times (median and 90th percentile marked), time spent in each state, the errors that cost most time.

    png = report_chart(ChartData(title=..., subtitle=..., counts=[("Ordered", 12), ...], ...))

Every string arrives translated (the caller speaks the reader's language); this module only draws. matplotlib is
imported inside `report_chart` (an Agg canvas of its own: no display, no pyplot), so importing the bot stays fast.
The same data gives the same bytes: a fixed size and dpi, the bundled DejaVu Sans, no date or software name in the
PNG's metadata.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ChartData", "report_chart"]

WIDTH_PX, HEIGHT_PX, DPI = 1200, 800, 100
_COLOURS = {"bars": "#ff7900", "lead": "#4bb4e6", "median": "#222222", "p90": "#cd3c14", "state": "#50be87"}


@dataclass(frozen=True)
class ChartData:
    """What the chart shows, every string already in the reader's language."""

    title: str
    subtitle: str
    """The period and what the figures cover ("1–30 Nov 2026 · watched orders only")."""
    counts: Sequence[tuple[str, int]] = ()
    """(label, orders): ordered, completed, cancelled, rejected."""
    lead_times_days: Sequence[float] = ()
    """Order to completion, one per completed order."""
    time_in_state: Sequence[tuple[str, float]] = ()
    """(state label, days spent in it across the orders)."""
    error_costs: Sequence[tuple[str, float]] = ()
    """(error reason, hours it kept orders waiting), most costly first; the chart shows the first five."""
    lead_title: str = "Lead time"
    lead_axis: str = "days"
    orders_axis: str = "orders"
    median_label: str = "median {days}"
    """With `{days}`: the median's value, one decimal."""
    p90_label: str = "90th percentile {days}"
    state_title: str = "Time in each state"
    state_axis: str = "days"
    errors_title: str = "Errors that cost most"
    errors_axis: str = "hours"
    empty_text: str = "No watched order in this period."

    @property
    def is_empty(self) -> bool:
        return not (any(n for _, n in self.counts) or self.lead_times_days or self.time_in_state or self.error_costs)


def _percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), without numpy's import in the signature."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _days(value: float) -> str:
    return f"{value:.1f}"


def report_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes (1200×800 px); an empty data set draws a figure saying so."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {
            "font.family": "DejaVu Sans",
            "font.size": 13,
            "axes.titlesize": 15,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        # a Figure without pyplot: no global state, nothing left open between reports
        fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)  # Agg, for this figure only: the process's backend is left alone
        header = [data.title, data.subtitle]
        if data.counts and not data.is_empty:
            header.append("   ·   ".join(f"{label} {n}" for label, n in data.counts))
        fig.suptitle("\n".join(header), fontsize=17)
        if data.is_empty:
            ax = fig.add_subplot()
            ax.set_axis_off()
            ax.text(0.5, 0.5, data.empty_text, ha="center", va="center", fontsize=20, transform=ax.transAxes)
        else:
            grid = fig.add_gridspec(2, 2)
            _lead_times(fig.add_subplot(grid[0, :]), data)
            _time_in_state(fig.add_subplot(grid[1, 0]), data)
            _errors(fig.add_subplot(grid[1, 1]), data)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _nothing(ax: Axes, text: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, ha="center", va="center", color="#666666", transform=ax.transAxes)


def _lead_times(ax: Axes, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(data.lead_title, loc="left")
    values = list(data.lead_times_days)
    if not values:
        _nothing(ax, "—")
        return
    bins = min(20, max(5, len(values) // 2))
    ax.hist(values, bins=bins, color=_COLOURS["lead"])
    median, p90 = _percentile(values, 0.5), _percentile(values, 0.9)
    ax.axvline(median, color=_COLOURS["median"], linewidth=2, label=data.median_label.format(days=_days(median)))
    ax.axvline(p90, color=_COLOURS["p90"], linewidth=2, linestyle="--", label=data.p90_label.format(days=_days(p90)))
    ax.set_xlabel(data.lead_axis)
    ax.set_ylabel(data.orders_axis)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of orders
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False)  # beside the title, off the bars


def _barh(ax: Axes, title: str, axis: str, rows: Sequence[tuple[str, float]], colour: str) -> None:
    ax.set_title(title, loc="left")
    if not rows:
        _nothing(ax, "—")
        return
    labels = [_short(label) for label, _ in rows][::-1]  # the first row on top
    values = [v for _, v in rows][::-1]
    bars = ax.barh(labels, values, color=colour)
    ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], padding=3)
    ax.set_xlabel(axis)
    ax.margins(x=0.2)


def _time_in_state(ax: Axes, data: ChartData) -> None:
    _barh(ax, data.state_title, data.state_axis, list(data.time_in_state), _COLOURS["state"])


def _errors(ax: Axes, data: ChartData) -> None:
    _barh(ax, data.errors_title, data.errors_axis, list(data.error_costs)[:5], _COLOURS["p90"])


def _short(label: str, limit: int = 28) -> str:
    """An axis label a phone can show: Orange's error texts run long."""
    return label if len(label) <= limit else label[: limit - 1] + "…"
