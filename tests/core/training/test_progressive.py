"""Progressive resizing, the warm-up schedule and the quick preset's settings (issue #17).

Real Keras models: a ResNet-50 with one block per stage trains at two sizes; the
notebook's full ResNet-50 gets a smaller twin that shares its weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.splits import Dataset, Split
from core.errors import HandSignError
from core.model.files import load_model
from core.training.batches import Batches, BatchFeeder
from core.training.presets import BENCH_ONLY, PRESETS, settings_for
from core.training.schedule import COSINE_FLOOR, WARMUP_START, epoch_sizes, learning_rate
from core.training.session import TrainingSession
from core.training.settings import TrainSettings

NOTEBOOK_PARAMS = 23_600_006


def _lr_at(schedule, step: int) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_warmup_rises_from_a_tenth_to_the_peak_then_decays_to_the_floor():
    s = TrainSettings(epochs=4, learning_rate=4e-3, schedule="cosine", warmup_epochs=1.0)
    sched = learning_rate(s, steps_per_epoch=10)
    assert _lr_at(sched, 0) == pytest.approx(4e-3 * WARMUP_START)
    assert _lr_at(sched, 5) == pytest.approx(4e-3 * (WARMUP_START + (1 - WARMUP_START) * 0.5))
    assert _lr_at(sched, 10) == pytest.approx(4e-3)
    values = [_lr_at(sched, step) for step in range(10, 41)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))  # decays after the warm-up, never rises again
    assert _lr_at(sched, 40) == pytest.approx(4e-3 * COSINE_FLOOR)


def test_without_warmup_the_cosine_starts_at_the_peak_and_constant_stays_a_number():
    sched = learning_rate(TrainSettings(epochs=2, learning_rate=2e-3, schedule="cosine"), steps_per_epoch=8)
    assert _lr_at(sched, 0) == pytest.approx(2e-3) and _lr_at(sched, 16) == pytest.approx(2e-3 * COSINE_FLOOR)
    assert learning_rate(TrainSettings(epochs=2, learning_rate=1e-3, schedule="constant"), 8) == 1e-3


def test_epoch_sizes_end_at_full_size():
    s = TrainSettings(epochs=5, small_size=40, small_epochs=3)
    assert epoch_sizes(s, 64) == [40, 40, 40, None, None]
    # Fewer epochs than the small phase (``--epochs 2`` on the preset): the last is still full size.
    assert epoch_sizes(TrainSettings(epochs=2, small_size=40, small_epochs=3), 64) == [40, None]
    assert epoch_sizes(TrainSettings(epochs=1, small_size=40, small_epochs=3), 64) == [None]
    assert epoch_sizes(s, 40) == [None] * 5  # a dataset already that small: nothing to shrink
    assert epoch_sizes(TrainSettings(epochs=3), 64) == [None] * 3


def test_a_small_size_the_network_cannot_take_is_a_one_line_error():
    with pytest.raises(HandSignError, match="progressive resizing"):
        TrainSettings(small_size=32, small_epochs=2).validate()
    with pytest.raises(HandSignError, match="warm-up"):
        TrainSettings(warmup_epochs=-1).validate()


def test_batches_are_shrunk_for_the_small_epochs_only():
    x = np.random.default_rng(0).integers(0, 256, (10, 64, 64, 3), dtype=np.uint8)
    y = np.arange(10) % 2
    batches = Batches(x, y, 4, augment=False, seed=0)
    small, _ = batches.batch(0, 40)
    assert small.shape == (4, 40, 40, 3) and small.dtype == np.float32 and 0.0 <= small.min() <= small.max() <= 1.0
    feeder = BatchFeeder(batches, epochs=2, sizes=[48, None])
    try:
        shapes = [feeder.get()[0].shape[1:3] for _ in range(2 * len(batches))]
    finally:
        feeder.close()
    assert shapes == [(48, 48)] * len(batches) + [(64, 64)] * len(batches)


def test_the_notebooks_resnet50_trains_smaller_with_the_same_weights():
    """The 40 x 40 twin of the 64 x 64 ResNet-50: same 23,600,006 parameters, shared, and a step moves both."""
    import keras

    from core.model.resnet import ResNet50
    from core.training.fast import at_input_size

    model = ResNet50((64, 64, 3), 6, zero_gamma=True, bn_momentum=0.9)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    twin = at_input_size(model, 40)
    assert twin.input_shape == (None, 40, 40, 3) and model.input_shape == (None, 64, 64, 3)
    assert twin.count_params() == model.count_params() == NOTEBOOK_PARAMS
    before = [w.copy() for w in model.get_weights()]
    rng = np.random.default_rng(1)
    twin.train_on_batch(rng.random((4, 40, 40, 3), dtype=np.float32), np.array([0, 1, 2, 3]))
    assert twin.optimizer is model.optimizer and int(model.optimizer.iterations.numpy()) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert model(rng.random((2, 64, 64, 3), dtype=np.float32)).shape == (2, 6)


def _small_resnet(input_shape, classes, settings):
    from core.model.resnet import ResNet50

    return ResNet50(input_shape, classes, zero_gamma=True, bn_momentum=0.9, depth=0)


def _toy_signs(n_per_class: int = 6) -> Dataset:
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(3), n_per_class)
    x = rng.integers(0, 256, (len(y), 64, 64, 3), dtype=np.uint8)
    x[..., 0] = (y[:, None, None] * 100).astype(np.uint8)  # learnable: the red channel tells the class
    split = Split(x, y)
    return Dataset(["a", "b", "c"], split, split.take(np.arange(0, len(y), 3)), split.take(np.arange(1, len(y), 3)),
                   "toy", "folders")


def test_a_run_with_progressive_resizing_saves_the_64_pixel_model(tmp_path):
    logs: list[str] = []
    batches: list = []

    class Listener:
        def on_log(self, message):
            logs.append(message)

        def on_batch(self, progress):
            batches.append(progress)

    settings = TrainSettings(epochs=3, batch_size=6, learning_rate=1e-3, small_size=40, small_epochs=2,
                             warmup_epochs=0.5, augment=False, seed=0, fused_optimizer=True)
    out = tmp_path / "m.keras"
    session = TrainingSession(_toy_signs(), settings, Listener(), out=out, builder=_small_resnet)
    result = session.run()
    assert result.status == "completed" and len(result.history) == 3
    assert any("epochs 1-2 train on 40x40 images, the rest at 64x64" in m for m in logs)
    model, info = load_model(out)
    assert model.input_shape == (None, 64, 64, 3) and tuple(info.input_size) == (64, 64)
    assert model.count_params() == _small_resnet((64, 64, 3), 3, settings).count_params()
    card = result.run_card
    assert card["best_epoch"] == 3  # only full-size epochs compete for the checkpoint
    assert load_model(result.checkpoint_path)[0].input_shape == (None, 64, 64, 3)
    assert card["settings"]["small_size"] == 40 and card["settings"]["small_epochs"] == 2
    # 18 images in batches of 6: an epoch is the same 3 batches at either size
    assert [(b.epoch, b.batch, b.batches) for b in batches] == [(e, i, 3) for e in (1, 2, 3) for i in (1, 2, 3)]


def test_the_bench_presets_are_runnable_but_not_offered():
    candidate = settings_for("quick-48px")
    assert (candidate.small_size, candidate.small_epochs) == (48, 4) and candidate.preset == "quick-48px"
    short, before = settings_for("quick-6ls"), settings_for("quick-12")
    assert (short.epochs, short.label_smoothing, short.learning_rate, short.batch_size) == (6, 0.1, 2e-3, 16)
    assert (before.epochs, before.batch_size, before.learning_rate, before.label_smoothing) == (12, 16, 2e-3, 0.0)
    quick = settings_for("quick")
    assert (quick.epochs, quick.batch_size, quick.learning_rate, quick.label_smoothing) == (8, 32, 3e-3, 0.1)
    assert quick.refresh_batchnorm and not before.refresh_batchnorm  # quick-12 stays as it was
    assert not set(BENCH_ONLY) & set(PRESETS)  # not offered in the app or the CLI


def test_crops_keep_the_hand_at_its_scale_and_may_fill_every_epoch():
    """``small_crop``: each small image is a window of the full one (no resampling), at a random place."""
    from core.training.progressive import crop

    x = np.random.default_rng(3).integers(0, 256, (32, 64, 64, 3), dtype=np.uint8)
    out = crop(x, 48, np.random.default_rng(0))
    assert out.shape == (32, 48, 48, 3)
    places = set()
    for full, small in zip(x, out, strict=True):
        found = [(i, j) for i in range(17) for j in range(17) if np.array_equal(full[i:i + 48, j:j + 48], small)]
        assert found  # a window of the original, pixel for pixel
        places.add(found[0])
    assert len(places) > 8  # at random places, not one fixed window
    assert crop(x, None, np.random.default_rng(0)) is x
    # A cropped run may train every epoch small (the hand's scale does not change at full size) ...
    assert epoch_sizes(TrainSettings(epochs=3, small_size=48, small_epochs=3, small_crop=True), 64) == [48] * 3
    # ... a shrunk one still ends at full size
    assert epoch_sizes(TrainSettings(epochs=3, small_size=48, small_epochs=3), 64) == [48, 48, None]
    batches = Batches(x, np.arange(32) % 2, 8, augment=False, seed=0, small_crop=True)
    small, _ = batches.batch(0, 48)
    assert small.shape == (8, 48, 48, 3) and small.dtype == np.float32


def test_a_cropped_run_validates_and_keeps_checkpoints_at_full_size(tmp_path):
    seen_sizes: list = []

    class Listener:
        def on_epoch(self, metrics):
            seen_sizes.append(metrics.val_accuracy)

    settings = TrainSettings(epochs=2, batch_size=6, learning_rate=1e-3, small_size=48, small_epochs=2,
                             small_crop=True, augment=False, seed=0, fused_optimizer=True)
    out = tmp_path / "m.keras"
    result = TrainingSession(_toy_signs(), settings, Listener(), out=out, builder=_small_resnet).run()
    assert result.status == "completed" and len(result.history) == 2 and len(seen_sizes) == 2
    # every epoch trained on crops, yet each was validated by the 64-pixel model and could be the checkpoint
    assert result.run_card["best_epoch"] in (1, 2) and result.checkpoint_path is not None
    assert load_model(out)[0].input_shape == (None, 64, 64, 3)
