"""Training-time augmentation on uint8 RGB images, in NumPy/OpenCV (backend-free).

Changes what a webcam changes between classrooms: framing (shift, scale,
rotation), mirror (left or right hand), light (brightness, contrast, gamma),
colour cast, and blur.  Seeded, so a run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    rotation_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    shift: float = 0.10
    flip: bool = True
    brightness: float = 0.25
    contrast: float = 0.25
    color: float = 0.10
    blur_prob: float = 0.15


def augment_batch(images: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = AugmentConfig()) -> np.ndarray:
    """Return an augmented copy of a uint8 ``(N, H, W, 3)`` batch."""
    import cv2

    n, h, w, _ = images.shape
    out = np.empty_like(images)
    for i in range(n):
        img = images[i]
        angle = rng.uniform(-cfg.rotation_deg, cfg.rotation_deg)
        s = rng.uniform(*cfg.scale)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
        m[0, 2] += rng.uniform(-cfg.shift, cfg.shift) * w
        m[1, 2] += rng.uniform(-cfg.shift, cfg.shift) * h
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        if cfg.flip and rng.random() < 0.5:
            img = img[:, ::-1]
        if cfg.blur_prob and rng.random() < cfg.blur_prob:
            img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.3, 1.2))
        out[i] = img
    x = out.astype(np.float32)
    gain = 1.0 + rng.uniform(-cfg.contrast, cfg.contrast, (n, 1, 1, 1))
    bias = rng.uniform(-cfg.brightness, cfg.brightness, (n, 1, 1, 1)) * 255.0
    cast = 1.0 + rng.uniform(-cfg.color, cfg.color, (n, 1, 1, 3))
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = ((x - mean) * gain + mean + bias) * cast
    return np.clip(x, 0, 255).astype(np.uint8)
