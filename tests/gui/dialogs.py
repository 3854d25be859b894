"""Answering the app's real file dialogs in tests: find the open QFileDialog, choose, accept or cancel."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog


class DialogAnswer:
    """Schedules an answer to the next file dialog; ``seen`` holds its title once answered."""

    def __init__(self, choose: list[Path] | None, timeout: float = 10.0):
        self.choose = choose  # None: cancel
        self.seen: str | None = None
        self.deadline = time.monotonic() + timeout
        QTimer.singleShot(0, self._answer)

    def _answer(self) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            if time.monotonic() < self.deadline:  # give up after the deadline: the test then fails on `seen`
                QTimer.singleShot(20, self._answer)
            return
        self.seen = dialog.windowTitle()
        if self.choose is None:
            dialog.reject()
            return
        dialog.setDirectory(str(self.choose[0].parent))
        names = [p.name for p in self.choose]
        dialog.selectFile(names[0] if len(names) == 1 else " ".join(f'"{n}"' for n in names))
        dialog.accept()
