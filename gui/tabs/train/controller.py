"""The Train tab's logic: builds training jobs, owns the training worker, and keeps one run's state.

Like :class:`gui.tabs.classify.ClassifyController`, it talks to its views only
through intent-named methods (``show_loading``, ``show_progress``,
``show_results``, ``show_error`` …).  The training itself runs in a child
process that a :class:`~gui.workers.training.TrainWorker` relays from its own
QThread.  Batch progress can arrive hundreds of times a second with a small
model, so the controller stores it and redraws the curves on a 10 Hz timer
instead of per signal, one plot per turn of the event loop
(:class:`gui.widgets.plots.StaggeredRedraw`).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from core.errors import HandSignError
from core.training.process import TrainJob
from gui.tabs.train.history import CurveHistory
from gui.threads import start_worker, stop_thread
from gui.widgets.plots import StaggeredRedraw
from gui.workers.training import TrainWorker

REDRAW_MS = 100


class TrainController(QObject):
    """One training at a time: start, fine-tune, pause, stop, and what to do with the model it made."""

    run_requested = Signal(object)  # TrainJob -> TrainWorker.run, queued onto the worker's thread
    running_changed = Signal(bool)
    use_model_requested = Signal(str)  # path of the trained model
    status_message = Signal(str, int)

    def __init__(self, panel, live, results, parent=None):
        super().__init__(parent)
        self.panel, self.live, self.results = panel, live, results
        self.builder = None  # None: the notebook ResNet-50 (tests plug in a small model)
        self.current_model_path: Path | None = None  # the Classify tab's model, for fine-tuning
        self.current_model_classes: list[str] | None = None
        self.worker: TrainWorker | None = None
        self.worker_thread = None
        self.running = False
        self.paused = False
        self.job: TrainJob | None = None
        self.dataset = None  # the running job's DatasetInfo, once loaded
        self.outcome = None
        self.history = CurveHistory()
        self._dirty = False
        self._started_at = 0.0
        # The two plots in separate turns of the event loop: one paint of both blocks the UI thread twice as long.
        self.curves = StaggeredRedraw({"loss": lambda: live.loss_plot.show_metric(self.history, "loss"),
                                       "accuracy": lambda: live.acc_plot.show_metric(self.history, "accuracy")},
                                      parent=self)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)
        self.redraw_timer.start()

    # -- starting ------------------------------------------------------------------------------
    def start_training(self) -> bool:
        """Train on the panel's dataset with its settings; False (and a message) when that cannot start."""
        path, kind = self.panel.dataset_source()
        if not path:
            self.live.show_error("choose a dataset folder first")
            return False
        try:
            settings = self.panel.train_settings()
        except HandSignError as exc:
            self.live.show_error(str(exc))
            return False
        settings.preset = self.panel.preset_combo.currentData()
        return self.run_job(TrainJob(path, settings, _out_path("run"), kind=kind,
                                     max_per_class=self.panel.max_per_class.value(), builder=self.builder,
                                     title="training"))

    def start_finetune(self) -> bool:
        """Fine-tune the current model on the collected samples (the ``finetune`` preset)."""
        from core.paths import collected_dir

        if self.current_model_path is None or not Path(self.current_model_path).exists():
            self.live.show_error("fine-tuning starts from the current model: load one first (Ctrl+M)")
            return False
        folder = collected_dir()
        if not folder.is_dir() or not any(p.is_dir() and any(p.iterdir()) for p in folder.iterdir()):
            self.live.show_error(f"no collected samples yet in {folder}: capture some on the Collect tab")
            return False
        settings = self.panel.finetune_settings()
        started = self.run_job(TrainJob(str(folder), settings, _out_path("finetune"), kind="folders",
                                        classes=self.current_model_classes,
                                        initial_model=Path(self.current_model_path), title="fine-tuning"))
        if started:
            self.panel.show_finetune(settings)
        return started

    def run_job(self, job: TrainJob) -> bool:
        """Hand ``job`` to the worker; False while another run is going."""
        if self.running:
            return False
        self._ensure_worker()
        self.history = CurveHistory()
        self.dataset = None
        self.outcome = None
        self.job = job
        self.live.show_loading()
        self.results.reset()
        self._dirty = True
        self._started_at = time.monotonic()
        self._set_running(True)
        self.run_requested.emit(job)
        return True

    def _ensure_worker(self) -> None:
        if self.worker is not None:
            return
        self.worker = w = TrainWorker()
        w.started.connect(self.on_started)
        w.dataset_ready.connect(self.on_dataset)
        w.progress.connect(self.on_batch)
        w.epoch_ended.connect(self.on_epoch)
        w.logged.connect(self.results.append_log)
        w.errored.connect(self.on_error)
        w.finished.connect(self.on_finished)
        self.worker_thread = start_worker(w, "training")
        self.run_requested.connect(w.run)

    # -- while it runs ----------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if not self.running or self.worker is None:
            return
        self.paused = not self.paused
        if self.paused:
            self.worker.pause()
        else:
            self.worker.resume()
        self.panel.show_paused(self.paused)
        self.live.show_paused(self.paused)

    def stop_training(self) -> None:
        """Ask the run to end: it finishes the current batch, then evaluates and saves."""
        if self.running and self.worker is not None:
            self.worker.stop()
            self.results.append_log("stop requested: finishing the current batch, then evaluating and saving…")
            self.panel.show_stopping()

    def _set_running(self, running: bool) -> None:
        self.running = running
        if not running:
            self.paused = False
        self.panel.set_running(running)
        self.running_changed.emit(running)

    def on_dataset(self, info) -> None:
        self.dataset = info
        self.live.show_strip(info.strip_images, info.strip_labels, info.class_names)
        if info.projection_images is not None:
            self.live.show_projection_images(info.projection_images, info.projection_labels, info.class_names)

    def on_started(self, info) -> None:
        """``info``: the session's :class:`core.training.reports.RunStart`."""
        self.live.show_started(info.epochs, info.steps_per_epoch, info.train, info.val)
        if self.job is not None and self.job.settings.preset == "finetune":
            self.panel.show_finetune(self.job.settings, epochs=info.epochs)

    def on_batch(self, progress) -> None:
        self.history.add_batch(progress)
        self._dirty = True

    def on_epoch(self, metrics) -> None:
        self.history.add_epoch(metrics)
        info = self.dataset
        if metrics.val_predictions is not None and info is not None and len(info.strip_images):
            preds = [metrics.val_predictions[i] for i in info.strip_index if i < len(metrics.val_predictions)]
            if len(preds) == len(info.strip_labels):
                self.live.show_guesses(info.strip_labels, preds, info.class_names)
        if metrics.projection is not None:
            self.live.show_projection(metrics.projection, metrics.epoch)
        self._dirty = True

    def redraw(self, force: bool = False) -> None:
        """Draw what arrived since the last redraw (the 10 Hz timer calls this); ``force``: everything, now."""
        if not (self._dirty or force):
            return
        self._dirty = False
        if self.history.last_progress is not None and self.running:
            self.live.show_progress(self.history.last_progress, self.paused)
        self.curves.request()
        if force:
            self.curves.flush()

    # -- the end ----------------------------------------------------------------------------------
    def on_error(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        self.live.show_error(f"Training failed: {text}")
        self.results.append_log(f"error: {text}")

    def on_finished(self, outcome) -> None:
        """The run ended (a TrainOutcome, or None when it failed or stopped before training)."""
        self._set_running(False)
        self.outcome = outcome
        self.redraw(force=True)
        finetune = self.job is not None and self.job.settings.preset == "finetune"
        if outcome is None:
            self.panel.clear_finetune()
            self.live.show_not_trained()
            return
        r = outcome.result
        saved = r.model_path is not None and Path(r.model_path).exists()
        if finetune:
            images = int((r.run_card or {}).get("dataset", {}).get("train", 0))
            self.panel.show_finetune_done(self.job.settings, len(r.history), images, Path(self.job.initial_model).name,
                                          saved)
        self.live.show_done(r.status == "stopped", len(r.history), time.monotonic() - self._started_at)
        self.results.show_results(outcome, has_model=saved)

    def use_model(self) -> None:
        if self.outcome is not None and self.outcome.result.model_path:
            self.use_model_requested.emit(str(self.outcome.result.model_path))

    def save_model_as(self, dst) -> Path | None:
        """Copy the trained model to ``dst`` (``.keras``) with its run card next to it; None (and a message) on failure."""
        from core.model.files import atomic_write_json, copy_model

        dst = Path(dst)
        if dst.suffix != ".keras":
            dst = dst.with_suffix(".keras")
        try:
            copy_model(self.outcome.result.model_path, dst)
            atomic_write_json(dst.with_suffix(".json"), self.outcome.result.run_card)
        except (HandSignError, OSError) as exc:
            self.live.show_error(str(exc))
            return None
        self.results.append_log(f"saved {dst} and {dst.with_suffix('.json').name}")
        self.status_message.emit(f"Saved {dst}", 8000)
        return dst

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Stop a running training (it ends within a batch and saves), then end the thread and the redraw timer."""
        self.redraw_timer.stop()
        self.curves.cancel()
        if self.worker is not None:
            self.worker.stop()
        ok = stop_thread(self.worker_thread, timeout_ms)
        self.worker_thread = None
        return ok


def _out_path(prefix: str) -> Path:
    """A new, time-stamped model file in the app's models folder."""
    from core.paths import models_dir

    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.keras"
