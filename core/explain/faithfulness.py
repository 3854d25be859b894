"""Does the heatmap point at what the class depends on?  Deletion against random masking.

``deletion_drop = p(class | image) - p(class | image with the hottest 20 % of its pixels masked)``
``random_drop   = p(class | image) - p(class | image with a random 20 % of its pixels masked)``

"Masked" means set to the image's own per-channel mean colour (not black: a
black patch is a feature the network may react to by itself).  The hottest
pixels are ranked on the heatmap upsampled (bilinear) to the model input.
``random_drop`` averages :data:`RANDOM_DRAWS` draws from a generator seeded
with :data:`SEED`, so the numbers repeat.  A faithful map gives
``deletion_drop > random_drop`` on average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.explain.cam import upsample

FRACTION = 0.2
RANDOM_DRAWS = 3
SEED = 0


@dataclass(frozen=True)
class Faithfulness:
    probability: float  # p(class | image)
    deletion_drop: float
    random_drop: float

    def as_dict(self) -> dict:
        return {"deletion_drop": round(self.deletion_drop, 6), "random_drop": round(self.random_drop, 6)}


def hottest_mask(heatmap: np.ndarray, size: tuple[int, int], fraction: float = FRACTION) -> np.ndarray:
    """bool ``(H, W)``: the ``fraction`` of pixels where the upsampled map is highest (ties broken by position)."""
    up = upsample(heatmap, size).ravel()
    n = int(round(fraction * up.size))
    mask = np.zeros(up.size, bool)
    mask[np.argsort(-up, kind="stable")[:n]] = True
    return mask.reshape(size)


def random_masks(size: tuple[int, int], fraction: float = FRACTION, draws: int = RANDOM_DRAWS,
                 seed: int = SEED) -> list[np.ndarray]:
    """``draws`` bool masks of ``fraction`` of the pixels each, from a seeded generator."""
    rng = np.random.default_rng(seed)
    n, total = int(round(fraction * size[0] * size[1])), size[0] * size[1]
    masks = []
    for _ in range(draws):
        m = np.zeros(total, bool)
        m[rng.choice(total, n, replace=False)] = True
        masks.append(m.reshape(size))
    return masks


def masked(image_uint8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image_uint8`` with the pixels under ``mask`` set to the image's per-channel mean."""
    out = image_uint8.copy()
    out[mask] = np.round(image_uint8.reshape(-1, image_uint8.shape[-1]).mean(axis=0)).astype(np.uint8)
    return out


def faithfulness(probabilities, image_uint8: np.ndarray, heatmap: np.ndarray, class_index: int) -> Faithfulness:
    """The two drops for one model-size uint8 image; ``probabilities(batch_uint8) -> (N, classes)`` is the model."""
    size = image_uint8.shape[:2]
    batch = [image_uint8, masked(image_uint8, hottest_mask(heatmap, size))]
    batch += [masked(image_uint8, m) for m in random_masks(size)]
    p = np.asarray(probabilities(np.stack(batch)))[:, class_index].astype(np.float64)
    return Faithfulness(float(p[0]), float(p[0] - p[1]), float(p[0] - p[2:].mean()))


def mean_drops(engine, probabilities, images_uint8: np.ndarray, class_indices=None) -> dict:
    """Mean ``deletion_drop`` and ``random_drop`` over model-size images (for the top class of each, or
    ``class_indices``), with how often deletion beat random."""
    rows = []
    for i, image in enumerate(images_uint8):
        cam = engine.compute(image, None if class_indices is None else int(class_indices[i]))
        rows.append(faithfulness(probabilities, image, cam.map, cam.class_index))
    d = np.array([r.deletion_drop for r in rows])
    r = np.array([r.random_drop for r in rows])
    return {"n": len(rows), "deletion_drop": float(d.mean()), "random_drop": float(r.mean()),
            "deletion_beats_random": float((d > r).mean())}
