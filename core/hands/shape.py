"""The hand's shape as a second opinion: a small classifier on the 21 landmarks the finder already has.

The ResNet reads pixels, so what stands behind the hand (a face, a shirt, a
poster) and the light on it move its answer.  The landmark model has already
placed the hand's 21 joints to find it; which fingers stand out, and how, is in
those 63 numbers, and they do not depend on the background.

:func:`shape_features` puts a hand's landmarks into one frame of reference:
relative to the wrist, turned so that the wrist -> middle-knuckle line points up,
scaled by that line's length, and a left hand mirrored onto a right one (the
index knuckle on the right of the little finger's).  :class:`ShapeHead` is a
small dense network on them (63 -> 128 -> 128 -> classes, about 25,000 weights),
run here in NumPy; it travels inside the model file (entry :data:`ENTRY`,
``core.model.files``) and is trained with it (``core.training.shape_fit``).
:func:`combine` takes the geometric mean of the two opinions, renormalised: a
class must look right to both.  docs/model.md ("The hand's shape") measures it.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

ENTRY = "hand_shape.npz"  # the model archive's entry that holds the head
FEATURES = 63
WRIST, MIDDLE_KNUCKLE, INDEX_KNUCKLE, LITTLE_KNUCKLE = 0, 9, 5, 17


def shape_features(landmarks: np.ndarray) -> np.ndarray:
    """``(21, 3)`` or ``(N, 21, 3)`` landmarks (pixels) -> float32 ``(N, 63)`` features, whatever the hand's
    place, size, turn in the image plane and side (left or right)."""
    pts = np.asarray(landmarks, np.float64).reshape(-1, 21, 3)
    v = pts - pts[:, WRIST : WRIST + 1]
    up = v[:, MIDDLE_KNUCKLE, :2]
    length = np.maximum(np.linalg.norm(up, axis=1), 1e-6)
    cos, sin = -up[:, 1] / length, -up[:, 0] / length  # the turn that takes ``up`` to (0, -length)
    x = cos[:, None] * v[..., 0] - sin[:, None] * v[..., 1]
    y = sin[:, None] * v[..., 0] + cos[:, None] * v[..., 1]
    left = x[:, INDEX_KNUCKLE] < x[:, LITTLE_KNUCKLE]
    x = np.where(left[:, None], -x, x)
    out = np.stack([x, y, v[..., 2]], axis=-1) / length[:, None, None]
    return out.reshape(len(pts), FEATURES).astype(np.float32)


def combine(image_probs: np.ndarray, shape_probs: np.ndarray) -> np.ndarray:
    """The two opinions' geometric mean, renormalised to sum to 1 (row-wise)."""
    p = np.sqrt(np.clip(image_probs, 1e-12, 1.0) * np.clip(shape_probs, 1e-12, 1.0))
    return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)


class ShapeHead:
    """Landmarks in, class probabilities out; ``layers`` is ``[(W, b), ...]``, ReLU between, softmax last."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], class_names: list[str], card: dict | None = None):
        self.layers = [(np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in layers]
        self.class_names = list(class_names)
        self.card = dict(card or {})
        _check(self.layers, self.class_names)

    def probabilities(self, landmarks: np.ndarray) -> np.ndarray:
        h = shape_features(landmarks)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        e = np.exp(h - h.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def to_bytes(self) -> bytes:
        arrays = {f"w{i}": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"b{i}": b for i, (_, b) in enumerate(self.layers)})
        arrays["class_names"] = np.array(self.class_names, dtype=np.str_)
        arrays["card"] = np.array(json.dumps(self.card, default=str), dtype=np.str_)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ShapeHead:
        """Raises ``ValueError`` saying what is wrong with damaged or foreign bytes (never unpickles)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                n = sum(1 for k in z.files if k.startswith("w"))
                layers = [(z[f"w{i}"], z[f"b{i}"]) for i in range(n)]
                names = [str(c) for c in z["class_names"]]
                card = json.loads(str(z["card"]))
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # "not a (whole) .npz"
            raise ValueError(f"unreadable ({type(exc).__name__}: {exc})") from None
        return cls(layers, names, card)


def _check(layers: list[tuple[np.ndarray, np.ndarray]], class_names: list[str]) -> None:
    if not layers:
        raise ValueError("no layers")
    width = FEATURES
    for w, b in layers:
        if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
            raise ValueError(f"layer shapes {w.shape} / {b.shape} do not follow on from {width} inputs")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError("weights that are not finite numbers")
        width = w.shape[1]
    if width != len(class_names):
        raise ValueError(f"{width} outputs for {len(class_names)} class names")
