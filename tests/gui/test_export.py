"""File → Export… in the real window offscreen: the dialog, the real (non-native) folder dialog answered by a
timer, the export on its worker thread with a busy indicator, and the result or the failure in a message box."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from core.export.formats import FORMATS
from gui.export_dialog import ExportDialog
from tests.gui.dialogs import DialogAnswer


def _export_action(win):
    return next(a for a in win.findChildren(QAction) if a.text() == "Export…")


class ExportAnswer:
    """Fills the Export dialog once it is open: the format, then a folder (typed, or chosen in the folder dialog)."""

    def __init__(self, format_name, folder, *, browse=True, timeout=10.0):
        self.format_name, self.folder, self.browse = format_name, folder, browse
        self.folder_dialog = None
        self.deadline = time.monotonic() + timeout
        QTimer.singleShot(0, self._answer)

    def _answer(self):
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            if time.monotonic() < self.deadline:
                QTimer.singleShot(20, self._answer)
            return
        dialog.format_box.setCurrentIndex(dialog.format_box.findData(self.format_name))
        if self.browse:
            self.folder_dialog = DialogAnswer([self.folder])
            dialog.choose_button.click()  # the real QFileDialog, answered by the timer above
        else:
            dialog.folder_edit.setText(str(self.folder))
        ok = next(b for b in dialog.buttons.buttons() if b.text() == "Export")
        ok.click()


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_menu_exports_every_format(qtbot, make_window, signs_model, tmp_path, format_name):
    win = make_window(model_path=signs_model)
    folder = tmp_path / f"export-{format_name}"
    folder.mkdir()
    answer = ExportAnswer(format_name, folder)
    with qtbot.waitSignal(win.exporter.done, timeout=240_000) as done:
        _export_action(win).trigger()
        assert win.exporter.running and win.exporter.progress.isVisible()  # busy while the worker exports
    assert answer.folder_dialog.seen == "Export into folder"
    assert done.args == [True], win.exporter.message.text()
    assert win.exporter.progress is None
    assert win.exporter.message.icon() == QMessageBox.Icon.Information
    assert f"Exported {FORMATS[format_name].title} to {folder}" in win.exporter.message.text()
    assert {p.name for p in folder.iterdir()} >= {FORMATS[format_name].model_name, "labels.json", "webcam.py"}
    assert json.loads((folder / "parity.json").read_text())["n"] == 120
    assert win.isVisible() and not win.closed_cleanly


def test_a_failed_export_shows_why_and_the_app_keeps_running(qtbot, make_window, signs_model, tmp_path):
    win = make_window(model_path=signs_model)
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    ExportAnswer("tflite", not_a_folder, browse=False)
    with qtbot.waitSignal(win.exporter.done, timeout=120_000) as done:
        _export_action(win).trigger()
    assert done.args == [False]
    assert win.exporter.message.icon() == QMessageBox.Icon.Warning
    assert win.exporter.message.text() == f"{not_a_folder}: is a file; give a folder to export into"
    assert win.statusBar().currentMessage().startswith("Export failed:")
    folder = tmp_path / "then-this-works"  # the worker is still there for the next export
    ExportAnswer("saved_model", folder, browse=False)
    with qtbot.waitSignal(win.exporter.done, timeout=120_000) as done:
        _export_action(win).trigger()
    assert done.args == [True] and (folder / "saved_model" / "saved_model.pb").exists()


def test_cancel_exports_nothing(qtbot, make_window, signs_model):
    win = make_window(model_path=signs_model)

    def cancel():
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ExportDialog):
            dialog.reject()
        else:
            QTimer.singleShot(20, cancel)

    QTimer.singleShot(0, cancel)
    _export_action(win).trigger()
    assert not win.exporter.running and win.exporter.worker is None


def test_closing_during_an_export_waits_for_it_without_freezing_the_window(qtbot, make_window, signs_model, tmp_path):
    """A converter cannot be interrupted: the window closes once the export is done, and its event loop keeps
    running meanwhile (a blocking wait on the UI thread would stop the ticks counted here)."""
    win = make_window(model_path=signs_model)
    folder = tmp_path / "export-on-close"
    ExportAnswer("saved_model", folder, browse=False)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    _export_action(win).trigger()
    assert win.exporter.running
    t0 = time.monotonic()
    with qtbot.waitSignal(win.closed, timeout=240_000):
        win.close()
        assert win.exporter.running and not win.closed_cleanly  # still exporting: the close waits
    timer.stop()
    waited = time.monotonic() - t0
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) >= 5, (waited, len(ticks))
    assert max(gaps) < 2.0, max(gaps)  # the loop ran all along (a blocked loop shows one gap as long as the export)
    assert (folder / "labels.json").is_file() and win.closed_cleanly
