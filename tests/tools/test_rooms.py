"""The synthetic room crops: several draws stack into one split whose first draw is the single draw."""
from __future__ import annotations

import numpy as np

from core.data.scenes import SceneBank
from core.data.splits import Split
from tools.recipes import build_parser, recipe_command, ship_settings
from tools.rooms import PlainWalls, room_crops, room_frames


def _hands(n=6):
    x = np.full((n, 64, 64, 3), 235, np.uint8)  # a pale wall...
    x[:, 16:56, 24:40] = (170, 120, 100)  # ...and a hand-coloured block
    return Split(x, np.arange(n) % 6, [f"h{i}.jpg" for i in range(n)])


def _bank():
    rng = np.random.default_rng(1)
    return SceneBank([rng.integers(0, 255, (96, 128, 3), dtype=np.uint8) for _ in range(3)])


def test_draws_stack_and_the_first_draw_is_the_single_draw():
    hands = _hands()
    one = room_crops(hands, _bank(), seed=11)
    three = room_crops(hands, _bank(), seed=11, draws=3)
    assert len(one) == len(hands) and len(three) == 3 * len(hands)
    np.testing.assert_array_equal(three.x[:len(hands)], one.x)
    np.testing.assert_array_equal(three.y, np.tile(hands.y, 3))
    assert three.files == hands.files * 3
    assert not np.array_equal(three.x[len(hands):2 * len(hands)], one.x)  # another draw: other backgrounds
    # The hand stays in front (only a colour cast of up to 15 %); the wall becomes the photos.
    hand = np.abs(one.x[:, 28:44, 29:35].astype(float) - hands.x[:, 28:44, 29:35]).mean()
    wall = np.abs(one.x[:, 2:10, 2:10].astype(float) - hands.x[:, 2:10, 2:10]).mean()
    assert hand < 30 < wall, (hand, wall)


def test_room_draws_reach_the_rerun_command_and_score_defaults_to_eight():
    a = build_parser().parse_args(["ship", "--data", "D", "--backgrounds", "B", "--room-draws", "8"])
    assert recipe_command(a, ship_settings(a)).endswith("--backgrounds B --room-draws 8")
    b = build_parser().parse_args(["ship", "--data", "D", "--backgrounds", "B"])
    assert recipe_command(b, ship_settings(b)).endswith("--backgrounds B")
    assert build_parser().parse_args(["score", "m.keras", "--data", "D"]).room_draws == 8


def test_plain_walls_are_plain_and_differ():
    walls = PlainWalls(n=6, seed=5).photos
    assert len(walls) == 6 and all(w.shape == (480, 640, 3) and w.dtype == np.uint8 for w in walls)
    for w in walls:
        patch = w[200:264, 300:364].astype(float)
        assert patch.std(axis=(0, 1)).max() < 8  # a painted wall: noise, no texture
    means = np.array([w.mean(axis=(0, 1)) for w in walls])
    assert np.ptp(means, axis=0).max() > 20  # other paints and light


def test_plain_wall_frames_find_small_real_hands(sld_dir):
    from tools.recipes import load_sld

    people = load_sld(sld_dir).val
    some = Split(people.x[:12], people.y[:12], people.files[:12])
    framed, missed = room_frames(some, PlainWalls(n=4), sides=(100, 180))
    assert framed.x.shape == (12, 64, 64, 3) and missed == int(np.sum(framed.y == -1))
    assert missed <= 1, missed  # a hand of 100-180 px on a plain wall is found (all 131 held-out hands here)
    found = framed.y >= 0
    np.testing.assert_array_equal(framed.y[found], some.y[found])
    # The crop is the hand's square, not the wall: a found hand's crop is far from plain.
    assert all(framed.x[i].astype(float).std() > 15 for i in np.flatnonzero(found))
