"""The loss a run trains on: sparse cross-entropy, or categorical with label smoothing.

Keras's sparse cross-entropy has no label smoothing, so a run with
``TrainSettings.label_smoothing > 0`` compiles Keras's own
``CategoricalCrossentropy(label_smoothing=...)`` (a built-in: a saved model's
compile config still loads in safe mode) and is fed one-hot labels: the
session's batches through :func:`labels_for`, a ``tf.data`` pipeline through
:func:`one_hot_pipeline`.  Validation and test scores do not use the loss.
"""

from __future__ import annotations

import numpy as np

SPARSE = "sparse_categorical_crossentropy"


def training_loss(label_smoothing: float):
    """What ``compile`` gets as ``loss``."""
    if not label_smoothing:
        return SPARSE
    import keras

    return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)


def loss_floor(classes: int, label_smoothing: float) -> float:
    """The least training loss smoothing allows: the smoothed target's own entropy (0 without smoothing).

    With 0.1 over six classes the target is 0.917 on the class and 0.017 on each other, so the loss curve
    levels out near 0.42 however well the model learns; validation's plain cross-entropy can go lower."""
    if not label_smoothing or classes < 2:
        return 0.0
    on, off = 1.0 - label_smoothing + label_smoothing / classes, label_smoothing / classes
    return float(-(on * np.log(on) + (classes - 1) * off * np.log(off)))


def labels_for(y: np.ndarray, classes: int, label_smoothing: float) -> np.ndarray:
    """A batch's labels as the loss wants them: class indices, or one-hot rows when smoothing."""
    if not label_smoothing:
        return y
    return np.eye(classes, dtype="float32")[np.asarray(y, dtype="int64").reshape(-1)]


def one_hot_pipeline(data, classes: int, label_smoothing: float):
    """A ``tf.data`` pipeline of ``(images, class indices)`` with its labels as :func:`labels_for` makes them."""
    if not label_smoothing:
        return data
    import tensorflow as tf

    return data.map(lambda x, y: (x, tf.one_hot(tf.cast(tf.reshape(y, [-1]), tf.int32), classes)))
