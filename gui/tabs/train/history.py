"""What the Train tab's curves show: one run's loss and accuracy, per batch, per epoch and on validation.

Qt-free, so the bookkeeping is testable on its own; the live view draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Curve:
    """One series of points: x in epochs (fractional for batches), with the loss and accuracy at each."""

    x: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def add(self, x: float, loss: float, accuracy: float) -> None:
        self.x.append(x)
        self.loss.append(loss)
        self.accuracy.append(accuracy)

    def values(self, metric: str) -> list[float]:
        """The y values of ``metric`` ("loss" or "accuracy")."""
        if metric not in ("loss", "accuracy"):
            raise ValueError(f"unknown metric {metric!r}: use 'loss' or 'accuracy'")
        return getattr(self, metric)

    def __len__(self) -> int:
        return len(self.x)


class CurveHistory:
    """A run's training curves: every batch (thin), every epoch (train), and validation when there is one.

    ``add_batch`` takes a :class:`core.training.session.BatchProgress` and
    ``add_epoch`` an :class:`core.training.session.EpochMetrics`; the newest
    batch progress is kept for the progress bar, images/s and ETA.
    """

    def __init__(self):
        self.batch = Curve()
        self.epoch = Curve()
        self.validation = Curve()
        self.last_progress = None

    @property
    def batches_seen(self) -> int:
        return len(self.batch)

    @property
    def epochs_seen(self) -> int:
        return len(self.epoch)

    def add_batch(self, progress) -> None:
        # Batch k of n in epoch e sits at e - 1 + k / n, so epoch e's own point (at x = e) ends its batches.
        x = (progress.epoch - 1) + progress.batch / max(1, progress.batches)
        self.batch.add(x, progress.loss, progress.accuracy)
        self.last_progress = progress

    def add_epoch(self, metrics) -> None:
        self.epoch.add(metrics.epoch, metrics.loss, metrics.accuracy)
        if metrics.val_loss is not None:
            self.validation.add(metrics.epoch, metrics.val_loss, metrics.val_accuracy)
