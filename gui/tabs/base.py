"""What every tab offers the main window, and nothing more.

The window never reaches into a tab's widgets or private state: it restores and
saves each tab's settings, asks whether the tab is busy (a training running, a
burst of captures), asks it to stop, and shows what the tab puts on its
``status_message`` signal in the status bar.  Tab-to-tab wiring (a trained model
to use, samples saved) goes through each tab's own named signals and methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import QSettings


@runtime_checkable
class Tab(Protocol):
    """The protocol between :class:`gui.main_window.MainWindow` and each tab.

    A tab also has ``status_message = Signal(str, int)``: a line for the status
    bar and how many milliseconds to show it (0: until replaced).
    """

    def restore_settings(self, settings: QSettings) -> None:
        """Read this tab's keys (under its own group, e.g. ``train/``) from ``settings``."""

    def save_settings(self, settings: QSettings) -> None:
        """Write this tab's keys to ``settings``."""

    def busy(self) -> bool:
        """True while the tab has work that closing the window must wait for."""

    def request_stop(self) -> None:
        """Ask running work to end soon (a training ends within a batch and saves); returns at once."""

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Stop timers, workers and threads and wait for them; True when everything ended."""
