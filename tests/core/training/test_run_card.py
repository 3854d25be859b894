"""The run card of a run that fails: written, with the error, instead of left unwritten."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.splits import Dataset, Split
from core.training.session import TrainingSession, TrainSettings
from tests.conftest import tiny_builder


def _too_small_input(input_shape, classes, settings=None):
    """A real model for 32x32 images, given 64x64 ones: its first training step fails."""
    return tiny_builder((32, 32, 3), classes, settings)


def test_a_failed_run_writes_its_run_card_with_the_error(tmp_path):
    rng = np.random.default_rng(0)
    train = Split(rng.integers(0, 255, (8, 64, 64, 3), dtype=np.uint8), np.array([0, 1] * 4))
    ds = Dataset(["a", "b"], train, Split.empty((64, 64)), Split.empty((64, 64)), "memory", "folders")
    out = tmp_path / "failed.keras"
    session = TrainingSession(ds, TrainSettings(epochs=2, batch_size=4, augment=False), out=out,
                              builder=_too_small_input)
    with pytest.raises(Exception) as raised:
        session.run()
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["status"] == "failed"
    assert card["error"].startswith(type(raised.value).__name__) and str(raised.value)[:40] in card["error"]
    assert card["epochs"] == [] and card["settings"]["epochs"] == 2
    # No model, no checkpoint, and no temporary file left behind by the atomic write.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed.json"]
