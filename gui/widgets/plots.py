"""What the pyqtgraph plots of training curves share (the Train tab, Residual vs plain): tick labels, redraws."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

REDRAW_GAP_MS = 15


def plain_numbers(plot) -> None:
    """Ticks in the curve's own units on a ``pyqtgraph.PlotWidget``.

    pyqtgraph's automatic prefix labelled epochs 0.1-0.4 as "100-400" on an axis
    called "epoch (x0.001)" early in a run, and a loss of 0.2-0.7 as
    "cross-entropy (x0.001)": not what a class should read off a curve.
    """
    for side in ("bottom", "left"):
        plot.getAxis(side).enableAutoSIPrefix(False)


class StaggeredRedraw(QObject):
    """Redraw several plots one at a time, each in its own turn of the event loop, from the newest data.

    Qt paints every widget that changed during one turn together.  A pyqtgraph plot's new data and
    repaint take 5-15 ms of the UI thread on a 2-core machine, so redrawing both curve plots and the
    gradient heatmaps in one turn blocked it for 50 ms on a loaded CI box.  Here each step (a callable
    that draws one plot from the current data) runs in its own timer callback, ``gap_ms`` apart, so
    input, timers and the camera's frames are served between them.  A request while steps are still
    pending does not queue them twice: each pending step draws the newest data when its turn comes.
    """

    def __init__(self, steps: dict[str, Callable[[], None]], gap_ms: int = REDRAW_GAP_MS, parent=None):
        super().__init__(parent)
        self.steps = dict(steps)
        self.gap_ms = gap_ms
        self.pending: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_next)

    def request(self, *names: str) -> None:
        """Draw these steps (all when none is named), in the order they were given to the constructor."""
        wanted = set(names or self.steps) | set(self.pending)
        self.pending = [name for name in self.steps if name in wanted]
        if not self._timer.isActive():
            self._timer.start(0)

    def flush(self) -> None:
        """Draw every pending step now (a run's end, where one longer turn does not matter)."""
        self._timer.stop()
        while self.pending:
            self.steps[self.pending.pop(0)]()

    def cancel(self) -> None:
        self._timer.stop()
        self.pending.clear()

    def _run_next(self) -> None:
        if self.pending:
            self.steps[self.pending.pop(0)]()
        if self.pending:
            self._timer.start(self.gap_ms)
