"""The Qt relay of a training run: :class:`TrainWorker` turns a training process's events into signals.

Each job runs in a child process (``core.training.process.TrainProcess``);
this worker, on its own QThread, reads the child's events and emits one typed
signal per event.  ``stop``/``pause``/``resume`` are called from the UI thread
and travel to the child over its control pipe.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot

from core.training.process import MessageKind, TrainJob, TrainProcess

log = logging.getLogger(__name__)


class TrainWorker(QObject):
    """Runs each training job in a child process and relays its events as signals.

    The QThread this worker lives on waits on the child's pipe, so the UI thread
    only ever handles small messages; the child has its own GIL, so TensorFlow's
    long GIL-holding stretches (model building, tracing) cannot stall the window.
    """

    started = Signal(object)  # core.training.reports.RunStart (epochs, steps_per_epoch, train, val, device, ...)
    dataset_ready = Signal(object)  # core.training.protocol.DatasetInfo
    progress = Signal(object)  # core.training.reports.BatchProgress
    epoch_ended = Signal(object)  # core.training.reports.EpochMetrics
    logged = Signal(str)
    errored = Signal(object)  # exception
    finished = Signal(object)  # TrainOutcome, or None after an error / a stop before training began

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._next: TrainProcess | None = None  # the running job's process, or the next job's
        self.process: TrainProcess | None = None  # while a child runs

    def _steered(self) -> TrainProcess:
        """The process that stop/pause/resume reach: a request before the job starts waits for it."""
        with self._lock:
            if self._next is None:
                self._next = TrainProcess()
            return self._next

    # Called from the UI thread.
    def stop(self) -> None:
        self._steered().stop()

    def pause(self) -> None:
        self._steered().pause()

    def resume(self) -> None:
        self._steered().resume()

    @staticmethod
    def _hello(hello) -> None:
        log.debug("training child %s started", hello.pid)
        if hello.qt_modules:  # the child is meant to be Qt-free (core only); something imported gui
            log.warning("the training child loaded Qt modules: %s", ", ".join(hello.qt_modules))

    @Slot(object)
    def run(self, job: TrainJob):
        relay = {MessageKind.START: self.started.emit, MessageKind.DATASET: self.dataset_ready.emit,
                 MessageKind.BATCH: self.progress.emit, MessageKind.EPOCH: self.epoch_ended.emit,
                 MessageKind.LOG: self.logged.emit, MessageKind.ERROR: self.errored.emit,
                 MessageKind.HELLO: self._hello}
        proc = self._steered()
        reported = False
        try:
            proc.start(job)
            self.process = proc
            for event in proc.events():
                if event.kind is MessageKind.FINISH:
                    self.finished.emit(event.payload)  # report now; the process may take a moment to exit
                    reported = True
                else:
                    relay[event.kind](event.payload)
        except Exception as exc:
            log.info("training failed: %s", exc, exc_info=True)
            self.errored.emit(exc)
        finally:
            with self._lock:
                if self._next is proc:
                    self._next = None
            proc.close()
            self.process = None
            if not reported:
                self.finished.emit(None)
