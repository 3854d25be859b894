"""Start-up (window before TensorFlow), settings that survive a restart, shortcuts, missing model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.gui.conftest import close_window, wait_for

REPO = Path(__file__).resolve().parents[2]


def test_window_shows_before_tensorflow_is_imported(tmp_path):
    env = dict(os.environ, HANDSIGN_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "gui.app", "--smoke", "--no-camera"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"window shown after ([\d.]+) s \(([\d.]+) s CPU; tensorflow imported then: (\w+)\); "
                  r"model ready after ([\d.]+) s", proc.stdout)
    assert m, proc.stdout + proc.stderr[-2000:]
    shown, cpu, tf_then, ready = float(m.group(1)), float(m.group(2)), m.group(3), float(m.group(4))
    print(f"window shown after {shown:.2f} s ({cpu:.2f} s CPU), model/architecture ready after {ready:.2f} s")
    assert tf_then == "False"
    # CPU seconds until the window is shown: the wall time also counts whatever else the
    # (2-core, shared) machine is running; unloaded it is about the same (0.8 s measured).
    assert cpu < 1.5
    assert ready > shown


def test_missing_shipped_model_is_a_message_and_the_app_works(make_window, qtbot, monkeypatch, tmp_path):
    import core.paths

    monkeypatch.setattr(core.paths, "shipped_model_path", lambda: tmp_path / "nope" / "handsign_resnet50.keras")
    win = make_window()
    wait_for(qtbot, lambda: win.model_error is not None)
    assert "shipped model is missing" in win.classify_tab.model_banner.text()
    assert win.classify_tab.model_banner.button.text() == "Open model…"
    assert win.classify_tab.results.top_label.big.text() == "–"
    wait_for(qtbot, lambda: win.model_tab.report is not None, timeout=60_000)  # the bare architecture
    assert not win.model_tab.report.trained and "untrained" in win.model_tab.details.text()


def test_settings_survive_a_restart(make_window, qtbot, signs_model, signs_video):
    from gui.settings import open_settings

    win = make_window(model_path=signs_model)
    win.resize(1250, 777)
    win.tabs.setCurrentIndex(2)
    win.classify_tab.camera_index = 3
    win.classify_tab.results.threshold_slider.setValue(72)
    win.classify_tab.results.smoothing_slider.setValue(5)
    win.train_tab.epochs.setValue(7)
    win.train_tab.batch_size.setValue(24)
    win.classify.open_video(signs_video[0])
    size = (win.width(), win.height())  # what the window allowed (it has a minimum width)
    close_window(qtbot, win)
    assert Path(open_settings().fileName()).parent == Path(os.environ["HANDSIGN_HOME"])  # isolated per test

    again = make_window(start_source=True, size=None)  # no --model: the last-used one; its saved size
    wait_for(qtbot, lambda: again.classify.model_ready)
    assert again.classify.model_path == signs_model
    assert (again.width(), again.height()) == size
    assert again.tabs.currentIndex() == 2 and again.classify_tab.camera_index == 3
    assert again.classify_tab.results.threshold_slider.value() == 72 and again.classify.threshold == 0.72
    assert again.classify_tab.results.smoothing_slider.value() == 5
    assert again.train_tab.epochs.value() == 7 and again.train_tab.batch_size.value() == 24
    assert again.train_tab.preset_combo.currentData() == "custom"
    assert again.classify.mode == "video"  # the last source is opened again


def test_keyboard_shortcuts(make_window, qtbot, signs_model, tiny_signs_tree):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from core.inference.region import DEFAULT_SIDE
    from core.paths import user_dir

    ctrl = Qt.KeyboardModifier.ControlModifier
    win = make_window(model_path=signs_model)
    for i in range(4):
        QTest.keyClick(win, Qt.Key.Key_1 + i, ctrl)
        assert win.tabs.currentIndex() == i
    QTest.keyClick(win, Qt.Key.Key_1, ctrl)
    c = win.classify
    c.open_paths([tiny_signs_tree / "0"])
    wait_for(qtbot, lambda: c.results_shown > 0)
    QTest.keyClick(win, Qt.Key.Key_PageDown)
    wait_for(qtbot, lambda: c.file_index == 1)
    QTest.keyClick(win, Qt.Key.Key_PageUp)
    wait_for(qtbot, lambda: c.file_index == 0)
    QTest.keyClick(win, Qt.Key.Key_Space)
    assert c.paused and win.classify_tab.source_bar.pause_button.text() == "Resume"
    QTest.keyClick(win, Qt.Key.Key_Space)
    assert not c.paused
    QTest.keyClick(win, Qt.Key.Key_S, ctrl)
    assert len(list((user_dir() / "snapshots").glob("*.png"))) == 1
    c.set_region((0.3, 0.3, 0.4))
    QTest.keyClick(win, Qt.Key.Key_R, ctrl)  # centre the region again
    assert c.region_norm() == (0.5, 0.5, DEFAULT_SIDE["images"])
    QTest.keyClick(win, Qt.Key.Key_H, ctrl)  # Find hand off, then on again
    assert not c.find_hands and not win.classify_tab.source_bar.find_hand_button.isChecked()
    QTest.keyClick(win, Qt.Key.Key_H, ctrl)
    assert c.find_hands and win.collect_tab.capture.find_hand_button.isChecked()
    win.tabs.setCurrentWidget(win.collect_tab)
    QTest.keyClick(win, Qt.Key.Key_K, ctrl)  # start the camera: there is none here, and the window says so
    assert win.tabs.currentWidget() is win.classify_tab and c.mode == "camera"
    wait_for(qtbot, lambda: "could not be opened" in win.classify_tab.banner.text())
