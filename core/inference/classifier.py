"""Classifying images and video frames with a trained model.

``Classifier`` owns one Keras model (do not share it between threads: each
thread makes its own).  ``classify_frame`` is the per-frame path: a compiled
forward pass at batch 1 with ``training=False`` (``model.predict`` costs far
more per call); for a loaded model that is TensorFlow Lite's XNNPACK kernels
on the folded graph (``core.inference.fast.lite_forward``).  ``classify_batch`` runs many images at once,
and ``probabilities_in_batches`` scores a whole split of model-size images.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.images import Region, prepare, scale
from core.model.files import ModelInfo, load_model

log = logging.getLogger(__name__)


@dataclass
class Prediction:
    probabilities: np.ndarray  # float32 (classes,)
    class_names: list[str]
    seconds: float = 0.0  # forward-pass time

    @property
    def top_index(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def top_class(self) -> str:
        return self.class_names[self.top_index]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.top_index])

    def as_dict(self) -> dict:
        return {
            "top_class": self.top_class,
            "confidence": round(self.confidence, 6),
            "probabilities": {c: round(float(p), 6) for c, p in zip(self.class_names, self.probabilities, strict=True)},
        }


class Classifier:
    def __init__(self, model, info: ModelInfo, path: Path | None = None, *, frozen: bool = False):
        """``frozen=True``: the weights will not change (a loaded file), so the forward pass
        bakes them in as constants with BatchNorm folded (core.inference.fast.constant_forward)."""
        self.model = model
        self.info = info
        self.path = path
        self._forward = self._make_forward(model, frozen)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Classifier:
        model, info = load_model(path)
        return cls(model, info, Path(path), frozen=True)

    @property
    def engine(self) -> str:
        """Which per-frame pass runs: ``"tflite"``, ``"tensorflow"`` or the Keras backend's name."""
        import keras

        if getattr(self._forward, "lite", None) is not None:
            return "tflite"
        return keras.backend.backend()

    @property
    def class_names(self) -> list[str]:
        return self.info.class_names

    @property
    def input_size(self) -> tuple[int, int]:
        return self.info.input_size

    @staticmethod
    def _make_forward(model, frozen: bool = False):
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if frozen:
                from core.inference.fast import constant_forward, lite_forward
                from core.paths import cache_dir

                const_fn = constant_forward(model)
                lite = lite_forward(model, const_fn, cache_dir() / "tflite")
                if lite is None:
                    return lambda x: const_fn(x).numpy()

                def forward(x):
                    return lite(x) if x.shape[0] == 1 else const_fn(x).numpy()

                forward.lite = lite
                return forward
            h, w, c = model.input_shape[1:]
            spec = tf.TensorSpec((None, h, w, c), tf.float32)
            fn = tf.function(lambda x: model(x, training=False), input_signature=[spec], jit_compile=False)
            return lambda x: fn(x).numpy()
        return lambda x: np.asarray(model(x, training=False))

    def warm_up(self) -> None:
        h, w = self.input_size
        self._forward(np.zeros((1, h, w, 3), np.float32))

    def probabilities(self, batch_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(N, H, W, 3)`` at the model's input size -> probabilities ``(N, classes)``."""
        return self._forward(scale(batch_uint8))

    def probabilities_in_batches(self, images_uint8: np.ndarray, batch_size: int = 128) -> np.ndarray:
        """Like :meth:`probabilities` for any number of images, ``batch_size`` at a time (bounded memory)."""
        if len(images_uint8) == 0:
            return np.zeros((0, len(self.class_names)), np.float32)
        return np.concatenate([self.probabilities(images_uint8[i : i + batch_size])
                               for i in range(0, len(images_uint8), batch_size)])

    def prepare(self, image: np.ndarray, region: Region | None = None, *, bgr: bool = False) -> np.ndarray:
        """The model input as the network sees it (uint8, model size), before scaling."""
        return prepare(image, self.input_size, region=region, bgr=bgr)

    def classify_frame(self, image: np.ndarray, region: Region | None = None, *, bgr: bool = False) -> Prediction:
        x = self.prepare(image, region, bgr=bgr)[None]
        t0 = time.perf_counter()
        probs = self.probabilities(x)[0]
        return Prediction(probs, self.class_names, time.perf_counter() - t0)

    def classify_file(self, path: str | os.PathLike) -> Prediction:
        from core.images import read_image

        return self.classify_frame(read_image(path))
