"""What a prediction is, and the per-frame API every classifier engine shares.

``Prediction`` is one image's probabilities with its class names.
``FrameClassifier`` turns an image, a camera frame or a file into a
``Prediction``; an engine (the Keras ``Classifier`` in
``core.inference.classifier``, the TensorFlow-free ``LiteClassifier`` in
``core.inference.lite``) only supplies ``info`` and ``probabilities``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from core.images import Region, prepare, read_image
from core.model.files import ModelInfo


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


class FrameClassifier:
    """Images and frames in, :class:`Prediction` out; subclasses set ``info`` and define ``probabilities``."""

    info: ModelInfo

    @property
    def class_names(self) -> list[str]:
        return self.info.class_names

    @property
    def input_size(self) -> tuple[int, int]:
        return self.info.input_size

    def probabilities(self, batch_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(N, H, W, 3)`` at the model's input size -> probabilities ``(N, classes)``."""
        raise NotImplementedError

    def warm_up(self) -> None:
        h, w = self.input_size
        self.probabilities(np.zeros((1, h, w, 3), np.uint8))

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
        return self.classify_frame_and_input(image, region, bgr=bgr)[0]

    def classify_frame_and_input(self, image: np.ndarray, region: Region | None = None, *,
                                 bgr: bool = False) -> tuple[Prediction, np.ndarray]:
        """The prediction and the model input it was made from (for views that show what the network sees)."""
        x = self.prepare(image, region, bgr=bgr)
        t0 = time.perf_counter()
        probs = self.probabilities(x[None])[0]
        return Prediction(probs, self.class_names, time.perf_counter() - t0), x

    def classify_file(self, path: str | os.PathLike) -> Prediction:
        return self.classify_frame(read_image(path))
