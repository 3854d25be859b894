"""MediaPipe's hand-landmark model on a rotated crop, and the crops it needs.

A :class:`RotatedRect` is a square in frame pixels turned so that the hand's
fingers point up inside it.  The first one comes from a palm detection
(MediaPipe's ``palm_detection_detection_to_roi``: wrist to middle-finger
knuckle sets the angle, scaled 2.6x, shifted half a box towards the fingers);
later ones come from the previous frame's landmarks
(``hand_landmark_landmarks_to_roi``: scaled 2x, shifted a tenth), which is
how a hand is tracked without running the detector again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from core.hands.palm import MIDDLE_MCP, WRIST, Palm

INPUT = 224
PRESENCE = 0.5  # MediaPipe's own threshold for "a hand is in this crop"
# Landmarks MediaPipe uses to place the next crop (wrist, thumb base, the knuckles and finger bases).
_ROI_POINTS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)


@dataclass(frozen=True)
class RotatedRect:
    cx: float
    cy: float
    side: float
    angle: float  # radians; 0 = fingers up

    def to_frame(self, uv: np.ndarray) -> np.ndarray:
        """Points in crop fractions ([0, 1] squared, y down) -> frame pixels."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        d = (np.asarray(uv, np.float32) - 0.5) * self.side
        return np.stack([self.cx + c * d[:, 0] - s * d[:, 1], self.cy + s * d[:, 0] + c * d[:, 1]], axis=1)

    def affine(self, size: int) -> np.ndarray:
        """The 2x3 map from crop pixels (``size`` square) to frame pixels, for ``cv2.WARP_INVERSE_MAP``."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        k = self.side / size
        origin = self.to_frame(np.array([[0.0, 0.0]]))[0]
        return np.array([[c * k, -s * k, origin[0]], [s * k, c * k, origin[1]]], np.float32)


def _angle(start: np.ndarray, end: np.ndarray) -> float:
    """MediaPipe's rotation: 0 when ``end`` is straight above ``start``, normalised to [-pi, pi)."""
    a = math.pi / 2 - math.atan2(-(end[1] - start[1]), end[0] - start[0])
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def _transformed(cx, cy, w, h, angle, scale: float, shift_y: float) -> RotatedRect:
    cx -= h * shift_y * math.sin(angle)
    cy += h * shift_y * math.cos(angle)
    return RotatedRect(float(cx), float(cy), float(max(w, h) * scale), float(angle))


def rect_from_palm(palm: Palm) -> RotatedRect:
    x0, y0, x1, y1 = palm.box
    angle = _angle(palm.keypoints[WRIST], palm.keypoints[MIDDLE_MCP])
    return _transformed((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, angle, 2.6, -0.5)


def rect_from_landmarks(points: np.ndarray) -> RotatedRect:
    """The crop for the next frame, from this frame's 21 landmarks (frame pixels)."""
    p = np.asarray(points, np.float32)[:, :2]
    finger_bases = ((p[6] + p[14]) / 2 + p[10]) / 2
    angle = _angle(p[0], finger_bases)
    sub = p[list(_ROI_POINTS)]
    c, s = math.cos(angle), math.sin(angle)
    rotated = np.stack([c * sub[:, 0] + s * sub[:, 1], -s * sub[:, 0] + c * sub[:, 1]], axis=1)
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    mid = (lo + hi) / 2
    cx, cy = c * mid[0] - s * mid[1], s * mid[0] + c * mid[1]
    w, h = hi - lo
    return _transformed(cx, cy, w, h, angle, 2.0, -0.1)


class LandmarkModel:
    """21 hand landmarks (frame pixels, x y z) and a presence score for a rotated crop of an RGB frame."""

    def __init__(self, interpreter):
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        outputs = interpreter.get_output_details()
        by_name = {d["name"]: d["index"] for d in outputs}
        self._points = by_name.get("Identity", outputs[0]["index"])
        self._presence = by_name.get("Identity_1", outputs[1]["index"])

    def crop(self, rgb: np.ndarray, rect: RotatedRect) -> np.ndarray:
        return cv2.warpAffine(rgb, rect.affine(INPUT), (INPUT, INPUT),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)

    def run(self, frame: np.ndarray, rect: RotatedRect, *, bgr: bool = False) -> tuple[np.ndarray, float]:
        """``frame``: uint8 (H, W, 3), RGB, or BGR with ``bgr=True``."""
        patch = self.crop(frame, rect)
        if bgr:
            patch = patch[:, :, ::-1]
        self._interpreter.set_tensor(self._input, (patch.astype(np.float32) / 255.0)[None])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._points).reshape(21, 3)
        presence = float(self._interpreter.get_tensor(self._presence).reshape(-1)[0])
        xy = rect.to_frame(raw[:, :2] / INPUT)
        z = raw[:, 2:3] / INPUT * rect.side
        return np.concatenate([xy, z], axis=1).astype(np.float32), presence
