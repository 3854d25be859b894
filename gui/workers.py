"""Worker objects that run Keras off the UI thread, and the plain data they send back.

Each worker is a ``QObject`` moved to its own :class:`~gui.threads.WorkerThread`
and owns its own Keras model; no model object ever crosses threads.  The UI
talks to a worker through queued signals connected to its slots, and the
worker answers with typed signals.  Every job body runs inside ``try/except``
that emits ``errored(exception)`` and always ends with ``finished``.

* :class:`InferenceWorker`: loads the model the Classify tab uses, classifies
  frames and image files, describes the model for the Model tab.
* :class:`TrainWorker`: runs each training job (dataset loading and a ``core``
  training session) in a child process and turns its listener callbacks, sent
  over a pipe, into signals.  ``stop``/``pause``/``resume`` are called from the
  UI thread and travel to the child over a second pipe.
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
    engine: str = ""  # the per-frame inference engine (core.inference.Classifier.engine)

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
            report.engine = clf.engine
            self.classifier = clf  # the old model is dropped here, on its own thread
            log.info("loaded %s in %.2f s (per-frame engine: %s)", path, time.perf_counter() - t0, report.engine)
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
    """Runs each training job in a child process (``gui.train_process``) and relays its reports as signals.

    The QThread this worker lives on waits on the child's pipe, so the UI thread
    only ever handles small messages; the child has its own GIL, so TensorFlow's
    long GIL-holding stretches (model building, tracing) cannot stall the window.
    """

    started = Signal(object)  # info dict from the session (epochs, steps, device, classes)
    dataset_ready = Signal(object)  # DatasetInfo
    progress = Signal(object)  # core.training.BatchProgress
    epoch_ended = Signal(object)  # core.training.EpochMetrics
    logged = Signal(str)
    errored = Signal(object)  # exception
    finished = Signal(object)  # TrainOutcome, or None after an error / a stop before training began

    def __init__(self):
        super().__init__()
        self._control = None
        self._lock = threading.Lock()
        self._wanted: list[str] = []
        self.process = None

    # Called from the UI thread.
    def _send(self, msg: str) -> None:
        with self._lock:
            if self._control is None:
                self._wanted.append(msg)
                return
            try:
                self._control.send(msg)
            except (OSError, ValueError):  # the child has already ended
                pass

    def stop(self) -> None:
        self._send("stop")

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    @Slot(object)
    def run(self, job: TrainJob):
        import multiprocessing as mp

        from gui.train_process import run_child

        outcome = None
        ctx = mp.get_context("spawn")  # never fork a process that has Qt and TensorFlow threads
        events_r, events_w = ctx.Pipe(duplex=False)
        control_r, control_w = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=run_child, args=(job, events_w, control_r), name="handsign-training", daemon=True)
        started = reported = False
        try:
            proc.start()
            started = True
            events_w.close()
            control_r.close()
            self.process = proc
            with self._lock:
                self._control = control_w
                for msg in self._wanted:
                    control_w.send(msg)
                self._wanted.clear()
            handlers = {"start": self.started.emit, "dataset": self.dataset_ready.emit, "batch": self.progress.emit,
                        "epoch": self.epoch_ended.emit, "log": self.logged.emit, "error": self.errored.emit}
            while True:
                try:
                    kind, payload = events_r.recv()
                except EOFError:  # the child ended without saying goodbye (killed, crashed)
                    proc.join(5)
                    if outcome is None:
                        self.errored.emit(RuntimeError(
                            f"the training process ended unexpectedly (exit code {proc.exitcode})"))
                    break
                if kind == "finish":
                    outcome = payload
                    # Report now; the process may take a moment to exit (joined below).
                    with self._lock:
                        self._control = None
                    self.finished.emit(outcome)
                    reported = True
                    break
                handlers[kind](payload)
        except Exception as exc:
            log.info("training failed: %s", exc, exc_info=True)
            self.errored.emit(exc)
        finally:
            with self._lock:
                self._control = None
                self._wanted.clear()
            control_w.close()
            if started:
                proc.join(60)
                if proc.is_alive():  # it had its minute to save; do not leave it behind
                    log.warning("the training process did not end; terminating it")
                    proc.terminate()
                    proc.join(5)
            else:
                events_w.close()
                control_r.close()
            events_r.close()
            self.process = None
            if not reported:
                self.finished.emit(outcome)
