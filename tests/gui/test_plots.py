"""The curve plots read in their own units: epochs as epochs and a loss below 1 as itself."""

from __future__ import annotations

from core.training.session import BatchProgress
from gui.tabs.residual.view import CompareCurves
from gui.tabs.train.history import CurveHistory
from gui.tabs.train.live_view import CurvePlot


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
