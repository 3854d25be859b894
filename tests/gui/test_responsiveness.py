"""The UI thread stays responsive (< 50 ms) while the camera path and a training run together,
and closing the window during a training stops it, waits for every thread and keeps the model.

The lateness of a 5 ms timer on the UI thread is measured while batches are being trained and the
video plays through the camera path with live classification.  The training's own start-up (a child
process importing TensorFlow, loading the data, building the model) is measured too and printed, not
asserted: on a 2-core machine shared with other work it competes for the CPU with everything else.
"""

from __future__ import annotations

import json
import os
import threading

import pytest

from tests.conftest import tiny_builder
from tests.gui.conftest import close_window, settle, wait_for


def test_ui_thread_lateness_while_camera_and_training_run(make_window, qtbot, tmp_path, signs_model):
    from tools.lateness import LatenessProbe
    from tools.videos import write_demo_video

    load_before = os.getloadavg()[0]
    win = make_window(model_path=signs_model)
    win.frames.loop_video = True
    win.classify.open_video(write_demo_video(tmp_path / "demo.avi", seconds=2.0))
    tab = win.train_tab
    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(500)
    tab.batch_size.setValue(16)
    tab.augment.setChecked(True)
    warmup = LatenessProbe()
    warmup.start()
    assert tab.start_training()  # a child process loads SIGNS (1,200 JPEGs), builds and traces the model
    wait_for(qtbot, lambda: tab.batches_seen > 0, timeout=90_000)
    warmup.stop()
    # Measured: the camera path plays and classifies while batches are being trained.
    probe = LatenessProbe()
    probe.start()
    frames0, results0, batches0 = win.classify.frames_shown, win.classify.results_shown, tab.batches_seen
    wait_for(qtbot, lambda: tab.epochs_seen >= 2, timeout=60_000)
    settle(qtbot, 4.0)
    probe.stop()
    stats = probe.stats()
    stats.update(frames=win.classify.frames_shown - frames0, predictions=win.classify.results_shown - results0,
                 batches=tab.batches_seen - batches0, epochs=tab.epochs_seen, training_start_up=warmup.stats())
    print("UI-thread lateness while camera + training run:", json.dumps(stats))
    (tmp_path / "lateness.json").write_text(json.dumps(stats))
    assert stats["frames"] > 50 and stats["predictions"] > 20 and stats["batches"] > 20
    cores = os.cpu_count() or 1
    if load_before > cores:
        # Other processes were already using every core: the timer would measure them, not this app.
        pytest.skip(f"machine busy before the test (load {load_before:.1f} on {cores} cores); measured {stats}")
    assert stats["max_ms"] < 50, stats
    tab.stop_training()
    wait_for(qtbot, lambda: not tab.running, timeout=60_000)


def test_closing_during_training_stops_it_waits_and_keeps_the_model(make_window, qtbot, signs_model, signs_video):
    win = make_window(model_path=signs_model)
    win.frames.loop_video = True
    win.classify.open_video(signs_video[0])
    tab = win.train_tab
    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(500)
    tab.max_per_class.setValue(20)
    assert tab.start_training()
    wait_for(qtbot, lambda: tab.epochs_seen >= 1, timeout=60_000)
    out = tab.controller.job.out
    threads = [win.worker_thread, tab.worker_thread]
    close_window(qtbot, win)
    assert win.closed_cleanly and not win.isVisible()
    assert all(t.isFinished() for t in threads)
    assert not win.frames.running
    assert out.exists() and out.with_suffix(".json").exists()  # the stopped run still saved its model
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["status"] == "stopped" and 1 <= len(card["epochs"]) < 500
    assert [t.name for t in threading.enumerate() if t.name.startswith("frames:")] == []
