"""The Qt relay of a training run: :class:`TrainWorker` turns the child process's reports into signals.

It runs each training job (dataset loading and a ``core`` training session) in
a child process (``core.training.process``) and turns its listener callbacks,
sent over a pipe, into signals.  ``stop``/``pause``/``resume`` are called from
the UI thread and travel to the child over a second pipe.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot

from core.training.process import TrainJob

log = logging.getLogger(__name__)


class TrainWorker(QObject):
    """Runs each training job in a child process (``core.training.process``) and relays its reports as signals.

    The QThread this worker lives on waits on the child's pipe, so the UI thread
    only ever handles small messages; the child has its own GIL, so TensorFlow's
    long GIL-holding stretches (model building, tracing) cannot stall the window.
    """

    started = Signal(object)  # info dict from the session (epochs, steps, device, classes)
    dataset_ready = Signal(object)  # DatasetInfo
    progress = Signal(object)  # core.training.session.BatchProgress
    epoch_ended = Signal(object)  # core.training.session.EpochMetrics
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

        from core.training.process import run_child

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
