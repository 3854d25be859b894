"""Precise BatchNorm (TrainSettings.refresh_batchnorm, core.training.bn_refresh): after training, every
BatchNorm layer's moving statistics are recounted over the training images at the final weights."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.images import scale
from core.model.files import load_model
from core.training.bn_refresh import batchnorm_layers, refresh_batchnorm
from core.training.session import TrainingSession
from core.training.settings import TrainSettings
from tests.conftest import write_image


def _conv_bn_model(momentum: float = 0.9):
    import keras
    from keras import layers

    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.BatchNormalization(momentum=momentum, name="bn1")(x)
    x = layers.ReLU()(x)
    x = layers.BatchNormalization(momentum=momentum, name="bn2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def _images(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Brighter images further on, so the last batches' statistics differ from the whole set's.
    levels = np.linspace(30, 220, n)[:, None, None, None]
    return np.clip(levels + rng.normal(0, 20, (n, 16, 16, 3)), 0, 255).astype(np.uint8)


def test_the_first_layer_gets_the_mean_and_variance_over_all_the_images():
    """The first BatchNorm's input does not depend on any BatchNorm, so its recounted statistics can be checked
    exactly: the mean over every image, and the mean of the batches' (biased) variances."""
    import keras

    model = _conv_bn_model()
    x = _images(96)
    model(scale(x[-8:]), training=True)  # moving statistics from the brightest images only
    n = refresh_batchnorm(model, x, batch_size=32, seed=3)
    assert n == 96
    conv = keras.Model(model.input, model.get_layer("conv").output)
    order = np.random.default_rng(3).permutation(96)
    feats = [np.asarray(conv(scale(x[np.sort(order[i:i + 32])]))) for i in range(0, 96, 32)]
    bn = model.get_layer("bn1")
    np.testing.assert_allclose(np.asarray(bn.moving_mean), np.concatenate(feats).mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(bn.moving_variance),
                               np.mean([f.var(axis=(0, 1, 2)) for f in feats], axis=0), rtol=1e-3, atol=1e-5)


def test_weights_momentum_and_frozen_layers_are_left_as_they_were():
    model = _conv_bn_model(momentum=0.95)
    x = _images(64)
    frozen = model.get_layer("bn2")
    frozen.trainable = False
    weights = [np.asarray(w).copy() for w in model.trainable_weights]
    frozen_stats = [np.asarray(v).copy() for v in (frozen.moving_mean, frozen.moving_variance)]
    before = np.asarray(model.get_layer("bn1").moving_mean).copy()
    assert [layer.name for layer in batchnorm_layers(model)] == ["bn1"]
    assert refresh_batchnorm(model, x, batch_size=16) == 64
    assert not np.allclose(np.asarray(model.get_layer("bn1").moving_mean), before)
    for w, old in zip(model.trainable_weights, weights, strict=True):
        np.testing.assert_array_equal(np.asarray(w), old)
    for v, old in zip((frozen.moving_mean, frozen.moving_variance), frozen_stats, strict=True):
        np.testing.assert_array_equal(np.asarray(v), old)
    assert model.get_layer("bn1").momentum == 0.95 and frozen.momentum == 0.95


def test_a_ragged_tail_and_a_cap_count_equal_batches_only():
    model = _conv_bn_model()
    assert refresh_batchnorm(model, _images(70), batch_size=32) == 64  # 2 batches of 32; 6 images left out
    assert refresh_batchnorm(model, _images(70), batch_size=256) == 70  # fewer than a batch: one batch of all
    assert refresh_batchnorm(model, _images(70), batch_size=16, max_images=40) == 32
    assert refresh_batchnorm(model, _images(0)) == 0


@pytest.mark.parametrize("refresh", [False, True])
def test_a_run_recounts_when_asked_and_says_so(tmp_path, refresh):
    """The saved model carries the recounted statistics: they match a recount of the loaded model's own."""
    rng = np.random.default_rng(0)
    for cls, level in (("dark", 50), ("light", 200)):
        for i in range(12):
            write_image(tmp_path / "tree" / cls / f"{i}.png",
                        np.clip(level + rng.normal(0, 15, (16, 16, 3)), 0, 255).astype(np.uint8))
    ds = load_dataset(tmp_path / "tree", (16, 16), kind="folders", val_split=0.0, test_split=0.0)
    settings = TrainSettings(epochs=3, batch_size=4, learning_rate=1e-2, augment=False, val_split=0.0,
                             test_split=0.0, find_hand=False, precision="float32", refresh_batchnorm=refresh)
    logs = []

    class Listener:
        def on_log(self, message):
            logs.append(message)

    out = tmp_path / "m.keras"
    result = TrainingSession(ds, settings, Listener(), out=out, builder=lambda shape, c, s: _conv_bn_model()).run()
    said = [m for m in logs if m.startswith("BatchNorm statistics recounted over 24 training images")]
    assert len(said) == int(refresh)
    assert result.run_card.get("batchnorm_recounted_over") == (24 if refresh else None)
    model, _ = load_model(out)
    saved = np.asarray(model.get_layer("bn1").moving_mean).copy()
    refresh_batchnorm(model, np.asarray(ds.train.x), seed=0)
    assert np.allclose(np.asarray(model.get_layer("bn1").moving_mean), saved, rtol=1e-4, atol=1e-5) == refresh
