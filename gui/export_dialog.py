"""File → Export…: choose a format and a folder, then export off the UI thread with a busy indicator.

:class:`ExportDialog` asks; :class:`ExportController` owns the export worker's
thread, shows progress, and reports the result (or the one-line reason it
failed) in a message box while the app keeps running.  The export itself is
``core.export`` (see docs/export.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from core.export.formats import FORMATS
from gui.dialogs import ask_export_folder
from gui.threads import start_worker, stop_thread
from gui.workers.export import ExportWorker

log = logging.getLogger(__name__)

EXPORT_WAIT_MS = 600_000  # closing the window waits for a running export (a converter cannot be interrupted)


class ExportDialog(QDialog):
    """Format and folder; OK ("Export") only once a folder is given."""

    def __init__(self, parent: QWidget | None, model_name: str):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {model_name}")
        self.format_box = QComboBox()
        for fmt in FORMATS.values():
            self.format_box.addItem(fmt.title, fmt.name)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("a folder for the model, labels.json, README.md, webcam.py, parity.json")
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.choose_button)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.format_box)
        form.addRow("Folder", row)
        form.addRow(self.buttons)
        self.folder_edit.textChanged.connect(self._update_ok)
        self._update_ok()

    def choose_folder(self) -> None:
        folder = ask_export_folder(self)
        if folder:
            self.folder_edit.setText(folder)

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.folder_edit.text().strip()))

    def chosen(self) -> tuple[str, str]:
        """``(format name, folder)``."""
        return self.format_box.currentData(), self.folder_edit.text().strip()


class _Requests(QObject):
    export = Signal(str, str, str)  # model path, format name, folder: queued to the worker's thread


class ExportController(QObject):
    """Runs exports for the window: one at a time, on a worker thread started on first use."""

    status_message = Signal(str, int)
    done = Signal(bool)  # an export ended: True if it succeeded

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.parent_widget = parent
        self.worker: ExportWorker | None = None
        self.worker_thread = None
        self.running = False
        self.succeeded = False
        self.progress: QProgressDialog | None = None
        self.message: QMessageBox | None = None  # the last result box (non-modal: the app keeps running)
        self._requests = _Requests()

    def ask_and_export(self, model_path: Path | None) -> None:
        if self.running:
            self.status_message.emit("An export is already running", 5000)
            return
        if model_path is None:
            self._show(QMessageBox.Icon.Warning, "Nothing to export", "No model is loaded; open one with Ctrl+M first.")
            return
        dialog = ExportDialog(self.parent_widget, Path(model_path).name)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            format_name, folder = dialog.chosen()
        finally:
            dialog.deleteLater()
        self.start(str(model_path), format_name, folder)

    def start(self, model_path: str, format_name: str, folder: str) -> None:
        if self.worker is None:
            self.worker = ExportWorker()
            self._requests.export.connect(self.worker.export)
            self.worker.progress.connect(self._progress)
            self.worker.exported.connect(self._exported)
            self.worker.errored.connect(self._failed)
            self.worker.finished.connect(self._finished)
            self.worker_thread = start_worker(self.worker, "export")
        self.running, self.succeeded = True, False
        self.progress = QProgressDialog(f"Exporting {FORMATS[format_name].title}…", "", 0, 0, self.parent_widget)
        self.progress.setObjectName("exportProgress")
        self.progress.setWindowTitle("Export")
        self.progress.setCancelButton(None)  # a converter cannot be stopped halfway
        self.progress.setWindowModality(Qt.WindowModality.NonModal)
        self.progress.setMinimumDuration(0)
        self.progress.show()
        self._requests.export.emit(model_path, format_name, folder)

    def _progress(self, line: str) -> None:
        if self.progress is not None:
            self.progress.setLabelText(line)
        self.status_message.emit(line, 0)

    def _exported(self, result) -> None:
        from core.export.parity import format_parity

        self.succeeded = True
        self._show(QMessageBox.Icon.Information, "Export finished",
                   f"Exported {result.format.title} to {result.folder}.\n\nParity: {format_parity(result.parity)}.")
        self.status_message.emit(f"Exported {result.format.title} to {result.folder}", 8000)

    def _failed(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        self._show(QMessageBox.Icon.Warning, "Export failed", text)
        self.status_message.emit(f"Export failed: {text}", 8000)

    def _finished(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        self.running = False
        self.done.emit(self.succeeded)

    def _show(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        if self.message is not None:
            self.message.close()
            self.message.deleteLater()
        self.message = QMessageBox(icon, title, text, parent=self.parent_widget)
        self.message.setObjectName("exportMessage")
        self.message.setModal(False)
        self.message.show()

    def shutdown(self) -> None:
        """Wait for a running export (it cannot be interrupted), then end the worker thread."""
        stop_thread(self.worker_thread, timeout_ms=EXPORT_WAIT_MS)
        self.worker_thread = None
