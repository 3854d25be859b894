"""Test and demo videos: frames written as MJPG ``.avi`` files that ``cv2.VideoCapture`` plays back.

A maintainer tool (tests, benchmarks, screenshots, UI-latency runs), not part of the app.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.camera import _cv2
from core.errors import CameraError


def write_test_video(path: str | os.PathLike, frames, fps: float = 15.0) -> Path:
    """Write RGB ``uint8 (H, W, 3)`` frames as an MJPG ``.avi`` (for tests and demos)."""
    cv2 = _cv2()
    frames = list(frames)
    if not frames:
        raise CameraError("no frames to write")
    h, w = frames[0].shape[:2]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (int(w), int(h)))
    if not writer.isOpened():
        raise CameraError(f"{path}: OpenCV cannot write MJPG video here")
    try:
        for f in frames:
            writer.write(np.ascontiguousarray(f[:, :, ::-1]))
    finally:
        writer.release()
    return path


def write_demo_video(path, seconds: float = 4.0, fps: float = 30.0, size=(640, 480)):
    """A 640×480 video of SIGNS test images (or coloured noise without the data) for the camera path."""
    import cv2

    from core.images import read_image
    from core.paths import resolve_data

    folder = resolve_data("signs") / "test_signs"
    files = sorted(folder.glob("*.jpg"))[:: 10] if folder.is_dir() else []
    w, h = size
    frames = []
    n = int(seconds * fps)
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = np.full((h, w, 3), 50, np.uint8)
        if files:
            img = cv2.resize(read_image(files[(i // 8) % len(files)]), (h - 80, h - 80))
            frame[40 : h - 40, (w - h) // 2 + 40 : (w + h) // 2 - 40] = img
        else:
            frame[:] = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        frames.append(frame)
    return write_test_video(path, frames, fps=fps)
