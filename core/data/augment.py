"""Training-time augmentation on uint8 RGB images, in NumPy/OpenCV (backend-free).

A classroom webcam changes what SIGNS never shows: other backgrounds, light,
colour casts, cameras and framing.  The augmentations imitate those changes:

* **background**: the hand is separated from the plain studio wall
  (:func:`foreground_mask`: colour distance from the border's median colour,
  or saturation) and the wall is replaced by a random colour, gradient or
  texture, or (``scene_prob``) by a patch of a real photograph of a room, a
  texture or a person (:class:`core.data.scenes.SceneBank`);
* **framing**: rotation, zoom (down to a small hand in a big frame), shift, mirror;
* **light and colour**: brightness, contrast, gamma, saturation, hue, colour
  cast, sometimes grayscale;
* **camera**: blur and sensor noise.

Everything is seeded, so a run is reproducible.
"""

from __future__ import annotations

import dataclasses
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
    # Stronger, studio-changing ingredients (off in the basic config).
    background_prob: float = 0.0
    hue_deg: float = 0.0
    saturation: float = 0.0
    gamma: float = 0.0
    gray_prob: float = 0.0
    noise: float = 0.0
    scene_prob: float = 0.0  # of the replaced backgrounds, the share that are real photos (when a bank is given)


BASIC = AugmentConfig()
STUDIO = AugmentConfig(
    rotation_deg=15.0,
    scale=(0.6, 1.1),
    shift=0.10,
    brightness=0.25,
    contrast=0.3,
    color=0.12,
    blur_prob=0.2,
    background_prob=0.5,
    hue_deg=8.0,
    saturation=0.3,
    gamma=0.2,
    gray_prob=0.05,
    noise=0.02,
)


def foreground_mask(image: np.ndarray) -> np.ndarray:
    """Soft mask (float32, 1 = hand/arm) for a photo against a plain wall.

    The wall colour is the median of the border pixels; a pixel is foreground
    when its chroma differs from the wall's or it is clearly saturated (skin).
    Shadows on the wall keep the wall's chroma, so they count as background.
    """
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    wall = np.median(border, axis=0)
    chroma = np.sqrt(((lab[..., 1:] - wall[1:]) ** 2).sum(-1))
    sat = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1].astype(np.float32) / 255.0
    mask = ((chroma > 10) | (sat > 0.28)).astype(np.float32)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.GaussianBlur(mask, (3, 3), 0.8)


def foreground_masks(images: np.ndarray) -> np.ndarray:
    return np.stack([foreground_mask(im) for im in images]) if len(images) else np.zeros(images.shape[:3], np.float32)


