"""The training session: real fits, live progress, stop within a batch, pause, checkpoints, run card."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.data.splits import Dataset, Split
from core.errors import HandSignError
from core.model.files import load_model
from core.training.presets import settings_for
from core.training.session import TrainingSession, TrainSettings
from tests.conftest import tiny_builder


class Recorder:
    def __init__(self):
        self.started, self.batches, self.epochs, self.logs, self.finished = [], [], [], [], []

    def on_start(self, info):
        self.started.append(info)

    def on_batch(self, p):
        self.batches.append(p)

    def on_epoch(self, m):
        self.epochs.append(m)

    def on_log(self, msg):
        self.logs.append(msg)

    def on_finish(self, r):
        self.finished.append(r)


def _subset(ds: Dataset, per_class: int) -> Dataset:
    def take(split: Split, n):
        idx = np.concatenate([np.flatnonzero(split.y == c)[:n] for c in np.unique(split.y)])
        return split.take(idx)

    return Dataset(ds.class_names, take(ds.train, per_class), take(ds.val, max(2, per_class // 3)),
                   take(ds.test, max(2, per_class // 3)), ds.source, ds.kind)


@pytest.fixture(scope="module")
def signs(signs_dir):
    return load_dataset(signs_dir, kind="cs230")


def test_real_resnet50_trains_a_few_steps_on_signs(signs, tmp_path):
    """The notebook's full ResNet-50, real SIGNS images, a few real steps; everything saved."""
    ds = _subset(signs, 8)  # 48 training images -> 3 batches of 16
    rec = Recorder()
    out = tmp_path / "model.keras"
    settings = TrainSettings(epochs=2, batch_size=16, learning_rate=1e-3, seed=1)
    result = TrainingSession(ds, settings, rec, out=out).run()
    assert result.status == "completed"
    assert rec.started[0].steps_per_epoch == 3
    assert [(b.epoch, b.batch) for b in rec.batches] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert all(np.isfinite(b.loss) and b.images_per_second > 0 for b in rec.batches)
    assert rec.batches[-1].eta_seconds == pytest.approx(0, abs=1e-6)
    assert len(rec.epochs) == 2 and rec.epochs[0].val_accuracy is not None
    assert len(rec.epochs[0].val_predictions) == len(ds.val)
    model, info = load_model(out)
    assert model.count_params() == 23_600_006
    assert info.class_names == signs.class_names and info.input_size == (64, 64)
    card = json.loads(out.with_suffix(".json").read_text())
    for key in ("settings", "epochs", "test", "class_names", "input_size", "seed", "versions", "device", "duration_seconds"):
        assert key in card, key
    assert card["status"] == "completed" and len(card["epochs"]) == 2
    assert card["versions"]["keras"] and card["test"]["n"] == len(ds.test)
    assert info.run_card == card
    assert result.checkpoint_path is not None and load_model(result.checkpoint_path)[1].run_card["status"] == "checkpoint"


def test_tiny_model_learns_signs_in_inference_mode(signs, tmp_path):
    """Inference-mode (BatchNorm moving statistics) accuracy must rise, not sit at chance."""
    ds = _subset(signs, 60)
    settings = TrainSettings(epochs=12, batch_size=32, learning_rate=3e-3, augment=False, seed=0)
    result = TrainingSession(ds, settings, out=tmp_path / "t.keras", builder=tiny_builder).run()
    assert result.test_report["accuracy"] > 0.45  # chance is 0.167
    assert result.history[-1].val_accuracy > 0.4


def _run_in_thread(session):
    box = {}

    def target():
        try:
            box["result"] = session.run()
        except Exception as exc:  # pragma: no cover - surfaced by the assert below
            box["error"] = exc

    t = threading.Thread(target=target, name="training")
    t.start()
    return t, box


