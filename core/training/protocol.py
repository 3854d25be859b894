"""The training process's protocol: the job, the messages both ways, and the outcome.

Parent -> child: a :class:`TrainJob` (when the child starts), then
:class:`Control` values.  Child -> parent: :class:`Event` objects, each a
:class:`MessageKind` and its payload:

=========  ==============================================================
HELLO      :class:`ChildHello` (pid, Qt modules loaded: none, by design)
DATASET    :class:`DatasetInfo`
START      ``core.training.reports.RunStart``
BATCH      ``core.training.reports.BatchProgress``
EPOCH      ``core.training.reports.EpochMetrics``
LOG        ``str``
ERROR      the exception (or a RuntimeError with its text when it does not pickle)
FINISH     :class:`TrainOutcome`, or None after an error or a stop before training began;
           always the last message
=========  ==============================================================

A ``core.explain.compare.CompareJob`` (the residual-vs-plain experiment) uses the
same messages, with that module's payloads: START ``CompareStart``, BATCH
``CompareBatch``, EPOCH ``CompareEpoch``, FINISH ``CompareResult``; no DATASET.

No Qt here, and nothing that imports it: the child unpickles these types.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from core.training.reports import TrainResult
from core.training.settings import TrainSettings

# The GUI's toolkit: the training child must never load these (they would cost memory and start-up
# time, and a Qt import in a spawned child is a sign that gui code leaked into the protocol).
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")


class MessageKind(Enum):
    HELLO = "hello"
    DATASET = "dataset"
    START = "start"
    BATCH = "batch"
    EPOCH = "epoch"
    LOG = "log"
    ERROR = "error"
    FINISH = "finish"


class Control(Enum):
    """Requests to the child's training session; the values are the session's method names."""

    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"


@dataclass
class Event:
    kind: MessageKind
    payload: Any = None


@dataclass
class ChildHello:
    """The child's first message, once its training code is imported."""

    pid: int
    qt_modules: list[str]  # loaded Qt modules (packages and submodules); empty unless something is wrong


def loaded_qt_modules() -> list[str]:
    """The modules of the Qt packages (``QT_MODULES``) this process has imported, sorted."""
    return sorted(name for name in sys.modules if name.split(".")[0] in QT_MODULES)


@dataclass
class TrainJob:
    """One training run for the child: where the data is, the settings, where the model goes."""

    source: str
    settings: TrainSettings
    out: Path
    kind: str = "auto"
    classes: list[str] | None = None  # restrict a class-folder tree to these (fine-tuning)
    initial_model: Path | None = None
    max_per_class: int = 0  # 0: all training images
    builder: Callable | None = None  # None: the notebook's ResNet-50
    strip_size: int = 12
    title: str = "training"


@dataclass
class DatasetInfo:
    """The data the child loaded, sent before training starts."""

    class_names: list[str]
    counts: dict[str, int]
    strip_images: np.ndarray  # fixed validation images for the "network learning" strip
    strip_labels: list[int]
    strip_index: list[int]  # their positions in the validation split
    projection_images: np.ndarray | None = None  # (N, 64, 64, 3) thumbnails of the images EpochMetrics.projection places
    projection_labels: list[int] | None = None


@dataclass
class TrainOutcome:
    """A finished (or stopped) run: the session's result and the misclassified test images."""

    result: TrainResult
    class_names: list[str]
    wrong_images: np.ndarray
    wrong_true: list[str]
    wrong_pred: list[str]

    @property
    def test_accuracy(self) -> float | None:
        rep = self.result.test_report
        return None if rep is None else float(rep["accuracy"])
