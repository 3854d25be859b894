"""Worker objects that run Keras off the UI thread, and the plain data they send back.

Each worker is a ``QObject`` moved to its own :class:`~gui.threads.WorkerThread`
and owns its own Keras model; no model object ever crosses threads.  The UI
talks to a worker through queued signals connected to its slots, and the
worker answers with typed signals.  Every job body runs inside ``try/except``
and always ends with ``finished``: a model job's error is emitted as
``errored(exception)``; a frame or file job's error travels in its
``FrameResult.error``, so the view shows it next to that frame.

:class:`InferenceWorker` loads the model the Classify tab uses, classifies
frames and image files, and describes the model for the Model tab
(``core.model.describe``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.model.describe import describe_model
from gui.threads import ensure_backend

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- messages


@dataclass
class FrameResult:
    """One classified frame or image file, or why it could not be classified."""

    kind: str  # "frame" or "file"
    seq: int
    prediction: Any = None  # core.inference.classifier.Prediction
    model_input: np.ndarray | None = None  # uint8, model size, as the network sees it
    image: np.ndarray | None = None  # decoded RGB image (file requests)
    path: str | None = None
    error: Exception | None = None


# --------------------------------------------------------------------------- inference


class InferenceWorker(QObject):
    started = Signal()  # the backend is imported and ready
    progress = Signal(str)  # a status line ("Loading TensorFlow…")
    devices_found = Signal(list)  # ["cpu", "gpu:0", ...]
    model_loaded = Signal(object)  # core.model.describe.ModelReport
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
            from core.inference.classifier import Classifier

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
            from core.model.files import ModelInfo
            from core.model.resnet import ResNet50

            model = ResNet50()
            h, w = model.input_shape[1:3]
            info = ModelInfo([str(i) for i in range(model.output_shape[-1])], (h, w))
            self.summary_ready.emit(describe_model(model, None, info, trained=False))
        except Exception as exc:
            self.errored.emit(exc)
        finally:
            self.finished.emit("describe")

    @Slot(object, object, int, bool)
    def classify_frame(self, image, region, seq, bgr):
        result = FrameResult("frame", seq)
        try:
            if self.classifier is None:
                from core.errors import ModelFileError

                raise ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)")
            result.prediction, result.model_input = self.classifier.classify_frame_and_input(image, region, bgr=bgr)
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
                result.prediction, result.model_input = self.classifier.classify_frame_and_input(result.image, region)
        except Exception as exc:
            result.error = exc
        finally:
            self.result_ready.emit(result)
            self.finished.emit("file")
