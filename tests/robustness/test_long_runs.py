"""Long runs: 10,000 frames through the camera path with memory, threads and file handles measured, a
soak of the live Classify tab, and two trainings back to back in one app session."""

from __future__ import annotations

import threading
import time

import numpy as np
import psutil
import pytest

from core.camera import FrameGrabber, VideoFileSource
from tests.conftest import tiny_builder
from tests.gui.conftest import wait_for
from tools.videos import write_test_video

MB = 1024 * 1024


def usage() -> dict:
    proc = psutil.Process()
    return {"rss_mb": proc.memory_info().rss / MB, "fds": proc.num_fds(), "threads": proc.num_threads(),
            "py_threads": threading.active_count()}


def settled_usage(start: dict, seconds: float = 3.0) -> dict:
    """``usage()`` once the OS threads of just-joined threads are gone (their teardown, e.g. TensorFlow
    Lite's thread-local cleanup, can take a few milliseconds after ``join``); a real leak stays."""
    end = time.monotonic() + seconds
    now = usage()
    while now["threads"] > start["threads"] and time.monotonic() < end:
        time.sleep(0.05)
        now = usage()
    return now


@pytest.fixture
def loop_video(tmp_path):
    """60 frames of 320x240 (a moving hand-sized blob), MJPG, looped by the tests."""
    frames = []
    for i in range(60):
        f = np.full((240, 320, 3), 40, np.uint8)
        f[60:180, 40 + 3 * i : 160 + 3 * i] = (200, 160, 120)
        frames.append(f)
    return write_test_video(tmp_path / "loop.avi", frames, fps=120)  # the Classify tab plays it at 120 fps


class Counter:
    """Classifies every frame on the frame thread (the classifier is handed to that thread and used only there)."""

    def __init__(self, clf, target, marks=(1_000, 5_000)):
        self.clf, self.target, self.marks = clf, target, set(marks)
        self.n, self.samples, self.done = 0, {}, threading.Event()
        self.classes = np.zeros(6, np.int64)
        self.bad = 0

    def on_frame(self, frame):
        if self.n >= self.target:
            return
        p = self.clf.classify_frame(frame.image, bgr=True)
        self.classes[p.top_index] += 1
        self.bad += not np.isfinite(p.probabilities).all()
        self.n += 1
        if self.n in self.marks:
            self.samples[self.n] = usage()
        if self.n >= self.target:
            self.done.set()

    def on_end(self):
        self.done.set()

    def on_error(self, error):
        self.done.set()


def _run(clf, video, target, marks=()):
    rec = Counter(clf, target, marks)
    grabber = FrameGrabber(VideoFileSource(video, loop=True, realtime=False), rec).start()
    assert rec.done.wait(600)
    assert grabber.stop()
    assert grabber.error is None, grabber.error
    return rec


def test_10000_frames_memory_stays_flat_and_nothing_leaks(good_model, loop_video):
    from core.inference.classifier import Classifier

    clf = Classifier.load(good_model)
    clf.warm_up()
    _run(clf, loop_video, 500)  # warm up: first allocations, TensorFlow's pools, the codec
    start = usage()
    t0 = time.perf_counter()
    rec = _run(clf, loop_video, 10_000, marks=(1_000, 5_000))
    seconds = time.perf_counter() - t0
    end = settled_usage(start)
    mid1, mid5 = rec.samples[1_000], rec.samples[5_000]
    print(f"\n10,000 frames in {seconds:.1f} s ({10_000 / seconds:.0f} frames/s): RSS start {start['rss_mb']:.1f} MB, "
          f"after 1,000 {mid1['rss_mb']:.1f} MB, after 5,000 {mid5['rss_mb']:.1f} MB, end {end['rss_mb']:.1f} MB; "
          f"fds {start['fds']} -> {end['fds']}; threads {start['threads']} -> {end['threads']} "
          f"(Python {start['py_threads']} -> {end['py_threads']})")
    assert rec.n == 10_000 and rec.bad == 0
    assert rec.classes.sum() == 10_000
    # Flat: no per-frame growth (a leak of 2 KB per frame would be 18 MB between frame 1,000 and 10,000).
    assert end["rss_mb"] - mid1["rss_mb"] < 12, "memory grows with every frame"
    assert end["rss_mb"] - start["rss_mb"] < 40
    # No growth (a thread started by an earlier test may end meanwhile, so fewer is fine).
    assert end["fds"] <= start["fds"], "a file handle leaked"
    assert end["threads"] <= start["threads"] and end["py_threads"] <= start["py_threads"], "a thread leaked"


