"""Recount a trained model's BatchNorm statistics over its training images ("precise BatchNorm").

A BatchNormalization layer normalises with its batch's mean and variance while
training, and with a moving average of them afterwards.  At the end of a short
run that average is still mostly the last few batches (momentum 0.9: about ten
of them), taken while the weights were still moving.  :func:`refresh_batchnorm`
replaces it with the average over many images at the final weights: each
layer's mean and (biased) variance, batch by batch in a shuffled order,
averaged equally over the batches.  The weights do not change.  This is
Wu & Johnson's "precise BatchNorm" (2021, "Rethinking Batch in BatchNorm").

Plain Keras: the layers' own update is used, with their momentum set for a
running average (0, then 1/2, 2/3, ...) and put back afterwards, so the model
and its saved config are unchanged.  Frozen layers (``trainable=False``)
keep their statistics, as Keras does for them while training.
"""

from __future__ import annotations

import numpy as np

from core.images import scale


def batchnorm_layers(model) -> list:
    """``model``'s BatchNormalization layers that update their statistics in training (nested models too)."""
    from keras import layers

    from core.model.resnet import all_layers

    return [layer for layer in all_layers(model) if isinstance(layer, layers.BatchNormalization) and layer.trainable]


def refresh_batchnorm(model, x_uint8: np.ndarray, *, batch_size: int = 256, max_images: int = 4096,
                      seed: int = 0) -> int:
    """Recount every trainable BatchNorm layer's moving statistics over ``x_uint8`` (the training images).

    Uses at most ``max_images`` of them (a seeded random subset), in shuffled batches of
    ``batch_size``.  Returns how many images were counted (0: nothing to do).
    """
    bns = batchnorm_layers(model)
    if not bns or len(x_uint8) == 0:
        return 0
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x_uint8))[:max_images]
    # Equal batches, so that averaging the batches' statistics weighs every image alike.
    size = min(batch_size, len(order))
    batches = [order[i:i + size] for i in range(0, len(order) - size + 1, size)]
    momenta = [layer.momentum for layer in bns]
    try:
        for k, idx in enumerate(batches):
            for layer in bns:  # new = old * k / (k + 1) + batch / (k + 1): the mean of the k + 1 batches so far
                layer.momentum = k / (k + 1)
            model(scale(x_uint8[np.sort(idx)]), training=True)
    finally:
        for layer, m in zip(bns, momenta, strict=True):
            layer.momentum = m
    return len(batches) * size


def refresh_logged(model, x_uint8: np.ndarray, seed: int, log) -> int:
    """:func:`refresh_batchnorm` for a training run: says what it did, and how long it took, through ``log``."""
    import time

    t0 = time.perf_counter()
    n = refresh_batchnorm(model, x_uint8, seed=seed)
    log(f"BatchNorm statistics recounted over {n} training images at the final weights "
        f"({time.perf_counter() - t0:.1f} s)")
    return n
