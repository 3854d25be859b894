"""The Residual vs plain tab: a real (small) experiment in the training child, the UI thread never blocked,
stop within a batch, the curves, the gradient heatmaps and the verdict line, bad input as a message."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import listing
from tests.gui.conftest import settle, wait_for
from tests.gui.test_responsiveness import _measure, assert_ui_thread_not_blocked

SMALL = {"depth": 0, "train_images": 36, "batch_size": 12, "probe_size": 12}


@pytest.fixture
def make_tab(qtbot):
    """Shown Residual tabs; each is shut down at teardown, so a failed test leaves no run going for the next ones."""
    from gui.tabs.residual import ResidualTab

    made = []

    def make(data=None):
        tab = ResidualTab()
        qtbot.addWidget(tab)
        tab.resize(1200, 800)
        tab.show()
        tab.controller.data_source = None if data is None else str(data)
        made.append(tab)
        return tab

    yield make
    for tab in made:
        tab.shutdown(60_000)


def test_compare_runs_in_the_child_and_the_ui_thread_stays_responsive(qtbot, make_tab, signs_dir, tmp_path, app_heap):
    from tools.lateness_probe import LatenessProbe

    tab = make_tab(signs_dir)
    app_heap()  # as the app's window does once its model is loaded: full collections skip start-up's objects
    idle = _measure(qtbot, 2.0)
    assert tab.start(epochs=100, **SMALL)
    assert tab.running and not tab.view.start_button.isEnabled() and tab.view.stop_button.isEnabled()
    c = tab.controller
    wait_for(qtbot, lambda: c.history.epochs_seen >= 1, timeout=300_000)
    probe = LatenessProbe()
    probe.start()
    batches0 = c.history.batches_seen
    wait_for(qtbot, lambda: c.history.batches_seen >= batches0 + 4, timeout=120_000)
    settle(qtbot, 1.0)
    probe.stop()
    stats = probe.stats()
    stats.update(batches=c.history.batches_seen - batches0, idle=idle, load=os.getloadavg()[0])
    print("UI-thread lateness while compare runs:", json.dumps(stats))
    assert_ui_thread_not_blocked(stats, idle)

    # what the tab shows after an epoch: both nets' curves, both heatmaps on one scale, a verdict
    res, plain = c.history.nets["residual"], c.history.nets["plain"]
    assert len(c.history.layers) == 13 and len(res.grad_norms) >= 2 and len(plain.loss) >= 1
    maps = tab.view.gradient_map.maps
    assert [m.shape[0] for m in maps] == [13, 13] and maps[0].shape[1] >= 2
    assert np.isfinite(maps[0]).all() and np.isfinite(maps[1]).all()
    assert tab.view.gradient_map.colour_bar.levels() == tuple(
        __import__("gui.widgets.gradient_map", fromlist=["shared_range"]).shared_range(*maps))
    assert len(tab.view.loss_plot.lines["plain"][1].getData()[0]) >= 1
    assert tab.view.verdict.text() and not tab.view.verdict.text().startswith("Waiting")
    tab.grab().save(str(tmp_path / "residual-running.png"))

    # stop: the run ends within a batch (the child reports how many batches of the epoch it did)
    epochs_before = c.history.epochs_seen
    tab.view.stop_button.click()
    wait_for(qtbot, lambda: not tab.running, timeout=120_000)
    assert c.result is not None and c.result.stopped
    assert len(c.result.residual.loss) <= epochs_before + 1
    assert tab.view.start_button.isEnabled() and tab.view.progress.format() == "stopped"
    assert tab.shutdown(60_000)


def test_missing_dataset_is_a_message_and_the_tab_keeps_working(qtbot, make_tab, tmp_path):
    tab = make_tab(tmp_path / "no-such-data")
    assert not tab.start(**SMALL)
    assert not tab.running and tab.view.banner.isVisible()
    assert "no dataset at" in tab.view.banner.text()
    assert tab.view.start_button.isEnabled()
    assert tab.shutdown(5_000)


def test_settings_persist(qtbot, make_tab, tmp_path):
    from PySide6.QtCore import QSettings

    s = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    tab = make_tab()
    v = tab.view
    v.epochs.setValue(7)
    v.depth.setCurrentIndex(v.depth.findData(2))
    v.batchnorm.setChecked(False)
    v.images.setValue(240)
    tab.save_settings(s)
    other = make_tab()
    other.restore_settings(s)
    assert other.view.chosen() == {"epochs": 7, "depth": 2, "batchnorm": False, "train_images": 240}
    assert tab.shutdown(5_000) and other.shutdown(5_000)


def test_window_has_the_tab_after_collect_and_inside_and_closes_cleanly(make_window, qtbot):
    from tests.gui.conftest import close_window

    win = make_window(background=False)
    names = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    assert names[names.index("Collect") + 1:] == ["Inside", "Residual vs plain"]
    assert win.tabs.widget(names.index("Residual vs plain")) is win.residual_tab
    close_window(qtbot, win)
    assert win.closed_cleanly


def test_closing_the_window_during_a_run_waits_for_it_without_blocking(make_window, qtbot, signs_dir):
    """Closing asks the run to stop and waits for its last batch on a timer, not on the UI thread.

    The settings are written as the window goes, after the run: a save syncs the file to disk, a wait
    the UI thread must not take while the window still shows the run ending.
    """
    from gui.settings import get_int, open_settings
    from tools.lateness_probe import LatenessProbe

    win = make_window(background=False)
    tab, c = win.residual_tab, win.residual_tab.controller
    c.data_source = str(signs_dir)
    settings_file = Path(win.settings.fileName())
    idle = _measure(qtbot, 2.0)
    assert tab.start(epochs=100, **SMALL)
    wait_for(qtbot, lambda: c.history.batches_seen >= 2, timeout=300_000)
    tab.view.epochs.setValue(7)  # changed during the run: saved when the window goes
    before = _file_state(settings_file)
    at_run_end = []
    c.running_changed.connect(lambda running: at_run_end.append(_file_state(settings_file)))
    probe = LatenessProbe()
    probe.start()
    win.close()  # the event is ignored until the run has ended
    assert not win.closed_cleanly and tab.busy()
    wait_for(qtbot, lambda: not tab.busy(), timeout=120_000)
    probe.stop()
    stats = probe.stats()
    print("UI-thread lateness while closing during compare:", json.dumps(stats))
    assert_ui_thread_not_blocked(stats, idle)
    assert at_run_end == [before]  # nothing written while the window waited
    wait_for(qtbot, lambda: win.closed_cleanly, timeout=60_000)
    assert c.result is not None and c.result.stopped
    assert _file_state(settings_file) != before and get_int(open_settings(), "residual/epochs", 0) == 7


def _file_state(path: Path):
    """The file's size and modification time (None when it does not exist yet)."""
    return listing(path.parent).get(str(path))
