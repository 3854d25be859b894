"""Worker objects that run Keras off the UI thread, and the plain data they send back.

Each worker is a ``QObject`` moved to its own :class:`~gui.threads.WorkerThread`
and owns its own Keras model; no model object ever crosses threads.  The UI
talks to a worker through queued signals connected to its slots, and the
worker answers with typed signals.  Every job body runs inside ``try/except``
that emits ``errored(exception)`` and always ends with ``finished``.

* :class:`InferenceWorker`: loads the model the Classify tab uses, classifies
  frames and image files, describes the model for the Model tab.
* :class:`TrainWorker`: loads a dataset and runs a ``core`` training session,
  turning its listener callbacks into signals.  ``stop``/``pause``/``resume``
  are called directly from the UI thread (the session is thread-safe there).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from gui.threads import ensure_backend

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- messages


@dataclass
class ModelReport:
    """What the views need to know about a model (plain data, safe to pass between threads)."""

    path: Path | None
    class_names: list[str]
    input_size: tuple[int, int]
    summary: dict[str, Any]
    blocks: list[Any]  # core.architecture.Block
    run_card: dict[str, Any] = field(default_factory=dict)
    architecture: str = ""
    trained: bool = True  # False: the bare architecture, shown when no model file is loaded

    @property
    def title(self) -> str:
        return self.path.name if self.path else "ResNet-50 (untrained, architecture only)"


@dataclass
class FrameResult:
    kind: str  # "frame" or "file"
    seq: int
    prediction: Any = None  # core.inference.Prediction
    model_input: np.ndarray | None = None  # uint8, model size, as the network sees it
    image: np.ndarray | None = None  # decoded RGB image (file requests)
    path: str | None = None
    error: Exception | None = None
    bgr: bool = False


@dataclass
class TrainJob:
    source: str
    settings: Any  # core.training.TrainSettings
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
    description: str
    class_names: list[str]
    counts: dict[str, int]
    strip_images: np.ndarray  # fixed validation images for the "network learning" strip
    strip_labels: list[int]
    strip_index: list[int]  # their positions in the validation split


@dataclass
class TrainOutcome:
    result: Any  # core.training.TrainResult
    class_names: list[str]
    wrong_images: np.ndarray
    wrong_true: list[str]
    wrong_pred: list[str]

    @property
    def test_accuracy(self) -> float | None:
        rep = self.result.test_report
        return None if rep is None else float(rep["accuracy"])


def describe_model(model, path: Path | None, info, *, trained: bool = True) -> ModelReport:
    """Summary table and block outline of ``model``; call on the thread that owns it."""
    from core.architecture import Block, outline
    from core.summary import summarize

    summary = summarize(model)
    names = [layer["name"] for layer in summary["layers"]]
    if any(n.startswith("res2a_branch") for n in names):
        blocks = outline(model)
    else:  # not the notebook's ResNet-50: one box per layer
        blocks = [Block(x["name"], "layer", x["name"], x["type"], x["output_shape"], [x["name"]]) for x in summary["layers"]]
    return ModelReport(
        path=path,
        class_names=list(info.class_names),
        input_size=tuple(info.input_size),
        summary=summary,
        blocks=blocks,
        run_card=dict(info.run_card or {}),
        architecture=info.architecture or model.name,
        trained=trained,
    )


# --------------------------------------------------------------------------- inference


class InferenceWorker(QObject):
    started = Signal()  # the backend is imported and ready
    progress = Signal(str)  # a status line ("Loading TensorFlow…")
    devices_found = Signal(list)  # ["cpu", "gpu:0", ...]
    model_loaded = Signal(object)  # ModelReport
    summary_ready = Signal(object)  # ModelReport of the bare architecture
    result_ready = Signal(object)  # FrameResult (prediction or error)
    errored = Signal(object)  # an exception from a model job
    finished = Signal(str)  # the job that just ended: "start", "load", "frame", "file", "describe"

    def __init__(self):
        super().__init__()
        self.classifier = None  # owned by this worker's thread

    @Slot()
    def start(self):
        try:
            self.progress.emit("Loading TensorFlow…")
            ensure_backend()
            from core.device import list_devices

            self.devices_found.emit(list_devices())
            self.started.emit()
        except Exception as exc:
            log.exception("backend start failed")
            self.errored.emit(exc)
        finally:
            self.finished.emit("start")

    @Slot(str)
    def load_model(self, path: str):
        try:
            ensure_backend()
            from core.inference import Classifier

            self.progress.emit(f"Loading model {Path(path).name}…")
            t0 = time.perf_counter()
            clf = Classifier.load(path)
            clf.warm_up()
            report = describe_model(clf.model, Path(path), clf.info)
            self.classifier = clf  # the old model is dropped here, on its own thread
            log.info("loaded %s in %.2f s", path, time.perf_counter() - t0)
            self.model_loaded.emit(report)
        except Exception as exc:
            self.errored.emit(exc)
        finally:
            self.finished.emit("load")

    @Slot()
    def describe_architecture(self):
        """The untrained notebook ResNet-50, for the Model tab when no model file is loaded."""
        try:
            ensure_backend()
            from core.modelio import ModelInfo
            from core.resnet import ResNet50

            model = ResNet50()
            h, w = model.input_shape[1:3]
            info = ModelInfo([str(i) for i in range(model.output_shape[-1])], (h, w))
            self.summary_ready.emit(describe_model(model, None, info, trained=False))
        except Exception as exc:
            self.errored.emit(exc)
        finally:
            self.finished.emit("describe")

    def _predict(self, image, region, bgr):
        from core.inference import Prediction

        clf = self.classifier
        x = clf.prepare(image, region, bgr=bgr)
        t0 = time.perf_counter()
        probs = clf.probabilities(x[None])[0]
        return Prediction(probs, clf.class_names, time.perf_counter() - t0), x

    @Slot(object, object, int, bool)
    def classify_frame(self, image, region, seq, bgr):
        result = FrameResult("frame", seq, bgr=bgr)
        try:
            if self.classifier is None:
                from core.errors import ModelFileError

                raise ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)")
            result.prediction, result.model_input = self._predict(image, region, bgr)
        except Exception as exc:
            result.error = exc
        finally:
            self.result_ready.emit(result)
            self.finished.emit("frame")

    @Slot(str, object, int)
    def classify_file(self, path, region, seq):
        result = FrameResult("file", seq, path=path)
        try:
            from core.images import read_image

            result.image = read_image(path)
            if self.classifier is not None:
                result.prediction, result.model_input = self._predict(result.image, region, False)
        except Exception as exc:
            result.error = exc
        finally:
            self.result_ready.emit(result)
            self.finished.emit("file")


# --------------------------------------------------------------------------- training


def take_per_class(y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first ``k`` examples of each class (all when ``k`` <= 0)."""
    if k <= 0:
        return np.arange(len(y))
    idx = [np.flatnonzero(y == c)[:k] for c in np.unique(y)]
    return np.sort(np.concatenate(idx)) if idx else np.arange(0)


