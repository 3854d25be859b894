"""TensorFlow and the loaded file's Keras model, made on helper threads while a worker goes on classifying.

A session that classifies on LiteRT (``core.inference.lite``) has no TensorFlow
and no Keras model.  The features that need them (the heatmap, the Model tab's
summary, the Inside tab's feature maps, the gallery heatmaps) ask
:class:`KerasBeside`, which belongs to the :class:`~gui.workers.inference.InferenceWorker`
and lives on its thread:

1. :meth:`KerasBeside.after_backend` imports TensorFlow on a helper thread
   ("Loading TensorFlow for <feature>…"), then runs the waiting work on the
   worker's thread;
2. :meth:`KerasBeside.with_keras` does that, then loads the Keras model of the
   worker's model file on a second helper thread ("Loading the Keras model…",
   3-13 s the first time: ``python -m bench.keras_load``), then hands it to the
   worker's thread.

The model is handed over, not shared: the helper thread builds it and lets go
of it when it signals, and from then on only the worker's thread uses it
(docs/DESIGN rule: each thread owns its model).  Frames keep being classified
on LiteRT all the while.  One pending request per feature (a newer one replaces
it); a failure goes to that request's ``failed(exc)``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gui.threads import backend_imported, ensure_backend, freeze_heap, run_beside

log = logging.getLogger(__name__)


class KerasBeside(QObject):
    """The waiting lists for work that needs TensorFlow or the Keras model, for one inference worker."""

    _done = Signal(object, object, object)  # (then, failed), the helper's result or None, its exception or None

    def __init__(self, worker):
        super().__init__(worker)  # a child moves with the worker to its thread
        self._worker = worker
        self.keras = None  # the full Classifier of the worker's model file, once loaded (or the worker's own)
        self._backend_waiting: dict = {}  # feature -> (then(), failed(exc))
        self._keras_waiting: dict = {}  # feature -> (then(keras classifier), failed(exc))
        self._threads: list = []  # helper threads not yet joined
        self._loading_keras = False
        self._done.connect(self._on_done)

    def _beside(self, work, then, failed, name: str) -> None:
        """``work()`` on a helper thread, then ``then(result)`` or ``failed(exc)`` on the worker's thread."""
        self._threads.append(run_beside(work, lambda result, exc: self._done.emit((then, failed), result, exc), name))

    @Slot(object, object, object)
    def _on_done(self, callbacks, result, error) -> None:
        self._reap()
        then, failed = callbacks
        if error is not None:
            failed(error)
        else:
            then(result)

    # -- TensorFlow --------------------------------------------------------------------------
    def after_backend(self, feature: str, then, failed) -> None:
        """Run ``then()`` on the worker's thread once TensorFlow is imported (at once if it is)."""
        if backend_imported():
            then()
            return
        if not self._backend_waiting:
            self._worker.progress.emit(f"Loading TensorFlow for {feature}…")
            self._beside(ensure_backend, lambda _none: self._backend_ready(None), self._backend_ready, "tf-import")
        self._backend_waiting[feature] = (then, failed)

    def _backend_ready(self, error) -> None:
        waiting, self._backend_waiting = self._backend_waiting, {}
        for then, failed in waiting.values():
            if error is None:
                then()
            else:
                failed(error)

    def work_beside(self, feature: str, work, then, failed) -> None:
        """Once TensorFlow is imported, run ``work()`` on a helper thread (it builds something heavy, such as
        another model file's heatmap engine, and lets go of it), then ``then(result)`` on the worker's thread."""
        self.after_backend(feature, lambda: self._beside(work, then, failed, "keras-work"), failed)

    # -- the Keras model -----------------------------------------------------------------------
    def with_keras(self, feature: str, then, failed) -> None:
        """Run ``then(classifier with .model)`` on the worker's thread once the Keras model of its file is here."""
        if self.keras is not None:
            then(self.keras)
            return
        self._keras_waiting[feature] = (then, failed)
        self.after_backend(feature, self._load_keras, self._keras_failed)

    def _load_keras(self) -> None:
        """Start loading the worker's model file on a helper thread, unless a load is under way."""
        if self._loading_keras or not self._keras_waiting:
            return
        if self.keras is not None:
            self._run_keras_waiting()
            return
        clf = self._worker.classifier
        if clf is None:
            from core.errors import ModelFileError

            self._keras_failed(ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)"))
            return
        path = clf.path
        self._loading_keras = True
        self._worker.progress.emit(f"Loading the Keras model {Path(path).name}…")
        self._beside(lambda: _load_classifier(path), lambda keras_one: self._keras_loaded(path, keras_one),
                     self._keras_failed, "keras-load")

    def _keras_loaded(self, path, keras_one) -> None:
        self._loading_keras = False
        current = self._worker.classifier
        if current is None or Path(current.path) != Path(path):  # another model was opened meanwhile
            self._load_keras()
            return
        if self.keras is None:
            self.keras = keras_one
            freeze_heap()  # the Keras model stays with the worker: full collections skip it
            self._worker.progress.emit("Keras model ready")
        self._run_keras_waiting()

    def _run_keras_waiting(self) -> None:
        waiting, self._keras_waiting = self._keras_waiting, {}
        for then, _failed in waiting.values():
            try:
                then(self.keras)
            except Exception as exc:
                self._worker.errored.emit(exc)

    def _keras_failed(self, exc) -> None:
        self._loading_keras = False
        log.warning("the Keras model could not be loaded: %s", exc)
        waiting, self._keras_waiting = self._keras_waiting, {}
        for _then, failed in waiting.values():
            failed(exc)

    def _reap(self) -> None:
        """Forget the helper threads that have ended (one that has just signalled is joined at close)."""
        self._threads = [t for t in self._threads if t.is_alive()]

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the helper threads, if any (the window calls this before closing)."""
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout_s)


def _load_classifier(path):
    from core.inference.classifier import Classifier

    return Classifier.load(path)
