"""What a training session reports while it runs, and what it returns.

A listener (any object with some of :class:`TrainingListener`'s methods) gets
:class:`RunStart`, then :class:`BatchProgress` after every batch and
:class:`EpochMetrics` after every epoch; ``run`` returns a :class:`TrainResult`.
All are plain dataclasses, so they pickle across the training process's pipe.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class RunStart:
    """What a run is about to do, sent to ``on_start`` before the first batch."""

    epochs: int
    steps_per_epoch: int
    train: int
    val: int
    device: str
    class_names: list[str]


@dataclass
class BatchProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    loss: float
    accuracy: float
    images_per_second: float
    eta_seconds: float


@dataclass
class EpochMetrics:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    learning_rate: float
    val_predictions: list[int] | None = None  # predicted class of each validation image
    projection: np.ndarray | None = None  # (N, 2) points of DatasetInfo.projection_images (training child only)

    @property
    def score(self) -> tuple[float, float]:
        """What ranks epochs: validation accuracy then loss, or training's where nothing validates."""
        return (self.val_accuracy if self.val_accuracy is not None else self.accuracy,
                self.val_loss if self.val_loss is not None else self.loss)

    def card_entry(self) -> dict[str, Any]:
        """This epoch as the run card records it (no per-image predictions or projection)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("val_predictions", "projection")}

    def log_line(self, epochs: int) -> str:
        msg = f"epoch {self.epoch}/{epochs}: loss {self.loss:.4f} acc {self.accuracy:.4f}"
        if self.val_accuracy is not None:
            msg += f"  val_loss {self.val_loss:.4f} val_acc {self.val_accuracy:.4f}"
        return msg + f"  ({self.seconds:.1f} s)"


@dataclass
class BestEpoch:
    """The best epoch so far, by validation accuracy (then loss), and its weights."""

    accuracy: float = -1.0
    loss: float = math.inf
    weights: list | None = None
    epoch: int = 0

    def beaten_by(self, score: tuple[float, float]) -> bool:
        accuracy, loss = score
        return accuracy > self.accuracy or (accuracy == self.accuracy and loss < self.loss)


@dataclass
class TrainResult:
    status: str  # "completed", "stopped" or "failed"
    model_path: Path | None
    checkpoint_path: Path | None
    run_card: dict[str, Any]
    test_report: dict[str, Any] | None = None
    test_predictions: np.ndarray | None = None
    history: list[EpochMetrics] = field(default_factory=list)


class TrainingListener:
    """All methods optional; they are called on the training thread."""

    def on_start(self, info: RunStart) -> None: ...
    def on_batch(self, progress: BatchProgress) -> None: ...
    def on_epoch(self, metrics: EpochMetrics) -> None: ...
    def on_log(self, message: str) -> None: ...
    def on_finish(self, result: TrainResult) -> None: ...
