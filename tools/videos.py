"""Test and demo videos: frames written as MJPG ``.avi`` files that ``cv2.VideoCapture`` plays back, and
frames with a real hand in a cluttered room (a photo's hand pasted onto synthetic clutter).

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


def write_hand_video(path, photo, *, hand_frames: int = 30, empty_frames: int = 30, fps: float = 15.0, seed: int = 1):
    """A cluttered room in which ``photo``'s hand drifts right for ``hand_frames`` frames, then leaves."""
    empty = room(seed=seed)
    frames = [paste(empty, photo, 150 + 4 * i, 110, 240) for i in range(hand_frames)]
    return write_test_video(path, frames + [empty] * empty_frames, fps=fps)
