"""The notebook's ResNet-50 learns through the current training code: a few real batches lower the loss."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.datasets import load_dataset
from core.data.splits import Dataset, Split
from core.training.session import TrainingSession, TrainSettings


class _Losses:
    def __init__(self):
        self.epochs = []

    def on_epoch(self, metrics):
        self.epochs.append(metrics)


@pytest.mark.slow
def test_notebook_resnet50_lowers_its_training_loss_on_signs(signs_dir):
    from core.model.resnet import ResNet50

    signs = load_dataset(signs_dir, kind="cs230")
    idx = np.concatenate([np.flatnonzero(signs.train.y == c)[:6] for c in range(6)])  # 36 real images
    empty = Split.empty((64, 64))
    ds = Dataset(signs.class_names, signs.train.take(idx), empty, empty, signs.source, signs.kind)

    def notebook_resnet(input_shape, classes, settings):
        assert tuple(input_shape) == (64, 64, 3) and classes == 6
        return ResNet50(input_shape, classes)

    losses = _Losses()
    # 7 epochs of 3 batches (12, 12, 12 images) on the same subset: 21 steps of the full network.
    settings = TrainSettings(epochs=7, batch_size=12, learning_rate=1e-3, schedule="constant", augment=False,
                             val_split=0.0, seed=0)
    result = TrainingSession(ds, settings, losses, builder=notebook_resnet).run()
    assert result.status == "completed"
    assert result.run_card["settings"]["epochs"] == 7 and len(losses.epochs) == 7
    # Mean loss of the first epoch's 3 batches against that of the last two epochs' 6 (one epoch
    # alone can spike on so few images; from scratch the loss starts near ln 6 = 1.8 or above).
    first = losses.epochs[0].loss
    last = float(np.mean([m.loss for m in losses.epochs[-2:]]))
    assert np.isfinite(first) and first > 1.0
    assert last < 0.5 * first, f"training loss went from {first:.3f} to {last:.3f} over 21 batches"
