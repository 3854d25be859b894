"""The Train tab's curve history: where each batch and epoch lands, and which series a metric reads."""

from __future__ import annotations

import pytest

from core.training.session import BatchProgress, EpochMetrics
from gui.tabs.train.history import CurveHistory


def _batch(epoch, batch, loss, acc, batches=4):
    return BatchProgress(epoch=epoch, epochs=3, batch=batch, batches=batches, loss=loss, accuracy=acc,
                         images_per_second=100.0, eta_seconds=5.0)


def _epoch(epoch, loss, acc, val_loss=None, val_acc=None):
    return EpochMetrics(epoch=epoch, loss=loss, accuracy=acc, val_loss=val_loss, val_accuracy=val_acc,
                        seconds=1.0, learning_rate=1e-3)


def test_batches_sit_inside_their_epoch_and_the_newest_is_kept():
    h = CurveHistory()
    assert h.batches_seen == 0 and h.epochs_seen == 0 and h.last_progress is None
    for b in range(1, 5):
        h.add_batch(_batch(1, b, loss=2.0 - b / 10, acc=b / 10))
    last = _batch(2, 2, loss=1.0, acc=0.7)
    h.add_batch(last)
    assert h.batch.x == [0.25, 0.5, 0.75, 1.0, 1.5]  # epoch 1 ends at x = 1, where its epoch point is drawn
    assert h.batch.loss == [1.9, 1.8, 1.7, 1.6, 1.0] and h.batch.accuracy == [0.1, 0.2, 0.3, 0.4, 0.7]
    assert h.batches_seen == 5 and h.last_progress is last
    assert h.epochs_seen == 0 and len(h.epoch) == 0


def test_epochs_add_validation_points_only_when_there_is_validation():
    h = CurveHistory()
    h.add_epoch(_epoch(1, 1.5, 0.4, val_loss=1.7, val_acc=0.3))
    h.add_epoch(_epoch(2, 1.1, 0.6))  # a dataset without a validation split
    h.add_epoch(_epoch(3, 0.8, 0.8, val_loss=0.9, val_acc=0.75))
    assert h.epochs_seen == 3
    assert (h.epoch.x, h.epoch.loss, h.epoch.accuracy) == ([1, 2, 3], [1.5, 1.1, 0.8], [0.4, 0.6, 0.8])
    assert (h.validation.x, h.validation.loss, h.validation.accuracy) == ([1, 3], [1.7, 0.9], [0.3, 0.75])
    assert h.batches_seen == 0


def test_a_curve_reads_loss_or_accuracy_and_nothing_else():
    h = CurveHistory()
    h.add_epoch(_epoch(1, 1.5, 0.4, val_loss=1.7, val_acc=0.3))
    assert h.validation.values("loss") == [1.7] and h.validation.values("accuracy") == [0.3]
    with pytest.raises(ValueError, match="unknown metric 'x'"):
        h.epoch.values("x")