def test_stop_ends_within_one_batch(signs, tmp_path):
    ds = _subset(signs, 40)
    rec = Recorder()
    session = TrainingSession(ds, TrainSettings(epochs=50, batch_size=8, augment=False), rec,
                              out=tmp_path / "s.keras", builder=tiny_builder)
    t, box = _run_in_thread(session)
    deadline = time.monotonic() + 120
    while len(rec.batches) < 3:
        time.sleep(0.01)
        assert t.is_alive() or rec.batches
        assert time.monotonic() < deadline, "no third batch within 120 s"
    session.stop()
    seen = len(rec.batches)
    t.join(60)
    assert not t.is_alive()
    assert "error" not in box, box.get("error")
    assert box["result"].status == "stopped"
    assert len(rec.batches) <= seen + 1, "training went on for more than one batch after stop()"
    card = json.loads((tmp_path / "s.json").read_text())
    assert card["status"] == "stopped"
    assert load_model(tmp_path / "s.keras")[1].run_card["status"] == "stopped"


def test_pause_and_resume(signs, tmp_path):
    ds = _subset(signs, 20)
    rec = Recorder()
    session = TrainingSession(ds, TrainSettings(epochs=3, batch_size=8, augment=False), rec, builder=tiny_builder)
    session.pause()
    t, box = _run_in_thread(session)
    deadline = time.monotonic() + 30
    while not rec.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)
    assert len(rec.batches) == 1 and session.paused, "a paused session must wait after its current batch"
    session.resume()
    t.join(60)
    assert box["result"].status == "completed"
    assert len(rec.batches) == 3 * rec.started[0].steps_per_epoch
    assert "paused" in rec.logs and "resumed" in rec.logs


def test_seed_makes_runs_reproducible(signs):
    ds = _subset(signs, 10)
    s = TrainSettings(epochs=1, batch_size=16, seed=5)
    a = TrainingSession(ds, s, builder=tiny_builder).run()
    b = TrainingSession(ds, TrainSettings(epochs=1, batch_size=16, seed=5), builder=tiny_builder).run()
    assert a.history[0].loss == pytest.approx(b.history[0].loss, rel=1e-4)


def test_bad_settings_are_clear_errors():
    with pytest.raises(HandSignError, match="epochs"):
        TrainSettings(epochs=0).validate()
    with pytest.raises(HandSignError, match="unknown preset"):
        settings_for("turbo")
    with pytest.raises(HandSignError, match="device"):
        from core.device import parse_device

        parse_device("tpu")


def test_unavailable_gpu_is_a_clear_error(signs):
    ds = _subset(signs, 4)
    from core.device import list_devices

    if "gpu:7" in list_devices():
        pytest.skip("this machine has 8 GPUs")
    with pytest.raises(HandSignError, match="gpu:7 is not available"):
        TrainingSession(ds, TrainSettings(epochs=1, device="gpu:7"), builder=tiny_builder).run()


def test_quick_preset_trains_on_most_of_the_validation_split(signs):
    ds = _subset(signs, 30)  # 180 train, 60 validation
    settings = settings_for("quick", epochs=1, batch_size=32)
    assert settings.val_per_class > 0
    session = TrainingSession(ds, settings, builder=tiny_builder)
    per_class = settings.val_per_class
    assert np.bincount(session.dataset.val.y).tolist() == [per_class] * 6
    assert len(session.dataset.train) == 180 + 60 - 6 * per_class
    result = session.run()
    assert result.run_card["dataset"]["train"] == len(session.dataset.train)
    assert result.run_card["dataset"]["val"] == 6 * per_class
    assert len(ds.val) == 60  # the caller's dataset is not changed
    assert settings.zero_gamma and settings_for("standard").zero_gamma and settings_for("ship").zero_gamma
    assert not settings_for("notebook").zero_gamma  # the notebook's own run, BatchNorm lag and all
    with pytest.raises(HandSignError, match="validation images per class"):
        TrainSettings(val_per_class=-1).validate()


