"""Per-layer gradient norms: how strongly the loss reaches each convolution, input to output.

For the residual-vs-plain experiment: the L2 norm of the loss gradient with
respect to every Conv2D kernel, in depth order, on one fixed probe batch.  The
probe runs the model in training mode (as the training step does, so
BatchNorm uses the batch's statistics) and puts the BatchNorm moving averages
back afterwards, so measuring never changes the model.
"""

from __future__ import annotations

import numpy as np


def conv_layers(model) -> list:
    """The model's Conv2D layers in depth order (the order the functional model runs them)."""
    from keras import layers

    return [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]


def conv_names(model) -> list[str]:
    return [layer.name for layer in conv_layers(model)]


def gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2 norm of d(mean cross-entropy)/d(kernel) for each conv kernel, in depth order.

    ``x``: float32 images as the model takes them; ``y``: integer labels.  A
    gradient that does not reach a kernel counts as 0.
    """
    import keras
    import tensorflow as tf

    kernels = [layer.kernel for layer in conv_layers(model)]
    saved = [v.numpy() for v in model.non_trainable_variables]  # BatchNorm's moving averages
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    try:
        with tf.GradientTape() as tape:
            loss = loss_fn(tf.constant(y), model(tf.constant(x), training=True))
        grads = tape.gradient(loss, kernels)
    finally:
        for var, value in zip(model.non_trainable_variables, saved, strict=True):
            var.assign(value)
    return np.array([0.0 if g is None else float(tf.norm(g)) for g in grads], dtype=np.float64)
