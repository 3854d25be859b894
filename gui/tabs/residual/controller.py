"""The Residual vs plain tab's logic: start and stop the experiment, turn its reports into view updates.

The experiment runs in the training child process (a ``CompareJob``), relayed
by a :class:`gui.workers.compare.CompareWorker` on its own QThread; the UI
thread only receives small messages and redraws.  A problem (no dataset, the
child failing) is shown in the view's banner and the tab keeps working.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from core.explain.compare import CompareJob, CompareSettings
from core.explain.verdict import verdict
from gui.tabs.residual.history import CompareHistory
from gui.threads import start_worker, stop_thread
from gui.widgets.plots import StaggeredRedraw
from gui.workers.compare import CompareWorker

log = logging.getLogger(__name__)


class ResidualController(QObject):
    run_requested = Signal(object)  # CompareJob -> CompareWorker.run, queued onto the worker's thread
    running_changed = Signal(bool)
    status_message = Signal(str, int)

    def __init__(self, view, parent=None):
        super().__init__(parent)
        self.view = view
        self.history = CompareHistory()
        self.worker: CompareWorker | None = None
        self.worker_thread = None
        self.running = False
        self.result = None
        self.data_source: str | None = None  # None: SIGNS in the data folder
        self.batchnorm_on = True
        # Each plot in its own turn of the event loop: all three in one paint blocked the UI thread for 50 ms.
        self.redraw = StaggeredRedraw({
            "loss": lambda: view.loss_plot.show_history(self.history),
            "accuracy": lambda: view.acc_plot.show_history(self.history),
            "gradients": self._show_epoch_figures,
        }, parent=self)

    def _ensure_worker(self) -> None:
        if self.worker is not None:
            return
        self.worker = w = CompareWorker()
        w.started.connect(self.on_started)
        w.progress.connect(self.on_batch)
        w.epoch_ended.connect(self.on_epoch)
        w.logged.connect(lambda text: log.info("compare: %s", text))
        w.errored.connect(self.on_error)
        w.finished.connect(self.on_finished)
        self.worker_thread = start_worker(w, "compare")
        self.run_requested.connect(w.run)

    def start(self, **overrides) -> bool:
        """Start a run with the view's settings (``overrides`` replace any); False when it cannot start."""
        from core.errors import HandSignError
        from core.paths import resolve_data

        if self.running:
            return False
        try:
            settings = CompareSettings(**{**self.view.chosen(), **overrides}).check()
            source = resolve_data(self.data_source)
            if not source.exists():
                raise HandSignError(f"no dataset at {source}: put SIGNS in the data folder")
        except HandSignError as exc:
            self.view.show_error(str(exc))
            return False
        self.batchnorm_on = settings.batchnorm
        self.redraw.cancel()
        self.history, self.result = CompareHistory(), None
        self._ensure_worker()
        self.view.show_loading()
        self._set_running(True)
        self.run_requested.emit(CompareJob(str(source), settings))
        return True

    def stop(self) -> None:
        if self.running and self.worker is not None:
            self.worker.stop()
            self.view.status_label.setText("Stopping after this batch…")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.view.set_running(running)
        self.running_changed.emit(running)

    # -- the run's reports (queued from the worker's thread) ---------------------------------------
    def on_started(self, start) -> None:
        self.history.add_start(start)
        self.view.show_started(start)

    def on_batch(self, b) -> None:
        self.history.add_batch(b)
        self.view.show_progress(b, self.history.epochs_planned)
        self.redraw.request("loss", "accuracy")

    def on_epoch(self, e) -> None:
        self.history.add_epoch(e)
        self.redraw.request()

    def _show_epoch_figures(self) -> None:
        self.view.show_norms(self.history)
        nets = self.history.nets
        self.view.show_verdict(verdict(nets["residual"], nets["plain"], self.batchnorm_on))

    def on_error(self, exc) -> None:
        self.view.show_error(str(exc) or type(exc).__name__)
        self.status_message.emit(f"Residual vs plain: {exc}", 8000)

    def on_finished(self, result) -> None:
        self.result = result
        self._set_running(False)
        seconds = None if result is None else result.seconds
        self.view.show_done(result is None or result.stopped, self.history.epochs_seen, seconds)

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        self.redraw.cancel()
        if self.worker is not None:
            self.worker.stop()
        ok = stop_thread(self.worker_thread, timeout_ms)
        self.worker_thread = None
        return ok
