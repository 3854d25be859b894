"""Activation histograms, one small plot per network stage, on the same fixed log-spaced bins every frame.

It only draws what it is given (:meth:`StageHistograms.show_histograms`, a list
of ``core.explain.features.StageHistogram``).  The x axis is the activation on
a log scale (0.001 … 100); the grey bar on the left is the share of exact zeros
the ReLU left.  The y axis is the share of the stage's values, and each plot's
range only grows, so a frame's histogram can be compared with the last one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

ZERO_X = -4.0  # where the "exactly zero" bar sits, left of the log axis
LOW_X, HIGH_X = -3.5, 2.5  # where the open-ended first (0, 0.001) and last (>= 100) bins are drawn to
TICKS = [(ZERO_X, "0"), (-3, ".001"), (-2, ".01"), (-1, "0.1"), (0, "1"), (1, "10"), (2, "100")]
FILL = (21, 101, 192, 160)
ZERO_FILL = (138, 143, 152, 200)


def plot_edges(edges: np.ndarray) -> np.ndarray:
    """Bin edges as x positions: log10, with the open ends 0 and inf drawn at fixed places."""
    with np.errstate(divide="ignore"):
        x = np.log10(np.asarray(edges, dtype=np.float64))
    x[0], x[-1] = LOW_X, HIGH_X
    return x


class StagePlot(pg.PlotWidget):
    """One stage's histogram: a step curve for positive values and a bar for the zeros."""

    def __init__(self, stage: int):
        super().__init__()
        self.stage = stage
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getAxis("bottom").setTicks([TICKS])
        self.setLabel("bottom", "activation")
        self.setXRange(ZERO_X - 0.5, HIGH_X, padding=0)
        self.ymax = 0.05
        self.setYRange(0, self.ymax, padding=0)
        self.curve = self.plot(stepMode="center", fillLevel=0, brush=FILL, pen=pg.mkPen("#1565c0", width=2))
        self.zero_bar = pg.BarGraphItem(x=[ZERO_X], height=[0.0], width=0.6, brush=ZERO_FILL, pen=None)
        self.addItem(self.zero_bar)
        self.title_text = f"stage {stage}"
        self.setTitle(self.title_text)
        self.setMinimumHeight(150)

    def show_histogram(self, hist, edges: np.ndarray) -> None:
        share = hist.counts / max(1, hist.total)
        self.curve.setData(plot_edges(edges), share)
        self.zero_bar.setOpts(height=[hist.zero_fraction])
        top = max(float(share.max(initial=0.0)), hist.zero_fraction) * 1.1
        if top > self.ymax:
            self.ymax = min(1.0, top)
            self.setYRange(0, self.ymax, padding=0)
        title = f"stage {hist.stage} ({hist.block}) · {hist.zero_fraction:.0%} zeros"
        if title != self.title_text:  # a new title lays the plot out again: only when it changes
            self.title_text = title
            self.setTitle(title)


class StageHistograms(QWidget):
    """A row of :class:`StagePlot`, one per stage, made when the stages are first known."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[int, StagePlot] = {}

    def show_histograms(self, histograms, edges: np.ndarray) -> None:
        stages = [h.stage for h in histograms]
        if stages != list(self.plots):
            self.reset(stages)
        for h in histograms:
            self.plots[h.stage].show_histogram(h, edges)

    def reset(self, stages=()) -> None:
        """Forget the plots (a new model): the next histograms start with fresh ranges."""
        for plot in self.plots.values():
            self.row.removeWidget(plot)
            plot.deleteLater()
        self.plots = {}
        for stage in stages:
            self.plots[stage] = StagePlot(stage)
            self.row.addWidget(self.plots[stage], 1)
