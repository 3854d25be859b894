"""A run's training step is traced once per batch shape (core.training.prebuild).

Each trace of ResNet-50's step costs seconds on 2 cores, so these count traces: every trace
runs the model's Python ``train_step`` once, so its calls are the traces.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.data.stream import load_streamed_dataset
from core.training.fast import fuse_adam
from core.training.loss import labels_for, training_loss
from core.training.prebuild import build_for_training
from core.training.session import TrainingSession
from core.training.settings import TrainSettings
from tests.conftest import tiny_builder, write_image


def _count_traces(model) -> list[int]:
    """Make ``model`` count the traces of its training step; the list holds the count."""
    calls = [0]
    step = model.train_step

    def train_step(data):
        calls[0] += 1
        return step(data)

    model.train_step = train_step
    return calls


def _compiled(smoothing: float = 0.0):
    import keras

    keras.utils.set_random_seed(0)
    model = tiny_builder((16, 16, 3), 3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=training_loss(smoothing), metrics=["accuracy"])
    fuse_adam(model.optimizer)
    return model


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_a_prebuilt_model_traces_its_first_step_once_and_trains_the_same(smoothing):
    x = np.random.default_rng(0).random((6, 16, 16, 3)).astype("float32")
    y = labels_for(np.array([0, 1, 2, 0, 1, 2]), 3, smoothing)
    losses, traces = {}, {}
    for prebuilt in (False, True):
        model = _compiled(smoothing)
        if prebuilt:
            assert build_for_training(model, 3, smoothing)
            assert model.optimizer.built
        calls = _count_traces(model)
        losses[prebuilt] = [model.train_on_batch(x, y)[0] for _ in range(3)]
        traces[prebuilt] = calls[0]
    assert traces == {False: 2, True: 1}  # Keras alone traces twice: the reason the prebuild exists
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-5)


@pytest.fixture
def tree(tmp_path):
    """Three classes of 9 images: three full batches of 8 and a short one of 3, so two batch shapes."""
    rng = np.random.default_rng(0)
    for c, level in enumerate((30, 120, 220)):
        for i in range(9):
            write_image(tmp_path / "tree" / str(c) / f"{i}.png",
                        np.clip(level + rng.normal(0, 12, (16, 16, 3)), 0, 255).astype(np.uint8))
    return tmp_path / "tree"


@pytest.mark.parametrize("streamed", [False, True], ids=["own-loop", "fit"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_a_training_run_traces_its_step_once(tree, tmp_path, streamed, smoothing):
    built = []

    def builder(input_shape, classes, settings=None):
        model = tiny_builder(input_shape, classes, settings)
        built.append(_count_traces(model))
        return model

    if streamed:
        ds = load_streamed_dataset(tree, (16, 16), val_split=0.0, test_split=0.0, seed=0)
    else:
        ds = load_dataset(tree, (16, 16), kind="folders", val_split=0.0, test_split=0.0)
    settings = TrainSettings(epochs=2, batch_size=8, learning_rate=1e-2, augment=False, val_split=0.0,
                             test_split=0.0, find_hand=False, precision="float32", seed=0, label_smoothing=smoothing)
    result = TrainingSession(ds, settings, out=tmp_path / "m.keras", builder=builder).run()
    assert result.status == "completed"
    assert sum(calls[0] for calls in built) == 1  # one trace for 8 steps of two shapes (Keras alone: 3)
