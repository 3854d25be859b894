"""Classify tab, driven for real: SIGNS images through a trained model, a video file through the
camera path, a missing or dying camera, pause, snapshot and "save as class N"."""

from __future__ import annotations

import time

import numpy as np

from tests.gui.conftest import settle, signs_test_images, wait_for


def _shown_class(win) -> str:
    return win.classify_tab.results.top_label.big.text()


def _step_through(qtbot, win, files):
    """Open ``files`` and visit each; return [(file, shown top class, shown probabilities)]."""
    c = win.classify
    c.open_paths(files)
    out = []
    for i, f in enumerate(files):
        if i:
            before = c.results_shown
            c.next_image()
        else:
            before = 0
        wait_for(qtbot, lambda b=before: c.results_shown > b)
        d = c.last_display
        shown = _shown_class(win) if not d.unsure else d.top_class
        out.append((f, shown, d.probabilities.copy(), win.classify_tab.results.bars.top))
    return out


def test_classify_signs_images_with_a_trained_model(make_window, qtbot, signs_dir, signs_model):
    """The top class on screen is what the model says for that file around its hand (checked independently here)."""
    from core.hands.finder import HandFinder
    from core.hands.reading import read_frame
    from core.images import read_image
    from core.inference.classifier import Classifier

    files = signs_test_images(signs_dir, 3)
    win = make_window(model_path=signs_model)
    win.classify_tab.results.threshold_slider.setValue(0)  # never "unsure": always show the class
    results = _step_through(qtbot, win, files)
    reference, finder = Classifier.load(signs_model), HandFinder()
    correct = 0
    for f, shown, probs, bar_top in results:
        expected = read_frame(reference, read_image(f), finder=finder, still=True).prediction
        assert expected is not None, f"no hand found in {f.name}"
        assert shown == expected.top_class, f.name
        assert bar_top == expected.top_index
        np.testing.assert_allclose(probs, expected.probabilities, atol=1e-4)
        correct += shown == f.name.split("_")[0]
    assert correct >= len(files) * 0.6, f"only {correct}/{len(files)} right: the small test model learned too little"
    assert "Image 18 of 18" in win.classify_tab.source_label.text()
    assert win.classify_tab.results.input_view._image.width() == 64


def test_classify_signs_with_the_shipped_model(make_window, qtbot, signs_dir, shipped_model):
    files = signs_test_images(signs_dir, 5)
    win = make_window(model_path=shipped_model)
    win.classify_tab.results.threshold_slider.setValue(0)
    results = _step_through(qtbot, win, files)
    right = sum(shown == f.name.split("_")[0] for f, shown, _, _ in results)
    assert right >= 0.9 * len(files), [(f.name, s) for f, s, _, _ in results]


def test_unsure_below_threshold(make_window, qtbot, signs_dir, signs_model):
    win = make_window(model_path=signs_model)
    win.classify.open_paths(signs_test_images(signs_dir, 1)[:1])
    wait_for(qtbot, lambda: win.classify.results_shown > 0)
    conf = win.classify.last_display.confidence
    win.classify_tab.results.threshold_slider.setValue(min(100, int(conf * 100) + 1))
    assert win.classify.last_display.unsure and win.classify_tab.results.top_label.big.text() == "?"
    assert "unsure" in win.classify_tab.results.top_label.small.text()
    win.classify_tab.results.threshold_slider.setValue(0)
    assert win.classify_tab.results.top_label.state == "sure"


def test_region_changes_what_the_model_sees(make_window, qtbot, signs_dir, signs_model):
    win = make_window(model_path=signs_model)
    win.set_find_hand(False)  # the user's box
    c = win.classify
    c.open_paths(signs_test_images(signs_dir, 1)[:1])
    wait_for(qtbot, lambda: c.results_shown > 0)
    full = win.classify_tab.results.input_view._image.copy()
    n = c.results_shown
    c.set_region((0.25, 0.25, 0.4))  # the top-left corner only
    wait_for(qtbot, lambda: c.results_shown > n)
    assert win.classify_tab.results.input_view._image != full
    region = c.pixel_region(c.current_image)
    assert (region.x, region.y, region.w, region.h) == (3, 3, 26, 26)  # 0.4 of 64 px, centred at 16


def test_video_file_plays_through_the_camera_path(make_window, qtbot, signs_video, signs_model):
    path, labels = signs_video
    win = make_window(model_path=signs_model)
    c = win.classify
    c.open_video(path)
    wait_for(qtbot, lambda: "end of video" in win.classify_tab.banner.text(), timeout=30_000)
    assert c.mode == "video" and win.frames.kind == "video"
    assert c.frames_shown >= len(labels) // 2  # the UI shows the newest frame, it may skip some
    assert c.results_shown >= 3
    assert win.classify_tab.frame_view.frame_size() == (320, 240)
    assert "fps" in win.classify_tab.results.rates_label.text() and "ms per inference" in win.classify_tab.results.rates_label.text()
    # "Play again" restarts it through the same path.
    shown = c.frames_shown
    win.classify_tab.banner.button.click()
    wait_for(qtbot, lambda: c.frames_shown > shown + 3)


