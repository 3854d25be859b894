"""The curve plots read in their own units (epochs as epochs, a loss below 1 as itself), and several plots are
redrawn one per turn of the event loop."""

from __future__ import annotations

from core.training.session import BatchProgress
from gui.tabs.residual.view import CompareCurves
from gui.tabs.train.history import CurveHistory
from gui.tabs.train.live_view import CurvePlot
from gui.widgets.plots import StaggeredRedraw
from tests.gui.conftest import wait_for


def _early_run() -> CurveHistory:
    """Four batches into a run: x from 0.25 to 1.0 epochs, a loss of 0.3 to 0.6."""
    h = CurveHistory()
    for b in range(1, 5):
        h.add_batch(BatchProgress(epoch=1, epochs=3, batch=b, batches=4, loss=0.2 + b / 10, accuracy=b / 5,
                                  images_per_second=100.0, eta_seconds=5.0))
    return h


def _labels(plot) -> list[str]:
    return [plot.getAxis(side).labelString() for side in ("bottom", "left")]


def test_train_curves_early_in_a_run_have_no_scaled_axes(qtbot):
    plot = CurvePlot("Loss", "cross-entropy")
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    plot.show_metric(_early_run(), "loss")
    qtbot.wait(50)
    bottom, left = _labels(plot)
    assert "epoch" in bottom and "cross-entropy" in left
    assert not any("(x" in label for label in (bottom, left)), (bottom, left)


def test_residual_comparison_curves_have_no_scaled_axes(qtbot):
    plot = CompareCurves("Loss", "cross-entropy", "loss")
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    plot.plot([0.25, 0.5, 0.75], [0.3, 0.4, 0.5])
    qtbot.wait(50)
    assert not any("(x" in label for label in _labels(plot)), _labels(plot)


def _recording_redraw(calls: list, turns: list) -> StaggeredRedraw:
    """Steps that record their order, and whether the event loop ran (a 0 ms timer fired) since the step before."""
    from PySide6.QtCore import QTimer

    def step(name):
        def draw():
            calls.append(name)
            turns.append(name)
            QTimer.singleShot(0, lambda: turns.append("loop"))
        return draw

    return StaggeredRedraw({name: step(name) for name in ("loss", "accuracy", "gradients")}, gap_ms=5)


def test_staggered_redraw_draws_each_plot_in_its_own_turn_of_the_event_loop(qtbot):
    calls, turns = [], []
    redraw = _recording_redraw(calls, turns)
    redraw.request()
    assert calls == []  # nothing drawn inside the caller's turn
    wait_for(qtbot, lambda: not redraw.pending, timeout=2_000)
    assert calls == ["loss", "accuracy", "gradients"]
    assert turns[:5] == ["loss", "loop", "accuracy", "loop", "gradients"]


def test_staggered_redraw_coalesces_requests_and_keeps_the_order(qtbot):
    calls, turns = [], []
    redraw = _recording_redraw(calls, turns)
    redraw.request("gradients")
    redraw.request("loss")
    redraw.request("loss", "accuracy")
    assert redraw.pending == ["loss", "accuracy", "gradients"]
    wait_for(qtbot, lambda: not redraw.pending, timeout=2_000)
    assert calls == ["loss", "accuracy", "gradients"]
    redraw.request("accuracy")
    wait_for(qtbot, lambda: not redraw.pending, timeout=2_000)
    assert calls[3:] == ["accuracy"]


def test_staggered_redraw_flush_draws_now_and_cancel_drops(qtbot):
    calls, turns = [], []
    redraw = _recording_redraw(calls, turns)
    redraw.request()
    redraw.flush()
    assert calls == ["loss", "accuracy", "gradients"] and not redraw.pending
    redraw.request()
    redraw.cancel()
    qtbot.wait(50)
    assert calls == ["loss", "accuracy", "gradients"] and not redraw.pending
