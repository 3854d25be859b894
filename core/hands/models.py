"""The hand models shipped in ``assets/models/hands``: where they are, their checked hashes, an interpreter.

Both files come unchanged from the official ``mediapipe==0.10.14`` wheel
(Apache-2.0; ``assets/models/hands/README.md`` says how to extract them again).  A file
whose SHA-256 differs is refused, so a truncated or swapped download never runs.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from core.errors import HandSignError
from core.paths import asset_path

PALM_MODEL = "palm_detection_full.tflite"
LANDMARK_MODEL = "hand_landmark_full.tflite"
LANDMARK_LITE_MODEL = "hand_landmark_lite.tflite"

SHA256 = {
    PALM_MODEL: "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    LANDMARK_MODEL: "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    LANDMARK_LITE_MODEL: "048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6",
}

_checked: dict[Path, bytes] = {}


class HandModelError(HandSignError):
    """A hand model file is missing or is not the file it should be."""


def hand_model_path(name: str) -> Path:
    return asset_path("models", "hands", name)


def read_checked(path: Path, name: str | None = None) -> bytes:
    """The model file's bytes, after checking its SHA-256 against the known one for ``name``."""
    path = Path(path)
    if path in _checked:
        return _checked[path]
    name = name or path.name
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise HandModelError(f"hand model {path} cannot be read: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SHA256.get(name):
        raise HandModelError(f"hand model {path} is damaged or unknown (SHA-256 {digest[:12]}...)")
    _checked[path] = blob
    return blob


def open_interpreter(name: str, threads: int | None = None, *, path: Path | None = None):
    """An allocated TensorFlow Lite interpreter for the named hand model.

    Uses TensorFlow's own interpreter when TensorFlow is already loaded (the app,
    training) and LiteRT otherwise (``handsign predict`` without TensorFlow).
    """
    blob = read_checked(path or hand_model_path(name), name)
    threads = threads or max(1, min(2, os.cpu_count() or 1))
    # Both quietly: the native "Created TensorFlow Lite XNNPACK delegate" notice (and tf.lite's
    # deprecation warning) would break the CLI's one-line output.
    if "tensorflow" in sys.modules:
        from core.inference.fast import new_tf_lite_interpreter

        return new_tf_lite_interpreter(blob, threads)
    from core.inference.lite import new_litert_interpreter

    return new_litert_interpreter(blob, threads)