def test_missing_camera_shows_a_message_and_retry(make_window, qtbot):
    win = make_window()
    win.classify.start_camera(7)
    wait_for(qtbot, lambda: win.classify_tab.banner.isVisible())
    text = win.classify_tab.banner.text()
    assert "camera 7 could not be opened" in text and "Retry" in win.classify_tab.banner.button.text()
    win.classify_tab.banner.hide()
    win.classify_tab.banner.button.click()  # Retry: same message again, no freeze
    wait_for(qtbot, lambda: win.classify_tab.banner.isVisible())
    assert "camera 7" in win.classify_tab.banner.text()
    assert not win.frames.running


def test_missing_camera_at_start_up(make_window, qtbot):
    """The default source is camera 0; on a machine without one the window says so."""
    win = make_window(start_source=True)
    wait_for(qtbot, lambda: "camera 0 could not be opened" in win.classify_tab.banner.text())


class _DyingCamera:
    """A 'webcam' that delivers 20 frames and then nothing: unplugged mid-stream."""

    name = "camera 0"
    is_live = True
    fps = 30.0

    def __init__(self):
        self.n = 0

    def open(self):
        pass

    def read(self):
        self.n += 1
        if self.n <= 20:
            time.sleep(0.01)
            return True, np.full((120, 160, 3), (self.n * 10) % 255, np.uint8)
        time.sleep(0.01)
        return False, None

    def close(self):
        pass


def test_camera_unplugged_mid_stream(make_window, qtbot, signs_model):
    win = make_window(model_path=signs_model, camera_factory=lambda index: _DyingCamera())
    win.classify.start_camera(0)
    wait_for(qtbot, lambda: win.classify.frames_shown > 5)
    wait_for(qtbot, lambda: "stopped delivering frames" in win.classify_tab.banner.text(), timeout=15_000)
    assert win.classify_tab.banner.button.text() == "Retry"
    assert win.classify_tab.frame_view.frame_size() != (0, 0) or "stopped" in win.classify_tab.frame_view.placeholder


def test_corrupt_image_is_a_message_and_the_next_one_works(make_window, qtbot, tmp_path, signs_dir, signs_model):
    bad = tmp_path / "0_broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    good = signs_test_images(signs_dir, 1)[0]
    win = make_window(model_path=signs_model)
    c = win.classify
    c.open_paths([bad, good])
    wait_for(qtbot, lambda: win.classify_tab.banner.isVisible())
    assert "0_broken.jpg" in win.classify_tab.banner.text()
    c.next_image()
    wait_for(qtbot, lambda: c.results_shown > 0)
    assert not win.classify_tab.banner.isVisible()


def test_damaged_model_is_a_message_and_the_app_keeps_running(make_window, qtbot, tmp_path, signs_model):
    bad = tmp_path / "damaged.keras"
    bad.write_bytes(signs_model.read_bytes()[:5000])
    win = make_window(model_path=signs_model)
    win.classify.load_model(bad)
    wait_for(qtbot, lambda: win.model_error is not None)
    assert "damaged.keras" in win.classify_tab.model_banner.text()
    assert win.classify.model_ready and win.classify.model_path == signs_model  # the old model stays in use


def test_pause_snapshot_and_save_as_class(make_window, qtbot, signs_video, signs_model, tmp_path):
    from core.paths import collected_dir, user_dir

    path, _ = signs_video
    win = make_window(model_path=signs_model)
    win.frames.loop_video = True
    c = win.classify
    c.open_video(path)
    wait_for(qtbot, lambda: c.results_shown > 2)
    win.pause_action.trigger()  # Space
    assert c.paused and win.classify_tab.source_bar.pause_button.text() == "Resume"
    n = c.frames_shown
    settle(qtbot, 0.4)
    assert c.frames_shown == n  # frozen on the current frame
    snap = c.snapshot()
    assert snap is not None and snap.exists() and snap.parent == user_dir() / "snapshots"
    saved = c.save_as_class("3")
    assert saved.parent == collected_dir() / "3" and saved.exists()
    assert win.collect_tab.counts()["3"] == 1
    win.pause_action.trigger()
    assert not c.paused
    wait_for(qtbot, lambda: c.frames_shown > n)


def test_drop_a_folder_steps_through_it(make_window, qtbot, tiny_signs_tree, signs_model):
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    win = make_window(model_path=signs_model)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tiny_signs_tree / "2"))])
    ev = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    win.classify_tab.dropEvent(ev)
    wait_for(qtbot, lambda: win.classify.results_shown > 0)
    assert win.classify.mode == "images" and len(win.classify.files) == 12
    assert "Image 1 of 12" in win.classify_tab.source_label.text()