def random_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A plain colour, a two-colour gradient, or a coloured noise texture (float32 RGB)."""
    import cv2

    def colour():
        return rng.uniform(0, 255, 3).astype(np.float32)

    kind = rng.integers(0, 3)
    if kind == 0:
        bg = np.broadcast_to(colour(), (h, w, 3)).copy()
    elif kind == 1:
        t = np.linspace(0.0, 1.0, w if rng.random() < 0.5 else h, dtype=np.float32)
        ramp = t[None, :, None] if len(t) == w else t[:, None, None]
        a, b = colour(), colour()
        bg = np.broadcast_to(a * (1 - ramp) + b * ramp, (h, w, 3)).copy()
    else:
        small = rng.uniform(0, 255, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
        bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        bg = 0.5 * bg + 0.5 * colour()
    return bg


def _background(h: int, w: int, rng: np.random.Generator, cfg: AugmentConfig, scenes) -> np.ndarray:
    if scenes is not None and cfg.scene_prob > 0 and rng.random() < cfg.scene_prob:
        return scenes.patch(h, w, rng)
    return random_background(h, w, rng)


def _hsv_jitter(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    import cv2

    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    if cfg.hue_deg:
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-cfg.hue_deg, cfg.hue_deg) / 2.0) % 180.0
    if cfg.saturation:
        hsv[..., 1] *= 1.0 + rng.uniform(-cfg.saturation, cfg.saturation)
    hsv = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def augment_batch(
    images: np.ndarray,
    rng: np.random.Generator,
    cfg: AugmentConfig = BASIC,
    masks: np.ndarray | None = None,
    scenes=None,
) -> np.ndarray:
    """Return an augmented copy of a uint8 ``(N, H, W, 3)`` batch.

    ``masks`` (from :func:`foreground_masks`) enables background replacement;
    ``scenes`` (a :class:`core.data.scenes.SceneBank`) adds real photos to it.
    """
    import cv2

    n, h, w, _ = images.shape
    out = np.empty(images.shape, np.float32)
    for i in range(n):
        img = images[i]
        angle = rng.uniform(-cfg.rotation_deg, cfg.rotation_deg)
        s = rng.uniform(*cfg.scale)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
        m[0, 2] += rng.uniform(-cfg.shift, cfg.shift) * w
        m[1, 2] += rng.uniform(-cfg.shift, cfg.shift) * h
        replace_bg = masks is not None and cfg.background_prob > 0 and rng.random() < cfg.background_prob
        if replace_bg:
            warped = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            mask = cv2.warpAffine(masks[i], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
            if cfg.hue_deg or cfg.saturation:
                warped = _hsv_jitter(warped, rng, cfg)
            x = warped.astype(np.float32) * mask + _background(h, w, rng, cfg, scenes) * (1.0 - mask)
        else:
            # Fill uncovered borders with the wall colour: reflection would draw a second hand.
            wall = np.median(np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]), axis=0)
            warped = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=tuple(float(v) for v in wall))
            if cfg.hue_deg or cfg.saturation:
                warped = _hsv_jitter(warped, rng, cfg)
            x = warped.astype(np.float32)
        if cfg.flip and rng.random() < 0.5:
            x = x[:, ::-1]
        if cfg.blur_prob and rng.random() < cfg.blur_prob:
            x = cv2.GaussianBlur(x, (3, 3), rng.uniform(0.3, 1.2))
        out[i] = x
    gain = 1.0 + rng.uniform(-cfg.contrast, cfg.contrast, (n, 1, 1, 1))
    bias = rng.uniform(-cfg.brightness, cfg.brightness, (n, 1, 1, 1)) * 255.0
    cast = 1.0 + rng.uniform(-cfg.color, cfg.color, (n, 1, 1, 3))
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    x = ((out - mean) * gain + mean + bias) * cast
    if cfg.gray_prob:
        gray = rng.random(n) < cfg.gray_prob
        if gray.any():
            x[gray] = x[gray].mean(axis=3, keepdims=True)
    if cfg.gamma:
        g = np.exp(rng.uniform(-cfg.gamma, cfg.gamma, (n, 1, 1, 1))).astype(np.float32)
        x = 255.0 * (np.clip(x, 0, 255) / 255.0) ** g
    if cfg.noise:
        x = x + rng.normal(0, cfg.noise * 255.0, x.shape).astype(np.float32) * rng.uniform(0, 1, (n, 1, 1, 1))
    return np.clip(x, 0, 255).astype(np.uint8)


# Mirror and small framing changes only: regularises without slowing a short run down.
LIGHT = AugmentConfig(rotation_deg=8.0, scale=(0.95, 1.05), shift=0.05, brightness=0.0, contrast=0.0,
                      color=0.0, blur_prob=0.0)

# Real rooms: most backgrounds replaced, most of those by real photos (rooms, textures, people); the hand
# from as small as the studio shift frames it to bigger than the hand finder does (a photo cropped tight
# around the hand).  Without a scene bank it is a stronger studio.
ROOMS = dataclasses.replace(STUDIO, scale=(0.6, 1.35), shift=0.08, blur_prob=0.25, background_prob=0.8, gamma=0.25,
                            noise=0.03, scene_prob=0.85)

# The basic framing and light, plus another camera's colour: hue, saturation, gamma and sensor noise.
CAMERA = dataclasses.replace(BASIC, hue_deg=8.0, saturation=0.3, gamma=0.2, noise=0.02)

LEVELS = {"light": LIGHT, "basic": BASIC, "camera": CAMERA, "studio": STUDIO, "rooms": ROOMS}
