"""The square around a hand: its size rule and its smoothing."""

from __future__ import annotations

import numpy as np

from core.hands.crop import MARGIN, PALM_SPAN, SquareTracker, hand_square


def _hand(wrist, knuckle, spread):
    """21 landmarks: a wrist, a middle knuckle, and the rest spread around the knuckle."""
    rng = np.random.default_rng(0)
    p = np.asarray(knuckle, np.float32) + rng.uniform(-spread, spread, (21, 2)).astype(np.float32)
    p[0], p[9] = wrist, knuckle
    return np.concatenate([p, np.zeros((21, 1), np.float32)], axis=1)


def test_an_open_hand_is_framed_by_its_landmarks_and_a_fist_by_its_palm():
    open_hand = _hand((300, 300), (300, 240), 100)  # fingers spread far: the box sets the size
    cx, cy, side = hand_square(open_hand, 640, 480)
    box = (open_hand[:, :2].max(0) - open_hand[:, :2].min(0)).max()
    assert abs(side * 480 - box * MARGIN) < 1e-3
    fist = _hand((300, 300), (300, 240), 15)  # a fist: a small box, the same palm
    _, _, fist_side = hand_square(fist, 640, 480)
    assert abs(fist_side * 480 - 60 * PALM_SPAN) < 1e-3


def test_the_tracker_averages_small_moves_and_restarts_on_a_jump():
    s = SquareTracker(0.5)
    assert s.add((0.5, 0.5, 0.3)) == (0.5, 0.5, 0.3)
    assert s.add((0.52, 0.5, 0.3))[0] == 0.51
    assert s.add((0.9, 0.1, 0.3)) == (0.9, 0.1, 0.3)  # another hand: no sliding across the frame


def test_the_tracker_learns_a_steady_motion_and_predicts_it():
    s = SquareTracker(0.5, velocity_gain=0.3)
    assert s.predict(1) is None
    for i in range(30):  # the centre moves 0.01 a frame; a placing every third frame
        s.add((0.2 + 0.03 * i, 0.5, 0.3), frames=3)
    cx, cy, side = s.predict(2)
    assert abs(cx - (0.2 + 0.03 * 29 + 0.02)) < 2e-3 and abs(cy - 0.5) < 1e-9 and side == 0.3
    still = SquareTracker(0.5, velocity_gain=0.0)  # no velocity: a moving average that lags and holds
    for i in range(30):
        still.add((0.2 + 0.03 * i, 0.5, 0.3), frames=3)
    assert still.predict(2)[0] == still.predict(0)[0] < 0.2 + 0.03 * 29 - 0.02
