"""The heatmap in the app, with the shipped model in a real window offscreen: the Classify tab's toggle
(Ctrl+G) draws the map over the hand's square and the model input, a click on a bar changes the class, and
a click on a misclassified image in the Train tab's gallery shows its maps."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from tests.gui.conftest import signs_test_images, wait_for

SHOTS = os.environ.get("HANDSIGN_SCREENSHOTS")  # a folder: save the screenshots there (docs/screenshots)


def _qimage_array(img) -> np.ndarray:
    from PySide6.QtGui import QImage

    img = img.convertToFormat(QImage.Format.Format_RGB888)
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3] \
        .reshape(img.height(), img.width(), 3).copy()


def _grab(widget) -> np.ndarray:
    return _qimage_array(widget.grab().toImage())


def _save(widget, name, tmp_path):
    folder = SHOTS or str(tmp_path)
    path = os.path.join(folder, name)
    assert widget.grab().save(path)
    return path


@pytest.fixture
def shown_image(make_window, qtbot, signs_dir, shipped_model):
    """A window with the shipped model, showing one SIGNS test image (class 3), heatmap off."""
    files = [f for f in signs_test_images(signs_dir, 20) if f.name.startswith("3_")][:1]
    win = make_window(model_path=shipped_model, size=(1200, 800))
    c = win.classify
    c.open_paths(files)
    wait_for(qtbot, lambda: c.results_shown > 0 and c.last_display is not None)
    return win


def test_toggle_draws_the_map_where_it_is_hot_and_a_bar_click_changes_the_class(shown_image, qtbot, tmp_path):
    win = shown_image
    tab, choice = win.classify_tab, win.classify_tab.heatmap
    view = tab.results.input_view
    before = _grab(view).astype(int)
    assert not win.heatmap_action.isChecked() and view._heat is None
    win.heatmap_action.trigger()  # Classify ▸ Show heatmap (Ctrl+G)
    assert tab.results.heatmap_controls.check.isChecked()
    wait_for(qtbot, lambda: choice.last is not None, timeout=120_000)
    top = choice.last
    assert top.class_index == 3 and top.map.shape == (4, 4)
    assert "stage 4, 4x4" in tab.results.heatmap_controls.caption.text()
    assert "class 3 (top class)" in tab.results.heatmap_controls.caption.text()
    after = _grab(view).astype(int)
    # Where the map is hot the view turned red; where it is cold it did not (JET: blue).
    side = view.width() // 4
    red_gain = np.array([[(after[r * side:(r + 1) * side, c * side:(c + 1) * side, 0]
                           - before[r * side:(r + 1) * side, c * side:(c + 1) * side, 0]).mean()
                          for c in range(4)] for r in range(4)])
    hot, cold = top.map >= 0.7, top.map <= 0.1
    assert hot.any() and cold.any()
    assert red_gain[hot].mean() > red_gain[cold].mean() + 30
    assert tab.frame_view._heat is not None  # drawn over the hand's square on the frame too
    _save(win, "heatmap-classify.png", tmp_path)

    bars = tab.results.bars
    row = bars.height() / len(bars.class_names)
    qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(bars.width() // 2, int(row * 0.5)))  # class 0
    wait_for(qtbot, lambda: choice.last.class_index == 0, timeout=60_000)
    assert bars.chosen == 0 and "class 0 (clicked" in tab.results.heatmap_controls.caption.text()
    assert not np.allclose(choice.last.map, top.map)
    qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(bars.width() // 2, int(row * 0.5)))  # again: top
    wait_for(qtbot, lambda: choice.last.class_index == 3, timeout=60_000)
    assert bars.chosen == -1

    choice.click_class(1)
    wait_for(qtbot, lambda: choice.last.class_index == 1, timeout=60_000)
    choice.escape()
    wait_for(qtbot, lambda: choice.last.class_index == 3, timeout=60_000)

    tab.results.heatmap_controls.layer_combo.setCurrentIndex(0)  # stage 3
    # Until its first map comes (a first conversion takes 10-30 s), the caption says so, not "stage 4".
    assert tab.results.heatmap_controls.caption.text() == "loading…"
    _save(win, "heatmap-classify-loading.png", tmp_path)
    wait_for(qtbot, lambda: choice.last.map.shape == (8, 8), timeout=120_000)
    assert "stage 3, 8x8" in tab.results.heatmap_controls.caption.text()

    s = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    tab.save_settings(s)
    assert s.value("classify/heatmap") in (True, "true") and s.value("classify/heatmap_layer") == "stage3"
    win.heatmap_action.trigger()  # off again
    assert view._heat is None and tab.frame_view._heat is None and not tab.results.heatmap_controls.check.isChecked()


def test_gallery_click_shows_the_maps_of_both_classes(shown_image, qtbot, signs_dir, shipped_model, tmp_path):
    """A finished run's misclassified images (made up here from SIGNS test images, with the shipped model as the
    run's model): clicking one shows its map for the predicted and for the true class, computed off the UI thread."""
    from core.images import read_image
    from core.training.protocol import TrainOutcome
    from core.training.reports import TrainResult

    win = shown_image
    files = signs_test_images(signs_dir, 1)[:4]
    images = np.stack([read_image(f) for f in files])
    report = {"accuracy": 0.9, "n": 120, "confusion_matrix": np.eye(6, dtype=int).tolist()}
    result = TrainResult("completed", shipped_model, None, {"status": "completed"}, test_report=report)
    names = [str(k) for k in range(6)]
    outcome = TrainOutcome(result, names, images, ["0", "1", "2", "3"], ["5", "4", "4", "1"])
    win.tabs.setCurrentWidget(win.train_tab)
    results = win.train_tab.results
    results.show_results(outcome, has_model=True)
    strip = results.wrong
    wait_for(qtbot, lambda: strip.isVisible() and strip.width() > 100)
    cell = strip.cell
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(4 + (cell + 8) + cell // 2, 4 + cell // 2))  # 2nd
    wait_for(qtbot, lambda: results.heatmap_dialog is not None, timeout=120_000)
    dialog = results.heatmap_dialog
    assert "true 1, predicted 4" in dialog.windowTitle()
    assert [t.caption for t in dialog.tiles] == ["predicted 4", "true 1"]
    wait_for(qtbot, lambda: dialog.isVisible())
    a, b = (_grab(t) for t in dialog.tiles)
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() > 3  # two different maps
    _save(dialog, "heatmap-gallery.png", tmp_path)
    dialog.close()
