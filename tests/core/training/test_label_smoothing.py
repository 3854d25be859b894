"""Label smoothing (TrainSettings.label_smoothing, handsign train --label-smoothing): the loss really trains on
smoothed targets, in the session's own loop and in the fit-based (streamed) run, and the saved model loads."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.data.stream import load_streamed_dataset
from core.errors import HandSignError
from core.inference.classifier import Classifier
from core.model.files import load_model
from core.model.resnet import ResNet50
from core.training.loss import labels_for, loss_floor
from core.training.session import TrainingSession
from core.training.settings import TrainSettings
from tests.conftest import tiny_builder, write_image


@pytest.fixture
def dark_and_light(tmp_path):
    """Two classes any network separates at once: dark and light images with a little noise."""
    rng = np.random.default_rng(0)
    for cls, level in (("dark", 40), ("light", 210)):
        for i in range(8):
            pixels = np.clip(level + rng.normal(0, 10, (40, 40, 3)), 0, 255).astype(np.uint8)
            write_image(tmp_path / "tree" / cls / f"{i}.png", pixels)
    return tmp_path / "tree"


def _train(tree, tmp_path, smoothing: float, *, streamed: bool = False, builder=tiny_builder, listener=None):
    if streamed:
        ds = load_streamed_dataset(tree, (40, 40), val_split=0.0, test_split=0.0, seed=0)
    else:
        ds = load_dataset(tree, (40, 40), kind="folders", val_split=0.0, test_split=0.0)
    settings = TrainSettings(epochs=25, batch_size=4, learning_rate=1e-2, schedule="constant", augment=False,
                             val_split=0.0, test_split=0.0, find_hand=False, precision="float32", seed=0,
                             label_smoothing=smoothing)
    out = tmp_path / f"m{smoothing}{'-streamed' if streamed else ''}.keras"
    result = TrainingSession(ds, settings, listener, out=out, builder=builder).run()
    assert result.status == "completed"
    return result, ds


def _confidence(result, ds) -> float:
    model, info = load_model(result.model_path)  # a float32 run saves its compiled model: the loss must load
    probs = Classifier(model, info).probabilities_in_batches(np.asarray(ds.train.x))
    assert (probs.argmax(axis=1) == np.asarray(ds.train.y)).all()  # both runs learn the two classes
    return float(probs.max(axis=1).mean())


def test_labels_for_is_a_no_op_without_smoothing_and_one_hot_with_it():
    y = np.array([2, 0, 1])
    assert labels_for(y, 3, 0.0) is y
    np.testing.assert_array_equal(labels_for(y, 3, 0.1), np.eye(3, dtype="float32")[[2, 0, 1]])


class _Logs:
    def __init__(self):
        self.messages: list[str] = []

    def on_log(self, message):
        self.messages.append(message)


def test_smoothing_caps_the_confidence_the_model_learns(dark_and_light, tmp_path):
    """With two classes and smoothing 0.4 the target is 0.8 / 0.2, so the trained model stops near 0.8 on its
    own training images; without smoothing it goes on towards 1.  The log says where the loss levels out, and
    the last epoch's loss is near that floor, never below it."""
    plain_logs, smoothed_logs = _Logs(), _Logs()
    plain = _confidence(*_train(dark_and_light, tmp_path, 0.0, listener=plain_logs))
    smoothed_result, ds = _train(dark_and_light, tmp_path, 0.4, listener=smoothed_logs)
    smoothed = _confidence(smoothed_result, ds)
    assert plain > 0.97
    assert 0.7 < smoothed < 0.9
    assert smoothed_result.run_card["settings"]["label_smoothing"] == 0.4
    floor = loss_floor(2, 0.4)  # the entropy of 0.8 / 0.2
    assert floor == pytest.approx(0.5004, abs=1e-4)
    assert "labels smoothed by 0.4: the training loss levels out near 0.50, not 0" in smoothed_logs.messages
    assert plain_logs.messages and not any("smoothed" in m for m in plain_logs.messages)
    last_loss = smoothed_result.history[-1].loss
    assert floor - 1e-3 <= last_loss < floor + 0.1


def test_the_loss_floor_is_the_least_the_smoothed_loss_can_be():
    """Keras's own smoothed cross-entropy is smallest when the prediction equals the smoothed target, and that
    minimum is ``loss_floor``: about 0.42 for the quick preset's 0.1 over six classes."""
    import keras

    for classes, smoothing in ((6, 0.1), (2, 0.4), (10, 0.2)):
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)
        onehot = np.eye(classes, dtype="float32")[[0]]
        target = onehot * (1 - smoothing) + smoothing / classes
        at_target = float(loss(onehot, target))
        assert at_target == pytest.approx(loss_floor(classes, smoothing), rel=1e-5)
        for confident in (0.999, 0.5):
            other = np.full((1, classes), (1 - confident) / (classes - 1), dtype="float32")
            other[0, 0] = confident
            assert float(loss(onehot, other)) > at_target
    assert loss_floor(6, 0.1) == pytest.approx(0.4210, abs=1e-4)
    assert loss_floor(6, 0.0) == 0.0


def test_smoothing_reaches_the_streamed_fit_run(dark_and_light, tmp_path):
    """The fit-based run (tf.data from disk) feeds one-hot labels too: a categorical loss on class indices would
    fail the run."""
    result, ds = _train(dark_and_light, tmp_path, 0.4, streamed=True,
                        builder=lambda shape, classes, s: ResNet50(shape, classes, depth=0, bn_momentum=0.9))
    assert result.run_card["streamed"] is True
    model, _ = load_model(result.model_path)
    assert model.count_params() > 0


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5])
def test_smoothing_outside_zero_to_one_is_a_one_line_error(value):
    with pytest.raises(HandSignError, match="label smoothing must be a fraction"):
        TrainSettings(label_smoothing=value).validate()
