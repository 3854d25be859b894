"""The UI thread stays responsive (blocked < 50 ms) while the camera path and a training run together,
and closing the window during a training stops it, waits for every thread and keeps the model.

A 5 ms timer on the UI thread (``tools.lateness_probe.LatenessProbe``) measures how late it fires while
batches are being trained and the video plays through the camera path with live classification.
Lateness also grows when other processes keep every core busy (a 2-core CI box after earlier
trainings), so the assertion is on the blocked time: lateness minus the time the UI thread waited
for a CPU, which Linux reports per thread.  A slow call, a lock or the GIL held on the UI thread's
behalf still counts in full.  Where the system does not report that wait, the bound is relative to
the lateness of the same probe with the app idle, measured in the same test.  The training's own
start-up (a child process importing TensorFlow, loading the data, building the model) is measured
too and printed, not asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import tiny_builder
from tests.gui.conftest import close_window, settle, wait_for

BLOCKED_LIMIT_MS = 50.0  # issue #13: the UI thread is never blocked for more than 50 ms


def _measure(qtbot, seconds: float, during=None) -> dict:
    from tools.lateness_probe import LatenessProbe

    probe = LatenessProbe()
    probe.start()
    if during:
        during()
    settle(qtbot, seconds)
    probe.stop()
    return probe.stats()


def assert_ui_thread_not_blocked(stats: dict, idle: dict) -> None:
    if stats["separates_cpu_wait"]:
        assert stats["blocked_max_ms"] < BLOCKED_LIMIT_MS, stats
    else:  # no per-thread CPU wait here: allow the lateness the idle app showed on this machine just before
        assert stats["max_ms"] < BLOCKED_LIMIT_MS + idle["max_ms"], (stats, idle)


def test_probe_counts_a_blocked_ui_thread(qtbot):
    """A sleep and a busy loop on the UI thread are blocked time; the probe must report them."""
    from PySide6.QtCore import QTimer

    def spin(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    def block():
        QTimer.singleShot(200, lambda: time.sleep(0.2))  # waiting (as on a lock or I/O)
        QTimer.singleShot(700, lambda: spin(0.15))  # computing

    stats = _measure(qtbot, 1.2, block)
    assert stats["max_ms"] >= 190 and stats["over_50ms"] == 2, stats
    if stats["separates_cpu_wait"]:
        assert stats["blocked_max_ms"] >= 190 and stats["blocked_over_50ms"] == 2, stats
        assert 150 <= stats["blocked_worst_at_ms"] <= 600, stats  # the sleep, queued 200 ms after start()
    with pytest.raises(AssertionError):
        assert_ui_thread_not_blocked(stats, {"max_ms": 5.0})


def test_probe_reports_a_full_cycle_collection_on_the_ui_thread(qtbot):
    """A full collection holds the GIL: the probe counts it as blocked time and names it (``gc_full``)."""
    import gc

    from PySide6.QtCore import QTimer

    from tools.lateness_probe import LatenessProbe

    done = []

    def collect():
        cycles = [[] for _ in range(300_000)]
        for a in cycles:
            a.append(a)  # each list refers to itself: only the cycle collector can free it
        del cycles
        gc.collect()
        done.append(True)

    probe = LatenessProbe()
    probe.start()
    QTimer.singleShot(200, collect)
    # Until the ticks after the collection: the first is as late as the collection was long.  (A fixed 1 s
    # window missed it on a machine where the collection itself took 0.97 s.)
    wait_for(qtbot, lambda: done, timeout=60_000)
    settle(qtbot, 0.3)
    probe.stop()
    stats = probe.stats()
    assert stats["gc_full"] >= 1 and stats["gc_max_ms"] > 0, stats
    assert stats["max_ms"] >= stats["gc_max_ms"] * 0.9, stats


def test_the_window_freezes_its_start_up_heap_so_full_collections_skip_it(make_window, signs_model):
    """Once its model is loaded, the window takes what start-up made out of the cycle collector's walk."""
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    win = make_window(model_path=signs_model)
    walked = {id(o) for o in gc.get_objects()}  # what a full collection walks; frozen objects are not in it
    assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    assert gc.is_tracked(win.report) and id(win.report) not in walked


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pins processes to one CPU (Linux affinity)")
def test_probe_does_not_count_waiting_for_a_cpu_that_other_processes_keep_busy(qtbot):
    """Three busy processes share the UI thread's CPU: it waits for the CPU, but nothing blocks it."""
    from tools.lateness_probe import LatenessProbe

    if not LatenessProbe().separates_cpu_wait:
        pytest.skip("this kernel does not report per-thread CPU wait (/proc/.../schedstat)")
    cpu = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    burn = f"import os, time; os.sched_setaffinity(0, {{{cpu}}}); end = time.time() + 2.5\nwhile time.time() < end: pass"
    hogs = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(3)]
    try:
        os.sched_setaffinity(0, {cpu})  # this (the UI) thread only
        settle(qtbot, 0.3)
        stats = _measure(qtbot, 1.5)
    finally:
        os.sched_setaffinity(0, before)
        for hog in hogs:
            hog.wait(timeout=30)
    print("UI-thread lateness sharing its CPU with three busy processes:", json.dumps(stats))
    # The load was real: the UI thread waited for its CPU (a few ms on most of its ~300 wake-ups here; 0-2 ms
    # in all when idle).  Measured 89-110 ms; the bound only has to tell "loaded" from "idle".
    assert stats["cpu_wait_ms"] > 30, stats
    assert stats["blocked_max_ms"] < BLOCKED_LIMIT_MS, stats


def test_ui_thread_not_blocked_while_camera_and_training_run(make_window, qtbot, tmp_path, signs_model):
    from tools.lateness_probe import LatenessProbe
    from tools.videos import write_demo_video

    win = make_window(model_path=signs_model)
    idle = _measure(qtbot, 2.0)  # calibration: the same probe, the app idle, this machine's load as it is now
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
                 batches=tab.batches_seen - batches0, epochs=tab.epochs_seen, idle=idle,
                 training_start_up=warmup.stats(), load=os.getloadavg()[0])
    print("UI-thread lateness while camera + training run:", json.dumps(stats))
    (tmp_path / "lateness.json").write_text(json.dumps(stats))
    assert stats["frames"] > 50 and stats["predictions"] > 20 and stats["batches"] > 20
    assert_ui_thread_not_blocked(stats, idle)
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