@pytest.mark.parametrize("restore_best", [True, False])
def test_the_final_model_keeps_the_best_or_the_last_epoch(signs, restore_best):
    ds = _subset(signs, 10)
    snapshots = {}

    class Snap(Recorder):
        def on_epoch(self, m):
            super().on_epoch(m)
            snapshots[m.epoch] = [w.copy() for w in session.model.get_weights()]

    listener = Snap()
    settings = TrainSettings(epochs=3, batch_size=16, learning_rate=3e-3, augment=False, restore_best=restore_best)
    session = TrainingSession(ds, settings, listener, builder=tiny_builder)
    result = session.run()
    kept = result.run_card["best_epoch"] if restore_best else 3
    assert result.run_card["kept_weights"] == ("best" if restore_best else "last")
    for a, b in zip(session.model.get_weights(), snapshots[kept], strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_default_builder_applies_zero_gamma():
    from core.training.session import default_builder

    model = default_builder((64, 64, 3), 6, TrainSettings(zero_gamma=True))
    assert not np.any(model.get_layer("bn5c_branch2c").gamma.numpy())
    model = default_builder((64, 64, 3), 6, TrainSettings())
    assert np.all(model.get_layer("bn5c_branch2c").gamma.numpy() == 1)


# -- the batch feeder (TrainingSession's own loop; fit on a generator stalled ~45 s at the end) ----------------


def _id_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose first pixel encodes their index, so a batch says which images it holds."""
    x = np.zeros((n, 16, 16, 3), np.uint8)
    x[:, 0, 0, 0] = np.arange(n)
    return x, (np.arange(n) % 3).astype(np.int64)


def _ids(xb: np.ndarray) -> list[int]:
    return [round(float(v) * 255) for v in xb[:, 0, 0, 0]]  # batches arrive scaled to [0, 1]


def test_feeder_gives_every_image_once_per_epoch_in_a_new_order():
    from core.training.batches import Batches, BatchFeeder

    x, y = _id_images(50)
    batches = Batches(x, y, 8, augment=False, seed=3)
    feeder = BatchFeeder(batches, epochs=4)
    try:
        epochs = []
        for _ in range(4):
            ids = []
            for _ in range(len(batches)):
                xb, yb = feeder.get()
                ids += _ids(xb)
                assert list(yb) == [y[i] for i in _ids(xb)], "labels must travel with their images"
            epochs.append(ids)
    finally:
        feeder.close()
    for ids in epochs:
        assert sorted(ids) == list(range(50)), "each epoch must see every image exactly once"
    assert len({tuple(ids) for ids in epochs}) == 4, "each epoch must be reshuffled before its first batch"


def test_feeder_is_reproducible_from_the_seed():
    from core.training.batches import Batches, BatchFeeder

    def run(seed):
        x, y = _id_images(30)
        b = Batches(x, y, 7, augment=True, seed=seed)
        f = BatchFeeder(b, epochs=2)
        try:
            return [f.get()[0] for _ in range(2 * len(b))]
        finally:
            f.close()

    a, b, c = run(1), run(1), run(2)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c, strict=True))


def test_feeder_hands_a_failing_batch_to_the_training_thread_and_stops_cleanly():
    from core.training.batches import Batches, BatchFeeder

    class Broken(Batches):
        def batch(self, i):
            if i == 2:
                raise ValueError("corrupt batch 2")
            return super().batch(i)

    x, y = _id_images(40)
    feeder = BatchFeeder(Broken(x, y, 8, augment=False, seed=0), epochs=3)
    feeder.get(), feeder.get()
    with pytest.raises(ValueError, match="corrupt batch 2"):
        feeder.get()
    feeder.close()
    assert not feeder._thread.is_alive()

    # Closing while the producer is blocked on a full queue ends its thread too.
    feeder = BatchFeeder(Batches(x, y, 8, augment=False, seed=0), epochs=100)
    time.sleep(0.2)
    feeder.close()
    assert not feeder._thread.is_alive()


def test_epoch_metrics_are_the_means_over_the_epochs_batches(signs):
    ds = _subset(signs, 10)
    rec = Recorder()
    bs = 7
    TrainingSession(ds, TrainSettings(epochs=2, batch_size=bs, augment=False), rec, builder=tiny_builder).run()
    steps = rec.started[0].steps_per_epoch
    n = len(ds.train)
    for e, m in enumerate(rec.epochs):
        seen, correct = 0, 0.0
        for p in rec.batches[e * steps : (e + 1) * steps]:
            size = min(bs, n - (p.batch - 1) * bs)
            seen += size
            # Running accuracy over the images seen so far: each batch adds a whole number of
            # right answers, between none and all of the batch.
            added = p.accuracy * seen - correct
            assert added == pytest.approx(round(added), abs=1e-3) and -1e-3 <= added <= size + 1e-3, (p.batch, added)
            correct = p.accuracy * seen
        assert seen == n
        last = rec.batches[(e + 1) * steps - 1]
        assert m.loss == pytest.approx(last.loss) and m.accuracy == pytest.approx(last.accuracy)
