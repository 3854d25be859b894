"""The Residual vs plain tab as the main window sees it: the view wired to its controller.

:class:`ResidualTab` implements :class:`gui.tabs.base.Tab`; its settings are
kept under ``residual/``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.settings import get_bool, get_int
from gui.tabs.residual.controller import ResidualController
from gui.tabs.residual.view import ResidualView


class ResidualTab(QWidget):
    status_message = Signal(str, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = ResidualView()
        self.controller = c = ResidualController(self.view, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        self.view.start_button.clicked.connect(lambda: c.start())
        self.view.stop_button.clicked.connect(c.stop)
        c.status_message.connect(self.status_message)

    # -- what other code calls on the tab ---------------------------------------------------------
    def start(self, **overrides) -> bool:
        return self.controller.start(**overrides)

    def stop(self) -> None:
        self.controller.stop()

    @property
    def running(self) -> bool:
        return self.controller.running

    # -- the window's Tab protocol ----------------------------------------------------------------
    def restore_settings(self, settings) -> None:
        v = self.view
        v.epochs.setValue(get_int(settings, "residual/epochs", v.epochs.value()))
        depth = get_int(settings, "residual/depth", -1)
        v.depth.setCurrentIndex(max(0, v.depth.findData(None if depth < 0 else depth)))
        v.batchnorm.setChecked(get_bool(settings, "residual/batchnorm", True))
        v.images.setValue(get_int(settings, "residual/images", v.images.value()))

    def save_settings(self, settings) -> None:
        v = self.view
        depth = v.depth.currentData()
        settings.setValue("residual/epochs", v.epochs.value())
        settings.setValue("residual/depth", -1 if depth is None else depth)
        settings.setValue("residual/batchnorm", v.batchnorm.isChecked())
        settings.setValue("residual/images", v.images.value())

    def presenter_controls(self) -> dict:
        """What presenter mode hides until the cursor nears the top edge: the settings and Start / Stop."""
        return {"top": [self.view.settings_bar]}

    def busy(self) -> bool:
        return self.controller.running

    def request_stop(self) -> None:
        self.controller.stop()

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        return self.controller.shutdown(timeout_ms)