# ---------------------------------------------------------------- the controller with the real tab, no worker


def _result(seq, probs, model_input=None):
    from core.inference.prediction import Prediction
    from gui.workers.inference import FrameResult

    return FrameResult("frame", seq, Prediction(np.array(probs, np.float32), ["a", "b"], 0.01), model_input)


def test_controller_smoothing_and_unsure_on_the_real_tab(lone_tab):
    from gui.workers.inference import FrameResult

    tab, c = lone_tab, lone_tab.controller
    c.mode = "camera"
    c.model_ready = True
    c.on_model_loaded(type("Report", (), {"path": None, "class_names": ["a", "b"]})())
    assert [b.text() for b in tab.results.class_buttons] == ["a", "b"]
    tab.results.set_smoothing_frames(2)
    tab.results.set_threshold_percent(70)
    assert c.smoother.n == 2 and c.threshold == 0.7
    c.on_result(_result(1, [0.9, 0.1], np.zeros((4, 4, 3), np.uint8)))
    assert c.last_display.top_class == "a" and not c.last_display.unsure
    assert tab.results.top_label.big.text() == "a" and tab.results.bars.top == 0
    c.on_result(_result(2, [0.3, 0.7], np.zeros((4, 4, 3), np.uint8)))
    np.testing.assert_allclose(c.last_display.probabilities, [0.6, 0.4], atol=1e-6)  # mean of the last 2
    assert c.last_display.unsure  # 0.6 < 0.7
    assert tab.results.top_label.big.text() == "?" and "best guess a (60%)" in tab.results.top_label.small.text()
    np.testing.assert_allclose(tab.results.bars.probabilities, [0.6, 0.4], atol=1e-6)
    c.on_result(_result(1, [0.0, 1.0]))
    assert c.results_shown == 2  # an older result arriving late is ignored
    assert tab.results.rates_label.text().endswith("\n10 ms per inference")  # the mean of 10 ms passes
    tab.results.set_threshold_percent(50)  # re-decides what is on screen
    assert tab.results.top_label.big.text() == "a"
    c.on_result(FrameResult("frame", 5, error=RuntimeError("boom")))
    assert "boom" in tab.model_banner.text() and not tab.banner.isVisible()


def test_controller_sends_only_the_newest_frame_while_busy(lone_tab):
    from core.camera import Frame

    c = lone_tab.controller
    c.mode, c.model_ready = "camera", True
    sent = []
    c.request_frame.connect(lambda img, region, seq, bgr, hands: sent.append(seq))
    for i in range(5):
        c.on_frame(Frame(np.full((48, 64, 3), i, np.uint8), i + 1))
    assert sent == [1]  # the worker is busy with frame 1; 2-4 were replaced by 5
    assert lone_tab.frame_view.frame_size() == (64, 48)
    c.on_worker_finished("frame")
    assert sent == [1, 5]
    c.on_worker_finished("frame")
    assert sent == [1, 5]


def test_the_tab_buttons_drive_the_controller(lone_tab, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    tab, c = lone_tab, lone_tab.controller
    assert not tab.source_bar.next_button.isEnabled()
    qtbot.mouseClick(tab.source_bar.pause_button, Qt.MouseButton.LeftButton)
    assert c.paused and tab.source_bar.pause_button.text() == "Resume"
    qtbot.mouseClick(tab.source_bar.pause_button, Qt.MouseButton.LeftButton)
    assert not c.paused and tab.source_bar.pause_button.text() == "Pause"
    qtbot.mouseClick(tab.source_bar.snapshot_button, Qt.MouseButton.LeftButton)  # nothing on screen yet
    assert "nothing to save yet" in tab.banner.text()
    statuses = []
    tab.status_message.connect(lambda text, ms: statuses.append(text))
    c.current_image, c.current_bgr = np.zeros((20, 30, 3), np.uint8), False
    assert c.snapshot(tmp_path) is not None and statuses and statuses[-1].startswith("Saved snapshot")
    files = []
    c.request_file.connect(lambda path, region, seq, hands: files.append(path))
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"")  # listed by name: decoding is the worker's job
    (folder / "b.png").write_bytes(b"")
    c.open_paths([folder])
    assert tab.source_bar.next_button.isEnabled() and files == [str(folder / "a.png")]
    qtbot.mouseClick(tab.source_bar.next_button, Qt.MouseButton.LeftButton)
    assert files[-1] == str(folder / "b.png") and "Image 2 of 2" in tab.source_label.text()
    qtbot.mouseClick(tab.source_bar.prev_button, Qt.MouseButton.LeftButton)
    assert files[-1] == str(folder / "a.png")
