"""Finding the hand in the Classify and Collect tabs, driven for real: a Sign Language Digits hand pasted
into a cluttered room, played through cv2.VideoCapture or opened as a picture; "no hand" as an answer;
the Find hand toggle (default, Ctrl+H, saved, off = the user's box); a damaged hand model."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.conftest import write_image
from tests.gui.conftest import close_window, wait_for
from tests.hand_frames import paste, room, sld_photo


def _centre(region):
    return region.x + region.w / 2, region.y + region.h / 2


def _shown(win):
    return win.classify_tab.results.top_label


# ---------------------------------------------------------------- the toggle


def test_find_hand_is_on_by_default_and_is_saved(make_window, qtbot):
    win = make_window(background=False)
    action, classify, collect = win.find_hand_action, win.classify_tab, win.collect_tab
    assert action.isChecked() and action.shortcut().toString() == "Ctrl+H"
    assert classify.source_bar.find_hand_button.isChecked() and collect.capture.find_hand_button.isChecked()
    assert win.classify.find_hands and collect.controller.find_hands
    assert classify.frame_view.follow_hand and collect.preview.follow_hand
    action.trigger()  # Ctrl+H: off everywhere
    assert not classify.source_bar.find_hand_button.isChecked() and not collect.capture.find_hand_button.isChecked()
    assert not win.classify.find_hands and not collect.controller.find_hands and not classify.frame_view.follow_hand
    close_window(qtbot, win)

    win = make_window(background=False)  # the next start: still off
    assert not win.find_hand_action.isChecked() and not win.classify.find_hands
    assert not win.collect_tab.capture.find_hand_button.isChecked() and not win.collect_tab.preview.follow_hand
    win.collect_tab.capture.find_hand_button.click()  # on again from the Collect tab: the window follows
    assert win.find_hand_action.isChecked() and win.classify.find_hands
    assert win.classify_tab.source_bar.find_hand_button.isChecked()
    close_window(qtbot, win)
    assert make_window(background=False).find_hand_action.isChecked()


# ---------------------------------------------------------------- Classify


def test_the_box_follows_the_hand_through_a_video(make_window, qtbot, tmp_path, sld_dir, signs_model):
    from tools.videos import write_test_video

    empty = room(seed=1)
    xs = list(range(40, 380, 17))  # 20 frames: the hand moves right across a cluttered room
    video = write_test_video(tmp_path / "hand.avi", [paste(empty, sld_photo(sld_dir, 2), x, 140, 220) for x in xs],
                             fps=10)
    win = make_window(model_path=signs_model)
    got = []
    win.worker.result_ready.connect(got.append)
    c, view = win.classify, win.classify_tab.frame_view
    c.open_video(video)
    wait_for(qtbot, lambda: "end of video" in win.classify_tab.banner.text())
    wait_for(qtbot, lambda: not c.busy)
    frames = [r for r in got if r.kind == "frame"]
    hands = [r.hand for r in frames if r.hand is not None]
    assert len(frames) >= 5 and len(hands) >= len(frames) - 2, f"{len(hands)} hands in {len(frames)} frames"
    centres = [_centre(h.region) for h in hands]
    assert centres[-1][0] > centres[0][0] + 150  # it went right with the hand
    assert all(40 <= x <= 380 + 220 and 140 <= y <= 140 + 220 for x, y in centres)  # and stayed on it
    assert all(h.region.w == h.region.h for h in hands)
    # The view draws the square the classifier saw (with the landmarks), not the user's box.
    last = frames[-1]
    assert view.follow_hand and view.hand_state == "found" and view.hand_region() == last.region == last.hand.region
    assert _shown(win).state in ("sure", "unsure") and win.classify_tab.results.bars.isEnabled()


def test_a_picture_without_a_hand_says_no_hand_and_greys_the_bars(make_window, qtbot, tmp_path, sld_dir,
                                                                  signs_model):
    from core.paths import collected_dir

    empty = room(seed=4)
    files = [write_image(tmp_path / "1-room.png", empty),
             write_image(tmp_path / "2-hand.png", paste(empty, sld_photo(sld_dir, 2), 380, 180, 220))]
    win = make_window(model_path=signs_model)
    c, tab = win.classify, win.classify_tab
    top, bars = tab.results.top_label, tab.results.bars
    c.open_paths(files)
    wait_for(qtbot, lambda: c.results_shown > 0)
    assert top.big.text() == "no hand" and top.state == "nohand" and "no hand" in top.small.text()
    assert not bars.isEnabled() and not bars.probabilities.any() and bars.top == -1
    assert tab.results.input_view._image is None and c.last_display is None
    assert tab.frame_view.hand_state == "none" and tab.frame_view.hand_region() is None
    assert c.save_as_class("2") is None and "no hand" in tab.banner.text()  # nothing is saved
    assert not (collected_dir() / "2").exists()
    c.next_image()
    wait_for(qtbot, lambda: c.results_shown > 1)
    assert top.state in ("sure", "unsure") and top.big.text() != "no hand"
    assert bars.isEnabled() and bars.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    r = tab.frame_view.hand_region()
    assert r is not None and 380 <= _centre(r)[0] <= 600 and 180 <= _centre(r)[1] <= 400
    saved = c.save_as_class("2")  # "this is wrong": the hand's square is what is saved
    assert saved is not None and saved.parent == collected_dir() / "2"


def test_with_a_hand_shape_head_the_bars_combine_both_opinions_and_say_each(make_window, qtbot, tmp_path, sld_dir,
                                                                            signs_model):
    from core.hands.shape import ENTRY, combine
    from core.images import read_image
    from core.model.files import replace_entries
    from core.training.shape_fit import fit_shape_head, landmarks_of

    photos = [(c, f) for c in range(6) for f in sorted((sld_dir / str(c)).glob("*.JPG"))[:6]]
    marks = landmarks_of(np.stack([read_image(f) for _, f in photos]))
    head = fit_shape_head(marks, np.array([c for c, _ in photos]), [str(i) for i in range(6)])
    model = shutil.copy(signs_model, tmp_path / "with_head.keras")
    replace_entries(model, {ENTRY: head.to_bytes()})
    empty = room(seed=4)
    files = [write_image(tmp_path / "1-hand.png", paste(empty, sld_photo(sld_dir, 4), 380, 180, 220)),
             write_image(tmp_path / "2-room.png", empty)]
    win = make_window(model_path=model)
    c, results = win.classify, win.classify_tab.results
    got = []
    win.worker.result_ready.connect(got.append)
    c.open_paths(files)
    wait_for(qtbot, lambda: c.results_shown > 0)
    p = got[-1].prediction
    assert p.shape_probabilities is not None
    np.testing.assert_allclose(results.bars.probabilities, combine(p.image_probabilities, p.shape_probabilities),
                               atol=1e-5)
    label = results.opinions_label
    assert label.isVisible() and label.text().startswith("Network: ") and "  ·  Hand shape: " in label.text()
    assert f"Hand shape: {p.class_names[int(p.shape_probabilities.argmax())]} (" in label.text()
    win.grab().save(str(tmp_path / "opinions.png"))
    c.next_image()  # no hand: no opinions either
    wait_for(qtbot, lambda: c.results_shown > 1)
    assert results.top_label.state == "nohand" and not label.isVisible()


def _result(seq, probs=None, **kw):
    from core.inference.prediction import Prediction
    from gui.workers.inference import FrameResult

    pred = None if probs is None else Prediction(np.array(probs, np.float32), ["a", "b"], 0.01)
    return FrameResult("frame", seq, pred, None if probs is None else np.zeros((4, 4, 3), np.uint8), **kw)


def test_no_hand_starts_the_smoothing_again(lone_tab):
    tab, c = lone_tab, lone_tab.controller
    c.mode, c.model_ready = "camera", True
    c.on_model_loaded(type("Report", (), {"path": None, "class_names": ["a", "b"]})())
    tab.results.set_smoothing_frames(3)
    c.on_result(_result(1, [0.9, 0.1]))
    c.on_result(_result(2, [0.7, 0.3]))
    np.testing.assert_allclose(c.last_display.probabilities, [0.8, 0.2], atol=1e-6)
    c.on_result(_result(3, no_hand=True))
    assert tab.results.top_label.big.text() == "no hand" and "camera" in tab.results.top_label.small.text()
    assert not tab.results.bars.isEnabled()
    c.on_result(_result(4, [0.2, 0.8]))
    np.testing.assert_allclose(c.last_display.probabilities, [0.2, 0.8], atol=1e-6)  # not mixed with before
    assert tab.results.top_label.big.text() == "b" and tab.results.bars.isEnabled()


def test_find_hand_off_brings_back_the_users_box(make_window, qtbot, tmp_path, sld_dir, signs_model):
    from PySide6.QtCore import QPoint, Qt

    empty = room(seed=5)
    with_hand = paste(empty, sld_photo(sld_dir, 3), 400, 200, 220)
    files = [write_image(tmp_path / "1-hand.png", with_hand), write_image(tmp_path / "2-room.png", empty)]
    win = make_window(model_path=signs_model)
    c, view = win.classify, win.classify_tab.frame_view
    c.open_paths(files)
    wait_for(qtbot, lambda: c.results_shown > 0)
    hand_region = c.seen[2]
    assert view.hand_region() == hand_region and _centre(hand_region)[0] > 400
    moved = []
    view.region_changed.connect(moved.append)
    ir = view._image_rect()
    left = QPoint(int(ir.x() + ir.width() * 0.05), int(ir.center().y()))  # on the picture, outside any box
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=left)
    assert not moved  # the mouse does not move the hand's square
    n = c.results_shown
    win.find_hand_action.trigger()  # Ctrl+H
    assert not view.follow_hand and view.hand_region() is None
    wait_for(qtbot, lambda: c.results_shown > n)
    assert c.seen[2] is None and c.seen[0] is c.current_image  # read again as it opens: the centre square
    assert tuple(c.region_norm()) == (0.5, 0.5, 1.0)
    n = c.results_shown
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=left)
    assert moved  # the box moves with the mouse again (to the left edge), and the model sees where it went
    wait_for(qtbot, lambda: c.results_shown > n)
    assert c.seen[2] == c.pixel_region(with_hand) and c.seen[2].x == 0
    n = c.results_shown
    c.next_image()  # no hand in it, but the box is classified: a class, not "no hand"
    wait_for(qtbot, lambda: c.results_shown > n)
    assert _shown(win).state in ("sure", "unsure") and win.classify_tab.results.bars.isEnabled()


def test_a_damaged_hand_model_turns_finding_off_with_one_message(make_window, qtbot, tmp_path, monkeypatch,
                                                                 sld_dir, signs_model):
    from PySide6.QtWidgets import QApplication, QMessageBox

    from core.hands import models

    folder = tmp_path / "hands"
    folder.mkdir()
    for name in (models.PALM_MODEL, models.LANDMARK_MODEL):
        shutil.copy(models.hand_model_path(name), folder / name)
    with open(folder / models.PALM_MODEL, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 16)
    monkeypatch.setattr(models, "hand_model_path", lambda name: folder / name)
    picture = write_image(tmp_path / "hand.png", paste(room(seed=7), sld_photo(sld_dir, 2), 200, 150, 220))
    win = make_window(model_path=signs_model)
    c = win.classify
    c.open_paths([picture])
    wait_for(qtbot, lambda: win.hands_box is not None)
    box = win.hands_box
    assert "damaged" in box.text() and box.isVisible() and not box.isModal()
    assert not win.find_hand_action.isChecked() and not c.find_hands and not win.collect_tab.controller.find_hands
    wait_for(qtbot, lambda: c.last_display is not None)  # the picture is classified in the user's box
    assert _shown(win).state in ("sure", "unsure") and not win.classify_tab.frame_view.follow_hand
    win.find_hand_action.trigger()  # on again: it tries again, fails again, and says so in the status bar only
    assert c.find_hands
    wait_for(qtbot, lambda: not win.find_hand_action.isChecked())
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes == [box] and "Hand finding is off" in win.statusBar().currentMessage()
    assert win.find_hand_wanted  # the saved choice stays on: a repaired install finds hands again


# ---------------------------------------------------------------- Collect


def test_collect_saves_the_hand_and_nothing_without_one(make_window, qtbot, tmp_path, sld_dir, signs_model):
    import cv2

    from core.data.datasets import load_dataset
    from core.hands.finder import HandFinder
    from core.images import read_image
    from core.paths import collected_dir
    from tools.videos import write_test_video

    empty = room(seed=6)
    with_hand = paste(empty, sld_photo(sld_dir, 4), 20, 200, 240)  # at the left: the centre box misses most of it
    video = write_test_video(tmp_path / "collect.avi", [empty] * 15 + [with_hand] * 40, fps=10)
    win = make_window(model_path=signs_model)
    tab = win.collect_tab
    win.tabs.setCurrentWidget(tab)
    win.classify.open_video(video)
    wait_for(qtbot, lambda: tab.latest is not None)
    tab.select_class("4")
    assert tab.start_burst(count=3, countdown=0, interval_ms=100)
    wait_for(qtbot, lambda: "No hand in view" in tab.status.text())
    assert not (collected_dir() / "4").exists() and tab.preview.hand_state == "none"
    wait_for(qtbot, lambda: not tab.capturing, timeout=30_000)
    files = sorted((collected_dir() / "4").glob("*.jpg"))
    assert len(files) == 3 and "saved 3 samples" in tab.status.text()
    assert tab.preview.hand_state == "found"
    # Each sample is the hand's square (what the classifier sees), not the user's centre box.
    hand = HandFinder().find_in_image(with_hand).region
    h, w = with_hand.shape[:2]
    side = int(0.8 * h)
    boxes = {"hand": with_hand[hand.y:hand.y + hand.h, hand.x:hand.x + hand.w],
             "centre": with_hand[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2]}
    for f in files:
        sample = read_image(f)
        assert sample.shape[0] == sample.shape[1]
        diff = {k: np.abs(cv2.resize(v, sample.shape[1::-1]).astype(int) - sample).mean() for k, v in boxes.items()}
        assert diff["hand"] < 20 and diff["hand"] < diff["centre"] / 2, diff
    win.find_hand_action.trigger()  # off: the user's box is saved, hand or not
    tab.select_class("1")
    assert tab.start_burst(count=1, countdown=0, interval_ms=50)
    wait_for(qtbot, lambda: not tab.capturing)
    ds = load_dataset(collected_dir(), test_split=0.0, val_split=0.0)  # what training reads
    assert ds.class_names == ["1", "4"] and len(ds.train) == 4
