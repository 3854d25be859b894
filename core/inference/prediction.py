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

from core.errors import ModelFileError
from core.hands.shape import ENTRY as SHAPE_ENTRY
from core.hands.shape import ShapeHead, combine
from core.images import Region, prepare, read_image
from core.model.files import ModelInfo, read_entry


@dataclass
class Prediction:
    probabilities: np.ndarray  # float32 (classes,)
    class_names: list[str]
    seconds: float = 0.0  # forward-pass time
    # With the hand-shape head (core.hands.shape): ``probabilities`` combine these two opinions.
    image_probabilities: np.ndarray | None = None  # the image classifier's alone
    shape_probabilities: np.ndarray | None = None  # the hand-shape head's alone

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
        out = {"top_class": self.top_class, "confidence": round(self.confidence, 6),
               "probabilities": self._named(self.probabilities)}
        if self.shape_probabilities is not None:
            out["image_probabilities"] = self._named(self.image_probabilities)
            out["shape_probabilities"] = self._named(self.shape_probabilities)
        return out

    def _named(self, probs: np.ndarray) -> dict[str, float]:
        return {c: round(float(p), 6) for c, p in zip(self.class_names, probs, strict=True)}

    def with_shape(self, head: ShapeHead, landmarks: np.ndarray) -> Prediction:
        """This prediction combined with the hand-shape head's opinion of ``landmarks`` (one hand, (21, 3))."""
        shape = head.probabilities(landmarks)[0]
        return Prediction(combine(self.probabilities, shape), self.class_names, self.seconds,
                          image_probabilities=self.probabilities, shape_probabilities=shape)


def read_shape_head(path: str | os.PathLike, class_names: list[str]) -> ShapeHead | None:
    """The hand-shape head inside a model file, or None when it has none; ``ModelFileError`` when it is damaged
    or names other classes than the model."""
    data = read_entry(path, SHAPE_ENTRY)
    if data is None:
        return None
    try:
        head = ShapeHead.from_bytes(data)
    except ValueError as exc:
        raise ModelFileError(f"{path}: its hand-shape head ({SHAPE_ENTRY}) is damaged: {exc}") from None
    if head.class_names != list(class_names):
        raise ModelFileError(f"{path}: its hand-shape head names the classes {head.class_names}, "
                             f"the model {list(class_names)}")
    return head


class FrameClassifier:
    """Images and frames in, :class:`Prediction` out; subclasses set ``info`` and define ``probabilities``."""

    info: ModelInfo
    shape_head: ShapeHead | None = None  # a second opinion from the hand's landmarks, where the file has one

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
