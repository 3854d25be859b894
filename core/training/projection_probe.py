"""The training run's feature probe: after each epoch, where the network puts a fixed set of validation images.

:class:`ProjectionProbe` holds up to :data:`PROJECTION_LIMIT` validation
images (class-balanced when there are more), reads their pooled features (the
input of the model's last layer, the classifier's Dense: 2,048 numbers an
image for the notebook's ResNet-50) from the session's current model in
inference mode, and turns them into 2-D points with
``core.explain.projection.ProjectionTracker`` (PCA, aligned to the previous
epoch).  The training child calls it after each epoch and sends the points
with the epoch's metrics (``EpochMetrics.projection``); the images go once, as
64x64 thumbnails, in ``DatasetInfo.projection_images``.

No Qt.  Its cost is measured in bench/projection.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.explain.projection import ProjectionTracker
from core.images import scale

log = logging.getLogger(__name__)

PROJECTION_LIMIT = 300  # validation images projected at most (all of them below that)
THUMB_SIZE = 64  # the thumbnails' side, for hovering in the GUI
BATCH = 128  # images per forward pass (as validation): bounds the activations' memory


def projection_picks(y: np.ndarray, n_classes: int, limit: int = PROJECTION_LIMIT) -> list[int]:
    """Positions of the images to project: all of them up to ``limit``, else a class-balanced, sorted pick."""
    y = np.asarray(y)
    if len(y) <= limit:
        return list(range(len(y)))
    per_class = [list(np.flatnonzero(y == c)) for c in range(n_classes)]
    picks: list[int] = []
    while len(picks) < limit and any(per_class):
        for members in per_class:
            if members and len(picks) < limit:
                picks.append(int(members.pop(0)))
    return sorted(picks)


def thumbnails(images: np.ndarray, size: int = THUMB_SIZE) -> np.ndarray:
    """uint8 ``(N, H, W, 3)`` -> uint8 ``(N, size, size, 3)``."""
    import cv2

    images = np.asarray(images, dtype=np.uint8)
    if len(images) == 0 or images.shape[1:3] == (size, size):
        return images.reshape(len(images), size, size, 3) if len(images) == 0 else images.copy()
    interp = cv2.INTER_AREA if images.shape[1] > size else cv2.INTER_LINEAR
    return np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in images])


def features_and_output_model(model):
    """A Keras model, sharing ``model``'s weights, from its input to two outputs: the input of its last layer
    (the classifier head's: the pooled features) and its own output (the probabilities)."""
    import keras

    return keras.Model(model.inputs, [model.layers[-1].input, model.output], name=f"{model.name}_features")


def _forward(two_output_model):
    """A function: float32 batch -> (features, probabilities) as float32 numpy, in inference mode (traced once)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, *two_output_model.input_shape[1:]), tf.float32)
        fn = tf.function(lambda x: two_output_model(x, training=False), input_signature=[spec], jit_compile=False)
    else:
        fn = lambda x: two_output_model(x, training=False)  # noqa: E731
    return lambda x: tuple(np.asarray(keras.ops.convert_to_numpy(t), dtype=np.float32) for t in fn(x))


class ProjectionProbe:
    """Reads a fixed set of images' pooled features from a session's model and projects them, epoch after epoch.

    ``current_model`` returns the model to read; it is called each time, so the
    probe follows whatever model a training session is training
    (``lambda: session.model``).  When the probe's images are a validation
    split's (``index``: their positions in it), :meth:`validation_probabilities`
    scores the whole split and keeps the probe's features from that same
    forward pass, so the projection after it costs only the PCA
    (bench/projection.py).
    """

    def __init__(self, current_model: Callable[[], Any], images: np.ndarray, labels,
                 index: list[int] | None = None):
        self.current_model = current_model
        self.images = np.asarray(images, dtype=np.uint8)
        self.labels = [int(v) for v in labels]
        self.index = list(range(len(self.images))) if index is None else list(index)
        self.tracker = ProjectionTracker()
        self.seconds = 0.0  # the last projection's cost: features (unless the validation pass gave them) and PCA
        self._model = None
        self._fn = None
        self._broken = False
        self._pending: tuple[Any, np.ndarray] | None = None  # (model, features) from the last validation pass

    @classmethod
    def for_split(cls, session, split, n_classes: int, limit: int = PROJECTION_LIMIT) -> ProjectionProbe | None:
        """A probe on up to ``limit`` images of ``split`` (a ``core.data.splits`` split); None when it is empty."""
        picks = projection_picks(split.y, n_classes, limit)
        if len(picks) < 2:
            return None
        return cls(lambda: session.model, split.x[picks], split.y[picks], picks)

    def thumbnails(self) -> np.ndarray:
        return thumbnails(self.images)

    def _run(self, model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features ``(N, D)`` and probabilities ``(N, classes)`` of uint8 ``images`` under ``model``'s weights."""
        if model is not self._model:  # first call, or the session swapped models
            self._model, self._fn = model, _forward(features_and_output_model(model))
        parts = [self._fn(scale(images[i:i + BATCH])) for i in range(0, len(images), BATCH)]
        feats = np.concatenate([f for f, _ in parts]).reshape(len(images), -1)
        return feats, np.concatenate([p for _, p in parts])

    def features(self) -> np.ndarray:
        """The pooled features ``(N, D)`` of the probe's images under the current weights."""
        return self._run(self.current_model(), self.images)[0]

    def validation_probabilities(self, split_images: np.ndarray) -> np.ndarray | None:
        """The current model's probabilities for the whole validation split, in one forward pass that also
        keeps the probe's features for :meth:`project`; None (the caller scores it itself) if that fails."""
        model = self.current_model()
        if self._broken or model is None or len(split_images) <= max(self.index, default=-1):
            return None
        try:
            feats, probs = self._run(model, split_images)
        except Exception as exc:  # the session validates its own way, and the projection stays off
            log.warning("feature projection off: %s", exc)
            self._broken = True
            return None
        self._pending = (model, feats[self.index])
        return probs

    def project(self) -> np.ndarray | None:
        """This epoch's aligned ``(N, 2)`` points; None (logged once) when the model has no readable features."""
        if self._broken or self.current_model() is None:
            return None
        t0 = time.perf_counter()
        pending, self._pending = self._pending, None
        try:
            feats = pending[1] if pending is not None and pending[0] is self.current_model() else self.features()
        except Exception as exc:  # a model this probe cannot read must not end the training
            log.warning("feature projection off: %s", exc)
            self._broken = True
            return None
        points = self.tracker.update(feats)
        self.seconds = time.perf_counter() - t0
        return points
