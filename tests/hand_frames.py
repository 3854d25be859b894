"""Test frames with a real hand in a cluttered room: a Sign Language Digits photo pasted onto synthetic clutter.

Shared by the hand-finding tests in ``tests/core/hands`` and the GUI tests that
need a hand to find (or a frame with none).
"""

from __future__ import annotations

import numpy as np


def room(h=480, w=640, seed=0):
    """A cluttered RGB frame: blocks, stripes and noise in many colours (no hand)."""
    rng = np.random.default_rng(seed)
    frame = np.repeat(np.linspace(60, 200, w, dtype=np.uint8)[None, :, None], h, axis=0).repeat(3, axis=2)
    for _ in range(25):
        x, y = rng.integers(0, w - 40), rng.integers(0, h - 40)
        frame[y:y + rng.integers(20, 160), x:x + rng.integers(20, 160)] = rng.integers(0, 255, 3)
    return np.clip(frame.astype(np.int16) + rng.integers(-12, 12, frame.shape), 0, 255).astype(np.uint8)


def paste(frame, photo, x, y, side):
    """The photo's hand (its wall masked out) pasted at (x, y), scaled to ``side`` pixels."""
    import cv2

    from core.data.augment import foreground_mask

    photo = cv2.resize(photo, (side, side), interpolation=cv2.INTER_LINEAR)
    mask = cv2.resize(foreground_mask(cv2.resize(photo, (64, 64))).astype(np.float32), (side, side))[..., None]
    out = frame.copy()
    h, w = out.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + side), min(h, y + side)
    patch, m = photo[y0 - y:y1 - y, x0 - x:x1 - x], mask[y0 - y:y1 - y, x0 - x:x1 - x]
    out[y0:y1, x0:x1] = (m * patch + (1 - m) * out[y0:y1, x0:x1]).astype(np.uint8)
    return out


def sld_photo(sld_dir, digit: int = 2, index: int = 0):
    """One Sign Language Digits photo (100 x 100 RGB) of ``digit``."""
    from core.images import read_image

    return read_image(sorted((sld_dir / str(digit)).glob("*.JPG"))[index])
