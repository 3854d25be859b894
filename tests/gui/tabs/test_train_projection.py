"""The feature projection on the Train tab: the scatter glides from epoch to epoch, hovering a point shows its
image and class, and a real training child's projections reach it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from core.training.process import TrainJob
from core.training.protocol import DatasetInfo
from core.training.reports import EpochMetrics
from core.training.settings import TrainSettings
from gui.tabs.train import TrainTab
from gui.widgets.projection import ProjectionView, class_colour
from tests.conftest import tiny_builder
from tests.gui.conftest import wait_for

N = 12


def _thumbs(n=N):
    """Solid images, each its own grey level, so a shown image tells which point it belongs to."""
    return np.stack([np.full((64, 64, 3), 20 * i, np.uint8) for i in range(n)])


def _labels(n=N):
    return [i % 3 for i in range(n)]


def _points(seed):
    return np.random.default_rng(seed).normal(size=(N, 2)).astype(np.float32)


def _drawn(view) -> np.ndarray:
    x, y = view.scatter.getData()
    return np.stack([x, y], axis=1)


def _move_mouse(qtbot, view, scene_pos) -> None:
    """A mouse move over the plot to ``scene_pos`` (scene coordinates), delivered to the plot's viewport.

    Sent to the widget itself: ``qtbot.mouseMove`` goes through the offscreen platform's screen, and a
    window wider than that screen (the Train tab at 1200 px) never gets moves beyond its edge.
    """
    viewport = view.plot.viewport()
    local = QPointF(view.plot.mapFromScene(scene_pos))
    event = QMouseEvent(QEvent.Type.MouseMove, local, QPointF(viewport.mapToGlobal(local.toPoint())),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)
    qtbot.wait(10)


@pytest.fixture
def view(qtbot):
    v = ProjectionView()
    qtbot.addWidget(v)
    v.resize(420, 420)
    v.show()
    qtbot.waitExposed(v)
    v.set_images(_thumbs(), _labels(), ["a", "b", "c"])
    return v


def test_points_glide_from_the_last_epoch_to_the_next(view, qtbot):
    first, second = _points(0), _points(1)
    assert view.show_points(first, 1)
    assert not view.animating and np.allclose(_drawn(view), first)  # the first epoch appears at once
    assert "epoch 1" in view.caption.text()
    frames = []
    view.animation.valueChanged.connect(lambda _: frames.append(_drawn(view).copy()))
    assert view.show_points(second, 2)
    assert view.animating
    wait_for(qtbot, lambda: not view.animating, timeout=5_000)
    assert np.allclose(_drawn(view), second) and np.allclose(view.positions, second)
    # On the way, the points were in between: neither where they started nor where they ended.
    between = [f for f in frames if not np.allclose(f, first) and not np.allclose(f, second)]
    assert between, f"{len(frames)} frames, none in between"
    mid = between[len(between) // 2]
    assert np.all(np.linalg.norm(mid - first, axis=1) <= np.linalg.norm(second - first, axis=1) + 1e-6)
    assert "epoch 2" in view.caption.text()


def test_colours_and_legend_follow_the_classes(view):
    view.show_points(_points(0), 1, animate=False)
    brushes = [b.color().name() for b in view.scatter.data["brush"]]
    assert brushes == [class_colour(c).name() for c in _labels()]
    assert all(name in view.legend.text() for name in ("a", "b", "c"))
    assert class_colour(0).name() in view.legend.text()


def test_points_that_do_not_fit_the_images_are_ignored(view):
    assert not view.show_points(np.zeros((N + 1, 2)), 1)
    assert not view.show_points(np.zeros((N, 3)), 1)
    assert view.positions is None and view.epoch == 0


def test_hovering_a_point_shows_its_image_and_class(view, qtbot):
    view.show_points(_points(0), 1, animate=False)
    qtbot.wait(50)
    for i in (4, 7):
        _move_mouse(qtbot, view, view.scene_position(i))
        wait_for(qtbot, lambda i=i: view.hovered == i, timeout=2_000)
        assert view.card.isVisible() and view.card.caption.text() == f"class {'abc'[i % 3]}"
        image = view.card.image.pixmap().toImage()
        centre = image.pixelColor(image.width() // 2, image.height() // 2)
        assert (centre.red(), centre.green(), centre.blue()) == (20 * i,) * 3  # that point's own image
    # Away from every point, the card goes.
    corner = view.plot.getPlotItem().getViewBox().sceneBoundingRect().topLeft() + QPointF(2, 2)
    assert view.point_at(corner) is None
    _move_mouse(qtbot, view, corner)
    wait_for(qtbot, lambda: view.hovered is None, timeout=2_000)
    assert not view.card.isVisible()


def test_presenter_text_scale_grows_the_dots_and_the_card(view, qtbot):
    view.show_points(_points(0), 1, animate=False)
    view.set_text_scale(1.5)
    assert view.scatter.opts["size"] == pytest.approx(18)
    _move_mouse(qtbot, view, view.scene_position(3))
    wait_for(qtbot, lambda: view.hovered == 3, timeout=2_000)
    assert view.card.image.pixmap().width() == 192
    view.set_text_scale(1.0)
    assert view.scatter.opts["size"] == pytest.approx(12)


def test_the_controller_hands_the_projection_to_the_view(qtbot):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    try:
        c = tab.controller
        c.on_dataset(DatasetInfo(["a", "b", "c"], {}, _thumbs(3), [0, 1, 2], [0, 1, 2], _thumbs(), _labels()))
        assert len(tab.projection.images) == N and tab.projection.positions is None
        c.on_epoch(EpochMetrics(1, 1.0, 0.5, 1.0, 0.5, 1.0, 1e-3, None, _points(0)))
        assert tab.projection.epoch == 1 and np.allclose(_drawn(tab.projection), _points(0))
        c.on_epoch(EpochMetrics(2, 1.0, 0.5, 1.0, 0.5, 1.0, 1e-3, None, None))  # an epoch without points: kept
        assert tab.projection.epoch == 1
    finally:
        assert tab.shutdown(60_000)


def test_a_real_training_run_moves_the_points_each_epoch(qtbot, tmp_path, tiny_signs_tree):
    tab = TrainTab()
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    try:
        settings = TrainSettings(epochs=3, batch_size=8, learning_rate=3e-3, augment=False, val_split=0.3)
        job = TrainJob(str(tiny_signs_tree), settings, tmp_path / "run.keras", kind="folders", builder=tiny_builder,
                       title="test")
        drawn: list[tuple[int, np.ndarray]] = []
        assert tab.controller.run_job(job)
        assert tab.projection.positions is None  # cleared for the new run
        tab.controller.worker.epoch_ended.connect(
            lambda m: drawn.append((m.epoch, None if m.projection is None else m.projection.copy())))
        wait_for(qtbot, lambda: not tab.running, timeout=240_000)
        assert tab.outcome is not None and tab.outcome.result.status == "completed"
        info = tab.controller.dataset
        n = info.counts["val"]
        assert len(tab.projection.images) == n == len(info.projection_labels)
        assert [e for e, _ in drawn] == [1, 2, 3] and all(p is not None and p.shape == (n, 2) for _, p in drawn)
        wait_for(qtbot, lambda: not tab.projection.animating, timeout=5_000)
        assert tab.projection.epoch == 3 and np.allclose(_drawn(tab.projection), drawn[-1][1])
        # Hover a point of the real run: its thumbnail and true class.
        i = n // 2
        _move_mouse(qtbot, tab.projection, tab.projection.scene_position(i))
        wait_for(qtbot, lambda: tab.projection.hovered is not None, timeout=2_000)
        hovered = tab.projection.hovered  # i, or a point drawn on the same spot
        assert np.allclose(tab.projection.positions[hovered], tab.projection.positions[i], atol=0.05)
        pv = tab.projection
        assert pv.card.isVisible()
        # The card sits beside the plot, not on its points, and a ring marks the hovered point.
        viewport = pv.plot.viewport()
        plot_rect = QRect(viewport.mapTo(pv.card.parentWidget(), QPoint(0, 0)), viewport.size())
        assert not pv.card.geometry().intersects(plot_rect)
        ring_x, ring_y = pv.ring.getData()
        assert len(ring_x) == 1 and np.allclose([ring_x[0], ring_y[0]], pv.positions[hovered])
        assert tab.projection.card.caption.text() == f"class {info.class_names[info.projection_labels[hovered]]}"
    finally:
        assert tab.shutdown(60_000)
