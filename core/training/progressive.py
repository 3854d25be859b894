"""Progressive resizing: the run's model on smaller images, for its first epochs (issue #17).

The notebook's ResNet-50 is convolutional up to its 2x2 average pool, and every
input side from 37 to 64 pixels leaves a 2x2 stage-5 map that the pool turns
into the same 2,048 features, so the same weights take smaller images (a
48-pixel image has 56 % of a 64-pixel one's pixels).  :class:`SmallInputs` keeps
the model's twins at the smaller sizes (the same layer objects: training a twin
trains the model, on its optimizer and schedule) and validates an epoch at the
size it trained at, so the Train tab's validation curve follows what the network
is learning rather than how well 40-pixel training carries over to 64 pixels.
The saved model is never a twin: it keeps its 64 x 64 input.
"""

from __future__ import annotations

import cv2
import numpy as np


def shrink(images: np.ndarray, size: int | None) -> np.ndarray:
    """uint8 ``(N, H, W, C)`` images resized to ``size`` x ``size`` (area averaging); as they are for None."""
    if size is None or images.shape[1:3] == (size, size):
        return images
    out = [cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images]
    return np.stack(out).reshape(len(images), size, size, *images.shape[3:])


def crop(images: np.ndarray, size: int | None, rng: np.random.Generator) -> np.ndarray:
    """A random ``size`` x ``size`` square of each uint8 ``(N, H, W, C)`` image (as they are for None).

    Unlike :func:`shrink`, the hand keeps the scale it has at full size: a network trained on
    the crops sees hands as large as the full-size images show them.
    """
    if size is None or images.shape[1:3] == (size, size):
        return images
    n, h, w = images.shape[:3]
    ys = rng.integers(0, h - size + 1, n)
    xs = rng.integers(0, w - size + 1, n)
    return np.stack([im[y:y + size, x:x + size] for im, y, x in zip(images, ys, xs, strict=True)])


class SmallInputs:
    """The run's model at smaller input sides: a twin per side to train, and its classifier to validate."""

    def __init__(self, model, class_names):
        self.model = model
        self.class_names = list(class_names)
        self._twins: dict[int, object] = {}
        self._evaluators: dict[int, object] = {}

    def trainer(self, size: int | None):
        """The model to train on ``size``-pixel images (the model itself for None)."""
        from core.training.fast import at_input_size

        if size is None:
            return self.model
        if size not in self._twins:
            self._twins[size] = at_input_size(self.model, size)
        return self._twins[size]

    def probabilities(self, images_uint8: np.ndarray, size: int) -> np.ndarray:
        """Probabilities for full-size images, shrunk to ``size`` and run through its twin."""
        from core.inference.classifier import Classifier
        from core.model.files import ModelInfo

        if size not in self._evaluators:
            self._evaluators[size] = Classifier(self.trainer(size), ModelInfo(self.class_names, (size, size)))
        return self._evaluators[size].probabilities_in_batches(shrink(images_uint8, size))
