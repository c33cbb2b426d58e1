"""Charts for the benefits screen, drawn on the server as SVG (no script, nothing inline for the
content security policy to refuse): one bar per benefit, how far from baseline to target the
measured value has come. The same figures are in the table beside each chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bluelamp.mobility.models import Benefit
from bluelamp.mobility.selectors import progress

BAR_HEIGHT = 22
GAP = 10
CHART_WIDTH = 400


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    width: int  # pixels for the measured progress, at most the chart's width
    percent: int  # of the way from baseline to target
    met: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int


def progress_bars(benefits: Sequence[Benefit]) -> Chart:
    bars = []
    for index, benefit in enumerate(benefits):
        share = max(0.0, progress(benefit))
        bars.append(
            Bar(
                label=benefit.name,
                y=index * (2 * BAR_HEIGHT + GAP) + BAR_HEIGHT,
                width=round(min(share, 1.0) * CHART_WIDTH),
                percent=round(share * 100),
                met=share >= 1,
            )
        )
    return Chart(bars, CHART_WIDTH, len(bars) * (2 * BAR_HEIGHT + GAP))