def strip_indices(y: np.ndarray, n_classes: int, size: int) -> list[int]:
    """A fixed, class-balanced pick of validation images (round-robin over classes)."""
    per_class = [list(np.flatnonzero(y == c)) for c in range(n_classes)]
    out: list[int] = []
    while len(out) < size and any(per_class):
        for lst in per_class:
            if lst and len(out) < size:
                out.append(int(lst.pop(0)))
    return out


class TrainWorker(QObject):
    started = Signal(object)  # info dict from the session (epochs, steps, device, classes)
    dataset_ready = Signal(object)  # DatasetInfo
    progress = Signal(object)  # core.training.BatchProgress
    epoch_ended = Signal(object)  # core.training.EpochMetrics
    logged = Signal(str)
    errored = Signal(object)  # exception
    finished = Signal(object)  # TrainOutcome, or None after an error / a stop before training began

    def __init__(self):
        super().__init__()
        self.session = None
        self._cancel = threading.Event()
        self._paused = False
        self._lock = threading.Lock()

    # Called from the UI thread.  The session's stop/pause/resume are thread-safe.
    def stop(self) -> None:
        self._cancel.set()
        with self._lock:
            if self.session is not None:
                self.session.stop()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self.session is not None:
                self.session.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self.session is not None:
                self.session.resume()

    # Listener callbacks, on this worker's thread.
    def on_start(self, info):
        self.started.emit(info)

    def on_batch(self, progress):
        self.progress.emit(progress)

    def on_epoch(self, metrics):
        self.epoch_ended.emit(metrics)

    def on_log(self, message):
        self.logged.emit(message)

    @Slot(object)
    def run(self, job: TrainJob):
        outcome = None
        self._cancel.clear()
        try:
            self.logged.emit(f"{job.title}: loading {job.source} …")
            ensure_backend()
            from core.data import load_dataset
            from core.training import TrainingSession

            ds = load_dataset(job.source, kind=job.kind, val_split=job.settings.val_split, seed=job.settings.seed,
                              classes=job.classes)
            if job.max_per_class > 0:
                ds.train = ds.train.take(take_per_class(ds.train.y, job.max_per_class))
            self.logged.emit(ds.describe())
            for _, reason in ds.skipped[:5]:
                self.logged.emit(f"skipped: {reason}")
            picks = strip_indices(ds.val.y, ds.num_classes, job.strip_size)
            self.dataset_ready.emit(DatasetInfo(
                ds.describe(), list(ds.class_names),
                {"train": len(ds.train), "val": len(ds.val), "test": len(ds.test)},
                ds.val.x[picks] if picks else np.zeros((0, 1, 1, 3), np.uint8),
                [int(ds.val.y[i]) for i in picks], picks,
            ))
            if self._cancel.is_set():
                self.logged.emit("stopped before training began")
                return
            session = TrainingSession(ds, job.settings, self, out=job.out, builder=job.builder,
                                      initial_model=job.initial_model)
            with self._lock:
                self.session = session
                if self._cancel.is_set():
                    session.stop()
                if self._paused:
                    session.pause()
            result = session.run()
            wrong_images = np.zeros((0,) + ds.test.x.shape[1:], np.uint8)
            wrong_true: list[str] = []
            wrong_pred: list[str] = []
            if result.test_predictions is not None:
                wrong = np.flatnonzero(result.test_predictions != ds.test.y)
                wrong_images = ds.test.x[wrong]
                wrong_true = [ds.class_names[int(ds.test.y[i])] for i in wrong]
                wrong_pred = [ds.class_names[int(result.test_predictions[i])] for i in wrong]
            outcome = TrainOutcome(result, list(ds.class_names), wrong_images, wrong_true, wrong_pred)
        except Exception as exc:
            log.info("training failed: %s", exc, exc_info=True)
            self.errored.emit(exc)
        finally:
            with self._lock:
                self.session = None
            self.finished.emit(outcome)