def test_live_classify_tab_soak(make_window, qtbot, good_model, loop_video):
    """The Classify tab on a looping video for 1,000 frames: memory, threads and handles flat."""
    win = make_window(model_path=good_model)
    c = win.classify
    win.frames.loop_video = True
    c.open_video(loop_video)
    wait_for(qtbot, lambda: c.results_shown > 100, timeout=60_000)  # warmed up
    c.frames.stop()
    qtbot.wait(200)
    start, shown0, t0 = usage(), c.results_shown, time.perf_counter()
    c.open_video(loop_video)
    wait_for(qtbot, lambda: c.results_shown > shown0 + 1_000, timeout=300_000)
    c.frames.stop()
    qtbot.wait(200)
    end = usage()
    n = c.results_shown - shown0
    print(f"\nClassify tab: {n} frames classified and shown in {time.perf_counter() - t0:.1f} s; RSS "
          f"{start['rss_mb']:.1f} -> {end['rss_mb']:.1f} MB; fds {start['fds']} -> {end['fds']}; "
          f"threads {start['threads']} -> {end['threads']}")
    assert end["rss_mb"] - start["rss_mb"] < 40
    assert end["fds"] <= start["fds"] and end["threads"] <= start["threads"]
    assert not win.classify_tab.banner.isVisible()


def _wait_for_run(qtbot, tab, number: int) -> None:
    """Wait for a tiny run (seconds alone); a timeout says where it stopped: the log, the child processes."""
    from pytestqt.exceptions import TimeoutError as QtTimeout

    try:
        wait_for(qtbot, lambda: not tab.running and tab.outcome is not None, timeout=180_000)
    except QtTimeout:
        kids = [(p.pid, p.status(), " ".join(p.cmdline())[:120]) for p in psutil.Process().children(recursive=True)]
        pytest.fail(f"run {number} did not end in 180 s: running={tab.running}, outcome={tab.outcome}, "
                    f"batches seen {tab.batches_seen}, epochs seen {tab.epochs_seen}; children {kids}; "
                    f"log:\n{tab.log_view.toPlainText()}")


def test_two_trainings_back_to_back_in_one_session_give_the_same_result(make_window, qtbot, signs_dir, good_model):
    before = {p.pid for p in psutil.Process().children()}  # an earlier test's leftover is that test's failure
    win = make_window(model_path=good_model)
    tab = win.train_tab
    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(3)
    tab.batch_size.setValue(16)
    tab.learning_rate.setValue(0.003)
    tab.augment.setChecked(False)
    tab.max_per_class.setValue(16)
    tab.seed.setValue(11)
    runs, marks = [], []
    for _ in range(2):
        assert tab.start_training()
        _wait_for_run(qtbot, tab, len(runs) + 1)
        # The outcome is shown at once; the worker then waits for the child to exit (it terminates one
        # that will not, after 60 s) and lets go of it.  Only after that is a child still there left behind.
        wait_for(qtbot, lambda: tab.controller.worker.process is None, timeout=90_000)
        runs.append(tab.outcome.result)
        marks.append(usage())
    a, b = runs
    assert a.status == b.status == "completed" and a.model_path != b.model_path
    la = [(m.loss, m.accuracy, m.val_loss, m.val_accuracy) for m in a.history]
    lb = [(m.loss, m.accuracy, m.val_loss, m.val_accuracy) for m in b.history]
    print(f"\nrun 1 epochs {la}\nrun 2 epochs {lb}\ntest accuracy {a.test_report['accuracy']:.4f} / "
          f"{b.test_report['accuracy']:.4f}; after run 1 {marks[0]}, after run 2 {marks[1]}")
    np.testing.assert_allclose(np.array(la, float), np.array(lb, float), rtol=1e-4, atol=1e-5)
    assert a.test_report["accuracy"] == b.test_report["accuracy"]
    assert a.test_report["confusion_matrix"] == b.test_report["confusion_matrix"]
    assert marks[1]["fds"] <= marks[0]["fds"] and marks[1]["py_threads"] <= marks[0]["py_threads"]
    left = [p for p in psutil.Process().children()
            if p.pid not in before and "resource_tracker" not in " ".join(p.cmdline())]
    assert not left, f"a training process was left behind: {[p.cmdline() for p in left]}"
