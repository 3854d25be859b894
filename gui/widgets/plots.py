"""Settings shared by the pyqtgraph plots of training curves (the Train tab, Residual vs plain)."""

from __future__ import annotations


def plain_numbers(plot) -> None:
    """Ticks in the curve's own units on a ``pyqtgraph.PlotWidget``.

    pyqtgraph's automatic prefix labelled epochs 0.1-0.4 as "100-400" on an axis
    called "epoch (x0.001)" early in a run, and a loss of 0.2-0.7 as
    "cross-entropy (x0.001)": not what a class should read off a curve.
    """
    for side in ("bottom", "left"):
        plot.getAxis(side).enableAutoSIPrefix(False)
