"""MediaPipe's palm detector: SSD anchors, box and keypoint decoding, non-maximum suppression.

The numbers are those of MediaPipe's ``palm_detection_cpu.pbtxt`` (0.10.x):
192 x 192 input scaled to [0, 1] with a letterbox, four anchor layers with
strides 8, 16, 16, 16 (2,016 fixed-size anchors), 18 values per anchor (box
centre and size, then seven keypoints), sigmoid scores clipped at +-100, and a
minimum score of 0.5.  Suppression is OpenCV's ``cv2.dnn.NMSBoxes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

INPUT = 192
MIN_SCORE = 0.5
NMS_IOU = 0.3

# Keypoints of a palm detection, in MediaPipe's order.
WRIST = 0
MIDDLE_MCP = 2


@dataclass(frozen=True)
class Palm:
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in frame pixels
    keypoints: np.ndarray  # (7, 2) in frame pixels


@lru_cache(maxsize=1)
def anchors() -> np.ndarray:
    """(2016, 2) anchor centres in [0, 1]: MediaPipe's SsdAnchorsCalculator for this model."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = INPUT // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


def letterbox(rgb: np.ndarray, size: int = INPUT) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The frame fitted into a ``size`` square with black bars: (image, scale, (pad x, pad y))."""
    h, w = rgb.shape[:2]
    s = size / max(h, w)
    nw, nh = max(1, int(round(w * s))), max(1, int(round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, (nw, nh), interpolation=interp)
    out = np.zeros((size, size, 3), np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    out[py:py + nh, px:px + nw] = resized
    return out, s, (px, py)


def decode(raw: np.ndarray, logits: np.ndarray, min_score: float = MIN_SCORE):
    """Boxes (n, 4: cx, cy, w, h), keypoints (n, 7, 2) in [0, 1] input space and scores, above ``min_score``."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1), -100.0, 100.0)))
    keep = np.nonzero(scores >= min_score)[0]
    raw = raw.reshape(-1, 18)[keep] / INPUT
    centre = anchors()[keep]
    boxes = np.concatenate([raw[:, :2] + centre, raw[:, 2:4]], axis=1)
    keypoints = raw[:, 4:].reshape(-1, 7, 2) + centre[:, None, :]
    return boxes, keypoints, scores[keep]


def suppress(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Indices kept by OpenCV's non-maximum suppression, best first."""
    if len(boxes) == 0:
        return []
    rects = [[float(cx - w / 2), float(cy - h / 2), float(w), float(h)] for cx, cy, w, h in boxes]
    kept = cv2.dnn.NMSBoxes(rects, [float(s) for s in scores], 0.0, iou)
    return sorted((int(i) for i in np.asarray(kept).reshape(-1)), key=lambda i: -scores[i])


class PalmDetector:
    """Palms in an RGB uint8 frame, best first, in the frame's pixels."""

    def __init__(self, interpreter):
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        outputs = sorted(interpreter.get_output_details(), key=lambda d: int(d["shape"][-1]))
        self._scores, self._raw = outputs[0]["index"], outputs[1]["index"]

    def detect(self, frame: np.ndarray, min_score: float = MIN_SCORE, *, bgr: bool = False) -> list[Palm]:
        """``frame``: uint8 (H, W, 3), RGB, or BGR with ``bgr=True`` (only the small input is reordered)."""
        image, s, (px, py) = letterbox(frame)
        if bgr:
            image = image[:, :, ::-1]
        self._interpreter.set_tensor(self._input, (image.astype(np.float32) / 255.0)[None])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._raw)[0]
        logits = self._interpreter.get_tensor(self._scores)[0]
        boxes, keypoints, scores = decode(raw, logits, min_score)
        palms = []
        for i in suppress(boxes, scores):
            cx, cy, w, h = boxes[i] * INPUT
            box = ((cx - w / 2 - px) / s, (cy - h / 2 - py) / s, (cx + w / 2 - px) / s, (cy + h / 2 - py) / s)
            points = (keypoints[i] * INPUT - np.array([px, py], np.float32)) / s
            palms.append(Palm(float(scores[i]), tuple(float(v) for v in box), points.astype(np.float32)))
        return palms
