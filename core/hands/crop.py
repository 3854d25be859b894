"""The square the classifier sees around a found hand, and its smoothing over frames.

The square is centred on the landmarks' bounding box.  Its side is ``MARGIN``
times the box's longer side, and at least ``PALM_SPAN`` times the palm (wrist
to middle-finger knuckle), so a fist is framed at the scale of an open hand:
the camera, not the number of fingers, set the framing of the training photos.
Both numbers reproduce those photos: on SIGNS the landmarks span 0.49 (a fist)
to 0.70 of the photo and the palm 0.29-0.36 of it, so the square around a
SIGNS hand is the whole photo, and the same rule frames a hand in a room the
way the model was trained to see it (docs/hands.md).
"""

from __future__ import annotations

import numpy as np

from core.images import Region
from core.inference.region import MIN_SIDE, Norm, clamp_norm, region_from_norm

MARGIN = 1.6
PALM_SPAN = 3.0
WRIST, MIDDLE_MCP = 0, 9


def hand_square(landmarks: np.ndarray, width: int, height: int, margin: float = MARGIN) -> Norm:
    """``(cx, cy, side)`` normalised like ``core.inference.region``, before any clamping."""
    p = np.asarray(landmarks, np.float32)[:, :2]
    lo, hi = p.min(axis=0), p.max(axis=0)
    cx, cy = (lo + hi) / 2
    palm = float(np.linalg.norm(p[WRIST] - p[MIDDLE_MCP]))
    side = max(float((hi - lo).max()) * margin, palm * PALM_SPAN) / min(width, height)
    return float(cx / width), float(cy / height), max(MIN_SIDE, side)


def square_region(norm: Norm, width: int, height: int) -> Region:
    """The pixel square for ``norm``: shifted to lie inside the frame, at most the frame's short side."""
    return region_from_norm(clamp_norm(norm, width, height), width, height)


class SquareSmoother:
    """An exponential moving average of the square, so the crop does not jitter with the landmarks.

    ``weight`` is the share of the newest square; a jump of more than half the
    side (a different hand, or the tracker re-finding one) restarts the average.
    """

    def __init__(self, weight: float = 0.5):
        self.weight = float(weight)
        self._state: np.ndarray | None = None

    def reset(self) -> None:
        self._state = None

    def add(self, norm: Norm, aspect: float = 1.0) -> Norm:
        new = np.asarray(norm, np.float64)
        if self._state is not None:
            jump = np.hypot((new[0] - self._state[0]) * aspect, new[1] - self._state[1])
            if jump > 0.5 * max(self._state[2], new[2]):
                self._state = None
        self._state = new if self._state is None else self.weight * new + (1 - self.weight) * self._state
        return tuple(float(v) for v in self._state)
