"""Synthetic "real rooms" to measure the shipped model on, from kept-back background photos.

The kept-back classroom photos are not ours to see, so the recipe measures two
imitations of them, built only from the datasets' hands and the background
photos that training never sees (``core.data.scenes``, ``part="eval"``):

* :func:`room_crops`: the hand-framed 64 x 64 photos with their wall replaced
  by a patch of a room, texture or person photo (the kept-back "square crops
  around each hand, faces and shirts behind it");
* :func:`room_frames`: the original photo's hand pasted small into a 640 x 480
  room photo, then found, framed and cropped by the app's own pipeline
  (:class:`core.hands.framing.HandFraming`).  A frame where no hand is found
  gets label -1, so it counts as wrong (the kept-back "full frames, hand
  small in the frame"); on :class:`PlainWalls` too, for the kept-back
  "different person at a plain wall".
"""

from __future__ import annotations

import numpy as np

from core.data.splits import Split


def room_crops(split: Split, bank, seed: int = 11, draws: int = 1) -> Split:
    """``split`` in front of kept-back photos, ``draws`` times over (each draw other patches, turns and casts).

    One draw of 120-131 hands moves by 2-3 points from seed to seed; ``draws`` > 1
    stacks that many draws (draw ``d`` seeded ``seed + 100 * d``, so the first is
    the single draw) and the accuracy on the stack is their mean.
    """
    from core.data.augment import foreground_masks

    masks = foreground_masks(split.x)
    parts = [_one_draw(split, masks, bank, seed + 100 * d) for d in range(max(1, draws))]
    return Split(np.concatenate(parts), np.tile(split.y, len(parts)), list(split.files) * len(parts), None)


def _one_draw(split: Split, masks: np.ndarray, bank, seed: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    out = np.empty_like(split.x)
    n, h, w, _ = split.x.shape
    for i in range(n):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-8, 8), rng.uniform(0.85, 1.05))
        img = cv2.warpAffine(split.x[i], m, (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        mask = cv2.warpAffine(masks[i], m, (w, h), borderMode=cv2.BORDER_CONSTANT)[..., None]
        cast = rng.uniform(0.85, 1.15, 3).astype(np.float32)
        out[i] = np.clip((img * mask + bank.patch(h, w, rng) * (1 - mask)) * cast, 0, 255).astype(np.uint8)
    return out


def _paste_hand(frame: np.ndarray, photo: np.ndarray, side: int, x: int, y: int) -> np.ndarray:
    import cv2

    from core.data.augment import foreground_mask

    hand = cv2.resize(photo, (side, side), interpolation=cv2.INTER_LINEAR)
    mask = cv2.resize(foreground_mask(cv2.resize(photo, (64, 64), interpolation=cv2.INTER_AREA)), (side, side))
    roi = frame[y:y + side, x:x + side].astype(np.float32)
    frame[y:y + side, x:x + side] = (hand * mask[..., None] + roi * (1 - mask[..., None])).astype(np.uint8)
    return frame


# Paint colours of plain walls (RGB): white, off-white, beige, grey, pale blue, pale green, sand.
WALL_COLOURS = ((240, 240, 240), (235, 230, 220), (210, 200, 185), (170, 170, 170), (190, 210, 225),
                (215, 225, 205), (225, 210, 190), (200, 205, 210))


class PlainWalls:
    """640 x 480 plain painted walls, lit unevenly, with sensor noise: :func:`room_frames`'s backdrops for the
    kept-back "different person at a plain wall, hand small in the frame"."""

    def __init__(self, n: int = 40, seed: int = 5):
        rng = np.random.default_rng(seed)
        gy, gx = np.mgrid[0:480, 0:640].astype(np.float32)
        self.photos = []
        for _ in range(n):
            paint = np.asarray(WALL_COLOURS[int(rng.integers(len(WALL_COLOURS)))], np.float32) * rng.uniform(0.75, 1.05)
            light = 1 + rng.uniform(-0.15, 0.15) * (gx / 640 - 0.5) + rng.uniform(-0.15, 0.15) * (gy / 480 - 0.5)
            wall = paint * light[..., None] + rng.normal(0, 3, (480, 640, 3))
            self.photos.append(np.clip(wall, 0, 255).astype(np.uint8))


def pasted_frames(split: Split, bank, seed: int = 12, sides=(150, 300)):
    """Each hand of ``split`` pasted ``sides[0]`` to ``sides[1]`` pixels square into a 640 x 480 frame of ``bank``
    (a backdrop, a side and a place drawn in turn from ``seed``), one frame at a time."""
    import cv2

    from core.images import read_image

    rng = np.random.default_rng(seed)
    for path in split.files:
        photo = read_image(path)
        backdrop = bank.photos[int(rng.integers(len(bank.photos)))]
        frame = cv2.resize(backdrop, (640, 480), interpolation=cv2.INTER_LINEAR)
        side = int(rng.integers(*sides))
        yield _paste_hand(frame, photo, side, int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side)))


def room_frames(split: Split, bank, seed: int = 12, size=(64, 64), sides=(150, 300)) -> tuple[Split, int]:
    """(the framed crops, labels -1 where no hand was found; how many had no hand).

    Each hand is pasted ``sides[0]`` to ``sides[1]`` pixels square into a 640 x 480 frame of ``bank``."""
    from core.hands.framing import HandFraming
    from core.images import crop_resize

    framing = HandFraming()
    xs, ys = [], []
    for frame, label in zip(pasted_frames(split, bank, seed, sides), split.y, strict=True):
        region = framing(frame)
        xs.append(crop_resize(frame, size, region))
        ys.append(int(label) if region is not None else -1)
    return Split(np.stack(xs), np.asarray(ys, np.int64), list(split.files), None), framing.missed
