"""The export worker: runs ``core.export.exporter.export_model`` on its own thread for File → Export….

It loads its own copy of the model from the file (no Keras object crosses
threads) and answers with typed signals; the job body catches everything,
emits ``errored`` and always ends with ``finished``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from gui.threads import ensure_backend

log = logging.getLogger(__name__)


class ExportWorker(QObject):
    progress = Signal(str)  # one line per step
    exported = Signal(object)  # core.export.exporter.ExportResult
    errored = Signal(object)  # the exception
    finished = Signal()

    @Slot(str, str, str)
    def export(self, model_path: str, format_name: str, out_dir: str) -> None:
        try:
            self.progress.emit("Loading TensorFlow…")
            ensure_backend()
            from core.export.exporter import export_model

            self.exported.emit(export_model(model_path, format_name, out_dir, progress=self.progress.emit))
        except Exception as exc:  # every failure goes to the UI as a message; the app keeps running
            log.exception("export failed")
            self.errored.emit(exc)
        finally:
            self.finished.emit()
