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


class SquareTracker:
    """The square over frames: smoothed, so the crop does not jitter with the landmarks, and carried on
    with the hand's motion on the frames between two placings of the landmarks.

    An alpha-beta filter on the centre: ``weight`` of each new placing's difference
    from the prediction moves the centre and ``velocity_gain`` of it, per frame,
    the velocity; the side is an exponential moving average (``weight`` of the
    newest).  ``velocity_gain=0`` is a plain moving average that holds the square
    between placings (the tracker before 2026-12-04).  A jump of more than half the
    side (another hand, or the finder re-finding one) restarts it, at rest.
    With the landmarks placed every other frame, hands moving 8-24 pixels a
    frame were read right on 1.1-4 points more frames than with the square held
    (``python -m bench.tracking``; docs/hands.md).
    """

    def __init__(self, weight: float = 0.5, velocity_gain: float = 0.3):
        self.weight = float(weight)
        self.velocity_gain = float(velocity_gain)
        self._state: np.ndarray | None = None  # cx, cy, side at the last placing
        self._velocity = np.zeros(2)  # centre per frame

    def reset(self) -> None:
        self._state = None
        self._velocity = np.zeros(2)

    def add(self, norm: Norm, aspect: float = 1.0, frames: int = 1) -> Norm:
        """A new placing ``frames`` frames after the last one; the square to use now."""
        new = np.asarray(norm, np.float64)
        if self._state is not None:
            predicted = self._state[:2] + self._velocity * frames
            jump = np.hypot((new[0] - predicted[0]) * aspect, new[1] - predicted[1])
            if jump > 0.5 * max(self._state[2], new[2]):
                self.reset()
        if self._state is None:
            self._state = new
        else:
            residual = new[:2] - predicted
            self._velocity = self._velocity + self.velocity_gain * residual / max(1, frames)
            self._state = np.append(predicted + self.weight * residual,
                                    self.weight * new[2] + (1 - self.weight) * self._state[2])
        return tuple(float(v) for v in self._state)

    def shift(self, frames: int) -> tuple[float, float]:
        """How far the centre moves in ``frames`` frames at the current velocity (normalised)."""
        return float(self._velocity[0] * frames), float(self._velocity[1] * frames)

    def predict(self, frames: int) -> Norm | None:
        """The square ``frames`` frames after the last placing, moved on at the hand's velocity."""
        if self._state is None:
            return None
        dx, dy = self.shift(frames)
        return float(self._state[0] + dx), float(self._state[1] + dy), float(self._state[2])
