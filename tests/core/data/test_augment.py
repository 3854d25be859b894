"""Training-time augmentation: each image stays in its place (so its label still fits), the output
is a uint8 image batch of the same shape, a seed repeats a run, background replacement swaps the
wall and keeps the hand, every level changes what it promises, and the curriculum grows the strong
share with the run's progress."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.data.augment import (
    BASIC,
    CAMERA,
    LEVELS,
    LIGHT,
    ROOMS,
    STUDIO,
    AugmentConfig,
    augment_batch,
    foreground_mask,
    foreground_masks,
)

# Nothing changes unless a test turns it on.
NONE = AugmentConfig(rotation_deg=0.0, scale=(1.0, 1.0), shift=0.0, flip=False, brightness=0.0, contrast=0.0,
                     color=0.0, blur_prob=0.0)
WALL = (205, 205, 200)


def hand_on_wall(n: int = 8, size: int = 64) -> np.ndarray:
    """A light studio wall with a saturated, skin-coloured square ("hand") in the middle; the hand's
    brightness differs per image so each image can be told apart."""
    images = np.empty((n, size, size, 3), np.uint8)
    images[:] = WALL
    for i in range(n):
        images[i, 16:48, 12:36] = (200 - 10 * i, 110, 80)  # off-centre, so a mirror shows
    return images


@pytest.fixture(scope="module")
def signs_images(signs_dir):
    import h5py

    with h5py.File(signs_dir / "test_signs.h5", "r") as f:
        return np.asarray(f["test_set_x"][:24])


def test_output_is_a_new_uint8_batch_of_the_same_shape(signs_images):
    before = signs_images.copy()
    for cfg in LEVELS.values():
        out = augment_batch(signs_images, np.random.default_rng(0), cfg, foreground_masks(signs_images))
        assert out.dtype == np.uint8 and out.shape == signs_images.shape
        assert out is not signs_images
    np.testing.assert_array_equal(signs_images, before)  # the caller's batch is never changed in place


def test_extreme_light_changes_stay_within_0_and_255():
    """Strong brightness, contrast, cast and noise overshoot [0, 255] in float: the result is clipped, not wrapped."""
    bright = np.full((16, 8, 8, 3), 250, np.uint8)
    dark = np.full((16, 8, 8, 3), 5, np.uint8)
    cfg = dataclasses.replace(NONE, brightness=0.9, contrast=0.9, color=0.5, noise=0.3, gamma=0.5)
    for images in (bright, dark):
        out = augment_batch(images, np.random.default_rng(1), cfg).astype(np.int64)
        # Wrapping would turn 250+ into small values (and 5- into large ones); clipping saturates.
        assert out.max() == 255 and out.min() == 0
        assert abs(out.mean() - images.mean()) < 120


def test_each_image_stays_in_its_place_so_its_label_still_fits():
    images = hand_on_wall(8)
    out = augment_batch(images, np.random.default_rng(3), dataclasses.replace(NONE, flip=True))
    flipped = 0
    for i in range(len(images)):
        same, mirrored = np.array_equal(out[i], images[i]), np.array_equal(out[i], images[i][:, ::-1])
        assert same or mirrored, f"image {i} is not derived from input {i}"
        flipped += mirrored and not same
    assert 0 < flipped < len(images)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another(signs_images):
    masks = foreground_masks(signs_images)
    a = augment_batch(signs_images, np.random.default_rng(7), STUDIO, masks)
    b = augment_batch(signs_images, np.random.default_rng(7), STUDIO, masks)
    c = augment_batch(signs_images, np.random.default_rng(8), STUDIO, masks)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 5


def test_foreground_mask_finds_the_hand_and_not_the_wall():
    mask = foreground_mask(hand_on_wall(1)[0])
    assert mask.dtype == np.float32 and mask.shape == (64, 64)
    assert mask[18:46, 14:34].min() == pytest.approx(1.0)  # the hand, away from its blurred edge
    assert mask[:12].max() == 0.0 and mask[:, 38:].max() == 0.0  # the wall
    assert foreground_masks(np.zeros((0, 5, 6, 3), np.uint8)).shape == (0, 5, 6)


def test_background_replacement_changes_the_wall_and_keeps_the_hand():
    images = hand_on_wall(8)
    cfg = dataclasses.replace(NONE, background_prob=1.0)
    out = augment_batch(images, np.random.default_rng(0), cfg, foreground_masks(images)).astype(np.int64)
    hand, wall = (slice(18, 46), slice(14, 34)), (slice(0, 12), slice(None))
    for i in range(len(images)):
        np.testing.assert_array_equal(out[i][hand], images[i][hand])
        assert np.abs(out[i][wall] - np.array(WALL)).mean() > 10, f"image {i}: the wall was not replaced"
    walls = out[:, :12].reshape(8, -1).mean(1)
    assert np.ptp(walls) > 20  # a different background for each image
    # Without masks there is nothing to tell hand from wall: the wall stays.
    kept = augment_batch(images, np.random.default_rng(0), cfg)
    np.testing.assert_array_equal(kept, images)


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_each_level_changes_the_images_as_it_promises(level, signs_images):
    cfg = LEVELS[level]
    out = augment_batch(signs_images, np.random.default_rng(0), cfg, foreground_masks(signs_images)).astype(float)
    src = signs_images.astype(float)
    changed = np.abs(out - src).mean(axis=(1, 2, 3))
    assert (changed > 1).mean() > 0.9, f"{level}: most images should change"
    mean_shift = np.abs(out.mean(axis=(1, 2, 3)) - src.mean(axis=(1, 2, 3)))
    colour_shift = np.abs(out.mean(axis=(1, 2)) - src.mean(axis=(1, 2))).max(axis=1)
    if level == "light":  # framing only: brightness and colour stay (the uncovered border takes the wall colour)
        assert mean_shift.max() < 8 and colour_shift.max() < 10
    else:  # light and colour change too, by up to a quarter of the range
        assert mean_shift.max() > 15 and np.median(colour_shift) > 5
    if level in ("studio", "rooms"):  # half or more get a new background: their corners leave the wall colour
        corners = np.abs(out[:, :6, :6] - src[:, :6, :6]).mean(axis=(1, 2, 3))
        assert (corners > 40).sum() >= 4


def test_levels_are_ordered_by_strength():
    assert list(LEVELS) == ["light", "basic", "camera", "studio", "rooms"]
    assert LEVELS["basic"] is BASIC and LEVELS["light"] is LIGHT and LEVELS["studio"] is STUDIO
    assert LEVELS["rooms"] is ROOMS and LEVELS["camera"] is CAMERA
    # "camera" is basic's framing and light plus the studio's camera colour, still on the photo's own wall.
    framing = ("rotation_deg", "scale", "shift", "flip", "brightness", "contrast", "color", "blur_prob")
    assert all(getattr(CAMERA, f) == getattr(BASIC, f) for f in framing)
    assert (CAMERA.hue_deg, CAMERA.saturation, CAMERA.gamma, CAMERA.noise) == (
        STUDIO.hue_deg, STUDIO.saturation, STUDIO.gamma, STUDIO.noise)
    assert BASIC.hue_deg == BASIC.saturation == BASIC.gamma == BASIC.noise == 0
    assert CAMERA.background_prob == 0 and CAMERA.gray_prob == 0
    assert LIGHT.rotation_deg < BASIC.rotation_deg <= STUDIO.rotation_deg <= ROOMS.rotation_deg
    assert LIGHT.brightness == 0 < BASIC.brightness <= STUDIO.brightness <= ROOMS.brightness
    assert LIGHT.background_prob == BASIC.background_prob == 0 < STUDIO.background_prob < ROOMS.background_prob
    assert STUDIO.scene_prob == 0 < ROOMS.scene_prob  # only "rooms" uses real photos


@pytest.mark.parametrize("progress, share", [(0.0, 0.25), (0.2, 0.55), (0.5, 1.0), (0.9, 1.0)])
def test_curriculum_gives_the_strong_changes_to_a_share_growing_with_progress(progress, share):
    """The training batches (core.training.batches) give a quarter of each batch the strong level at
    the start and all of it from half-way; the rest gets the basic changes.  Here the strong level turns
    every image gray, which the basic level (a colour cast per channel) never does, so each image shows
    which one it got."""
    from core.training.batches import Batches

    n = 320
    images = np.concatenate([hand_on_wall(8)] * (n // 8))
    strong_cfg = dataclasses.replace(NONE, background_prob=1.0, gray_prob=1.0)
    batches = Batches(images, np.arange(n) % 6, n, True, 0, strong_cfg)
    batches.reshuffle(progress)
    x, y = batches.batch(0)
    np.testing.assert_array_equal(y, (np.arange(n) % 6)[batches.order])
    gray = (x[..., 0] == x[..., 1]).all(axis=(1, 2)) & (x[..., 1] == x[..., 2]).all(axis=(1, 2))
    assert gray.mean() == pytest.approx(share, abs=0.07)
