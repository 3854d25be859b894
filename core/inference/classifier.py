"""Classifying images and video frames with a trained model, and choosing the engine that does it.

``open_classifier`` is the entry point for a model file: the TensorFlow-free
``LiteClassifier`` (``core.inference.lite``) when the file's checked
TensorFlow Lite conversion is cached and no Keras model is needed, else the
full ``Classifier``.  ``HANDSIGN_ENGINE=keras`` (:func:`keras_engine_forced`)
always takes the full one: the path before the TensorFlow-free one, which
``bench/startup.py`` runs as its baseline.

``Classifier`` owns one Keras model (do not share it between threads: each
thread makes its own).  Its per-frame path (``classify_frame``, from
``core.inference.prediction.FrameClassifier``) is a compiled forward pass at
batch 1 with ``training=False`` (``model.predict`` costs far more per call);
for a loaded model that is TensorFlow Lite's XNNPACK kernels on the folded
graph (``core.inference.fast.lite_forward``, dynamic-range int8 by default:
``core.inference.precision``), which also fills the cache the TensorFlow-free
path reads.  ``probabilities_in_batches`` scores a whole split of model-size
images, through the same pass one image at a time, so a frame, a file and a
split give the same numbers as the ``LiteClassifier`` would.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from core.images import scale
from core.inference.prediction import FrameClassifier, read_shape_head
from core.model.files import ModelInfo, load_model

__all__ = ["Classifier", "keras_engine_forced", "open_classifier"]

log = logging.getLogger(__name__)

ENGINE_ENV = "HANDSIGN_ENGINE"  # "keras": always the full Keras classifier (the baseline in bench/startup.py)


def keras_engine_forced() -> bool:
    """True when ``HANDSIGN_ENGINE=keras`` asks for the full Keras classifier even with a conversion at hand."""
    return os.environ.get(ENGINE_ENV, "").strip().lower() == "keras"


def open_classifier(path: str | os.PathLike, *, need_keras: bool = False):
    """A classifier for the model file at ``path``: a ``LiteClassifier`` (``engine == "litert"``,
    no TensorFlow import) when its checked conversion is cached and ``need_keras`` is False,
    else :meth:`Classifier.load` (imports Keras quietly, converts and fills the cache; raises
    ``ModelFileError`` with a one-line reason for a bad file).  ``need_keras=True`` for callers
    that use ``.model`` (training, explanations, the Model tab's summary).
    """
    if not (need_keras or keras_engine_forced()):
        from core.inference.lite import open_lite_classifier

        lite = open_lite_classifier(path)
        if lite is not None:
            return lite
    from core.device import import_backend_quietly

    import_backend_quietly()
    return Classifier.load(path)


class Classifier(FrameClassifier):
    def __init__(self, model, info: ModelInfo, path: Path | None = None, *, frozen: bool = False, file_id=None):
        """``frozen=True``: the weights will not change (a loaded file), so the forward pass
        bakes them in as constants with BatchNorm folded (core.inference.fast.constant_forward).
        ``file_id`` (``core.inference.lite_cache.ModelFileId``): the file the model came from,
        which keys the TensorFlow Lite cache."""
        self.model = model
        self.info = info
        self.path = path
        self._forward = self._make_forward(model, frozen, file_id)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Classifier:
        from core.inference.lite_cache import model_file_id

        try:  # before loading: the cache key must be that of the bytes that were loaded
            file_id = model_file_id(path)
        except OSError:
            file_id = None  # load_model says what is wrong with the file
        model, info = load_model(path)
        clf = cls(model, info, Path(path), frozen=True, file_id=file_id)
        clf.shape_head = read_shape_head(path, info.class_names)
        return clf

    @property
    def engine(self) -> str:
        """Which per-frame pass runs: ``"tflite"``, ``"tensorflow"`` or the Keras backend's name."""
        import keras

        if getattr(self._forward, "lite", None) is not None:
            return "tflite"
        return keras.backend.backend()

    @staticmethod
    def _make_forward(model, frozen: bool = False, file_id=None):
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if frozen:
                from core.inference.fast import constant_forward, lite_forward
                from core.paths import cache_dir

                const_fn = constant_forward(model)
                lite = lite_forward(model, const_fn, cache_dir() / "tflite", file_id=file_id)
                if lite is None:
                    return lambda x: const_fn(x).numpy()

                def forward(x):  # every image through the one pass, so frames, files and batches agree
                    if len(x) == 0:
                        return const_fn(x).numpy()
                    return np.concatenate([lite(x[i : i + 1]) for i in range(len(x))])

                forward.lite = lite
                return forward
            h, w, c = model.input_shape[1:]
            spec = tf.TensorSpec((None, h, w, c), tf.float32)
            fn = tf.function(lambda x: model(x, training=False), input_signature=[spec], jit_compile=False)
            return lambda x: fn(x).numpy()
        return lambda x: np.asarray(model(x, training=False))

    def probabilities(self, batch_uint8: np.ndarray) -> np.ndarray:
        """uint8 ``(N, H, W, 3)`` at the model's input size -> probabilities ``(N, classes)``."""
        return self._forward(scale(batch_uint8))
