"""The hand-finding pipeline on real photos: a hand, two hands, none, a hand at the edge, tracking."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from core.hands import models
from core.hands.finder import HandFinder
from core.hands.models import HandModelError, read_checked
from tests.hand_frames import paste, room, sld_photo


@pytest.fixture(scope="module")
def finder():
    return HandFinder()


@pytest.fixture
def hand_photo(sld_dir):
    return sld_photo(sld_dir, 2)  # 100 x 100, one hand showing 2


def test_finds_the_hand_in_a_photo_and_frames_it_like_training(finder, hand_photo):
    hand = finder.find_in_image(hand_photo)
    assert hand is not None and hand.presence > 0.9
    assert hand.landmarks.shape == (21, 3)
    r = hand.region
    assert r.w == r.h and r.w >= 60  # the square around a hand that fills the photo is most of it


def test_no_hand_in_empty_frames(finder):
    for frame in (np.zeros((480, 640, 3), np.uint8), np.full((480, 640, 3), 200, np.uint8), room()):
        assert finder.find_in_image(frame) is None
        finder.reset()
        assert finder.find(frame) is None


def test_finds_a_hand_in_a_cluttered_room_and_tracks_it(finder, hand_photo):
    finder.reset()
    empty = room(seed=1)
    frames = [paste(empty, hand_photo, 200 + 8 * i, 120, 220) for i in range(6)]
    finder.track_every = 1  # the landmark model on every frame: each one is placed from the one before
    hands = [finder.find(f) for f in frames]
    assert all(h is not None for h in hands)
    assert not hands[0].tracked and all(h.tracked for h in hands[1:])
    # the square follows the hand: its centre moves right with it, and stays on it
    centres = [h.region.x + h.region.w / 2 for h in hands]
    assert centres[-1] > centres[0] + 15
    assert all(200 <= c <= 480 for c in centres)
    assert finder.find(empty) is None  # the hand leaves: no hand, and the tracker lets go
    finder.track_every = 2


def test_between_landmark_frames_the_square_moves_on_with_the_hand_and_a_lost_hand_is_noticed(hand_photo):
    finder = HandFinder(track_every=3)
    empty = room(seed=5)
    frames = [paste(empty, hand_photo, 200 + 8 * i, 120, 220) for i in range(9)]
    hands = [finder.find(f) for f in frames]
    assert all(h is not None for h in hands)
    placed = [0, 3, 6]  # the landmark model ran on these frames; the others carry its landmarks on with the square
    for i, h in enumerate(hands):
        if i not in placed:
            last = hands[i - i % 3]
            moved = np.array([(h.square[0] - last.square[0]) * 640, (h.square[1] - last.square[1]) * 480, 0])
            np.testing.assert_allclose(h.landmarks, last.landmarks + moved, atol=1e-3)
    cx = [h.square[0] for h in hands]
    assert cx[1] == cx[2] == cx[0]  # one placing: no velocity yet, the square holds
    assert cx[6] > cx[3] > cx[0]
    assert cx[4] > cx[3] and cx[5] > cx[4] and cx[7] > cx[6] and cx[8] > cx[7]  # moving on with the hand
    assert all(h.region.w == h.region.h and h.region.x >= 0 and h.region.x + h.region.w <= 640 for h in hands)
    answers = [finder.find(empty) for _ in range(3)]  # the hand leaves: noticed within track_every frames
    assert answers[-1] is None


def test_with_no_velocity_gain_the_square_holds_between_placings(hand_photo):
    finder = HandFinder(track_every=3, velocity_gain=0.0)  # the tracker before 2026-12-04
    empty = room(seed=5)
    hands = [finder.find(paste(empty, hand_photo, 200 + 8 * i, 120, 220)) for i in range(6)]
    assert hands[4].square == hands[5].square == hands[3].square


def test_two_hands_the_nearer_one_wins(finder, hand_photo):
    frame = paste(paste(room(seed=2), hand_photo, 40, 200, 150), hand_photo, 360, 100, 220)
    hand = finder.find_in_image(frame)
    assert hand is not None
    assert hand.region.x + hand.region.w / 2 > 360  # the bigger hand, on the right


def test_a_hand_at_the_edge_gets_a_square_inside_the_frame(finder, hand_photo):
    frame = paste(room(seed=3), hand_photo, 640 - 170, 100, 220)  # a quarter of it outside
    hand = finder.find_in_image(frame)
    assert hand is not None
    r = hand.region
    assert r.x >= 0 and r.y >= 0 and r.x + r.w <= 640 and r.y + r.h <= 480
    assert r.x + r.w == 640  # pushed against the edge, not cut


def test_a_damaged_hand_model_is_refused(tmp_path):
    bad = tmp_path / models.PALM_MODEL
    shutil.copy(models.hand_model_path(models.PALM_MODEL), bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 16)
    with pytest.raises(HandModelError, match="damaged"):
        read_checked(bad)
    with pytest.raises(HandModelError, match="cannot be read"):
        read_checked(tmp_path / "missing.tflite", models.PALM_MODEL)


def test_a_small_hand_in_a_big_frame_is_found_in_a_search_window(finder, hand_photo):
    frame = paste(room(seed=4), hand_photo, 470, 300, 140)  # a hand a fifth of the frame's height, bottom right
    hand = finder.find_in_image(frame)
    assert hand is not None
    r = hand.region
    assert 470 <= r.x + r.w / 2 <= 610 and 300 <= r.y + r.h / 2 <= 440


def test_search_windows_cover_big_frames_and_leave_small_photos_whole():
    from core.hands.finder import search_windows

    assert search_windows(64, 64) == [(0, 0, 0)]
    windows = search_windows(640, 480)
    assert windows[0] == (0, 0, 0) and (0, 0, 480) in windows and (160, 0, 480) in windows
    assert all(x + s <= 640 and y + s <= 480 for x, y, s in windows[1:])


def test_a_tiny_hand_in_a_still_image_is_found_in_the_small_windows(finder, hand_photo):
    # A hand 40 pixels across in a cluttered 640 x 480 room (a person a few metres away): the video's
    # windows miss it, the still image's small ones find it, and the square sits on it.
    frame = paste(room(seed=4), hand_photo, 300, 200, 40)
    assert HandFinder(fine_presence=None).find_in_image(frame) is None
    hand = finder.find_in_image(frame)
    assert hand is not None and hand.presence >= finder.fine_presence
    r = hand.region
    assert 300 <= r.x + r.w / 2 <= 340 and 200 <= r.y + r.h / 2 <= 240 and r.w < 80


def test_fine_windows_overlap_by_half_and_leave_small_photos_untiled():
    from core.hands.finder import FINE_TILES, fine_windows

    assert fine_windows(100, 100) == [] and fine_windows(64, 64) == []
    windows = fine_windows(640, 480)
    assert {s for _, _, s in windows} == {int(480 * t) for t in FINE_TILES}
    assert all(x + s <= 640 and y + s <= 480 for x, y, s in windows)
    for side in {s for _, _, s in windows}:
        # every hand up to half a window across lies wholly inside one window
        for starts, length in (({x for x, _, s in windows if s == side}, 640), ({y for _, y, s in windows if s == side}, 480)):
            starts = sorted(starts)
            assert starts[0] == 0 and starts[-1] == length - side
            assert max(np.diff(starts)) <= side // 2


def test_a_far_hand_in_a_video_is_found_in_the_small_windows_within_120_frames(hand_photo):
    # A hand 50 pixels across in a cluttered room, as a webcam sees a student at the back: the usual video
    # windows never find it; after one round of them, the small ones, one every fourth frame, do.
    frame = paste(room(seed=4), hand_photo, 300, 200, 50)
    before = HandFinder(video_fine_tiles=())
    assert all(before.find(frame) is None for _ in range(120))
    finder = HandFinder()
    found = next((i for i in range(120) if finder.find(frame) is not None), None)
    assert found is not None, "not found in 120 frames"
    hand = finder.find(frame)  # followed from here on
    assert hand is not None and hand.presence >= finder.presence
    r = hand.region
    assert 300 <= r.x + r.w / 2 <= 350 and 200 <= r.y + r.h / 2 <= 250 and r.w < 100
    empty = room(seed=4)
    finder.reset()
    assert all(finder.find(empty) is None for _ in range(120))  # the same room without the hand: never a hand


def test_a_video_search_takes_one_window_a_frame_the_usual_ones_first_and_visits_every_window():
    from core.hands.finder import fine_windows, search_windows

    finder = HandFinder()
    frame = np.zeros((480, 640, 3), np.uint8)
    asked = [finder._video_windows(frame) for _ in range(120)]
    assert all(len(windows) == 1 for windows, _ in asked)
    assert all(asked[i] == ([(0, 0, 0)], False) for i in range(0, 120, 2))  # the whole frame every other frame
    usual = [w[0] for w, is_small in asked if not is_small]
    small = [w[0] for w, is_small in asked if is_small]
    # first a round of the usual windows alone (a nearer hand is found as soon as without the small ones)
    assert not any(is_small for _, is_small in asked[:24])
    assert {w[0] for w, _ in asked[:24]} == set(search_windows(640, 480))
    assert set(usual) == set(search_windows(640, 480)) and set(small) == set(fine_windows(640, 480, (0.4,)))
    assert len(small) == 24 == len(set(small))  # then one in every fourth frame, each once in 120 frames
