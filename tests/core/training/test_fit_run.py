"""The fit-based run (core.training.distribute) as the session's listener sees it: start, batches, epochs,
a stop within one batch, pause and resume, and a saved model with its run card.  A streamed class-folder tree and
a depth-0 ResNet at 40 x 40 (the smallest side it takes), in this process on one device."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.data.stream import load_streamed_dataset
from core.model.files import load_model
from core.model.resnet import ResNet50
from core.training.session import TrainingSession
from core.training.settings import TrainSettings
from tests.conftest import write_image


@pytest.fixture
def tree(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("a", "b", "c"):
        for i in range(8):
            write_image(tmp_path / "tree" / cls / f"{i}.png", rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))
    return tmp_path / "tree"


def _builder(shape, classes, settings):
    return ResNet50(shape, classes, depth=0, bn_momentum=0.9)


class Recorder:
    def __init__(self, stop_at=None, pause_at=None):
        self.events: list[tuple] = []
        self.stop_at, self.pause_at = stop_at, pause_at
        self.session = None

    def on_start(self, info):
        self.events.append(("start", info.steps_per_epoch))

    def on_batch(self, p):
        self.events.append(("batch", p.epoch, p.batch))
        n = sum(1 for e in self.events if e[0] == "batch")
        if n == self.pause_at:
            self.session.pause()
            threading.Timer(0.5, self.session.resume).start()
        if n == self.stop_at:
            self.session.stop()

    def on_epoch(self, m):
        self.events.append(("epoch", m.epoch, m.val_accuracy))

    def on_log(self, message):
        self.events.append(("log", message))


def _session(tree, tmp_path, rec, **kw):
    ds = load_streamed_dataset(tree, (40, 40), val_split=0.25, test_split=0.25, seed=0)
    s = TrainSettings(epochs=2, batch_size=4, augment=True, augment_level="light", find_hand=False, seed=0, **kw)
    session = TrainingSession(ds, s, rec, out=tmp_path / "m.keras", builder=_builder)
    rec.session = session
    return session


def test_a_streamed_run_reports_pauses_and_saves(tree, tmp_path):
    rec = Recorder(pause_at=2)
    result = _session(tree, tmp_path, rec).run()
    assert result.status == "completed" and result.run_card["streamed"] is True
    starts = [e for e in rec.events if e[0] == "start"]
    assert starts == [("start", 3)]  # 12 training images, batch 4
    batches = [e for e in rec.events if e[0] == "batch"]
    assert batches == [("batch", ep, b) for ep in (1, 2) for b in (1, 2, 3)]
    assert [e[1] for e in rec.events if e[0] == "epoch"] == [1, 2]
    logs = [e[1] for e in rec.events if e[0] == "log"]
    assert "paused" in logs and "resumed" in logs
    model, info = load_model(result.model_path)
    assert info.class_names == ["a", "b", "c"] and result.run_card["test"]["n"] == 6
    assert result.checkpoint_path is not None and result.checkpoint_path.exists()


def test_a_stop_ends_the_run_within_one_batch(tree, tmp_path):
    rec = Recorder(stop_at=2)
    result = _session(tree, tmp_path, rec).run()
    assert result.status == "stopped"
    assert [e for e in rec.events if e[0] == "batch"] == [("batch", 1, 1), ("batch", 1, 2)]
    assert not [e for e in rec.events if e[0] == "epoch"]  # the stopped epoch is not recorded
    assert result.model_path.exists()  # the weights so far, saved as any stopped run's
