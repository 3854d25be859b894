"""The real main window, offscreen, for the tools that render or time it.

Every screenshot tool and the lateness probe open the window the same way: the
app's style, a size, shown, its background work started (model load, workers),
and, usually, a wait until the model is ready.  They close it the same way too:
close, wait until its workers have stopped, and exit without Python's slow
finalisation.  Call these after setting ``QT_QPA_PLATFORM`` and ``HANDSIGN_HOME``.
"""

from __future__ import annotations

import time
from pathlib import Path


def wait(app, cond, timeout: float = 600.0) -> None:
    """Process events until ``cond()`` holds; TimeoutError after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("the window did not reach the state asked for")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    """Process events for ``seconds`` (animations, repaints) before a grab."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def model_or_shipped(model: str | Path | None) -> str | None:
    """The model to open: the one asked for, else the shipped one where it exists, else none (the window says so)."""
    if model:
        return str(model)
    from core.paths import shipped_model_path

    shipped = shipped_model_path()
    return str(shipped) if shipped.exists() else None


def open_window(model: str | Path | None, width: int = 1400, height: int = 900, *, wait_for_model: bool = True):
    """(app, window): the real main window with ``model``, shown at width x height, background work started."""
    from PySide6.QtWidgets import QApplication

    from gui.app import apply_style
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    win = MainWindow(model_path=str(model) if model else None, start_source=False)
    win.resize(width, height)
    win.show()
    win.start_background()
    if wait_for_model:
        wait(app, lambda: bool(win.classify.model_ready or win.model_error), timeout=300)
    return app, win


def grab(app, win, path: Path, settle_seconds: float = 0.3) -> Path:
    """Save the window, after ``settle_seconds`` of events, to ``path`` (folders made)."""
    settle(app, settle_seconds)
    path.parent.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(path))
    return path


def close_window(app, win, code: int = 0) -> int:
    """Close the window, wait for its workers to stop, and exit the process with ``code``."""
    from gui.app import exit_without_finalizing

    win.close()
    wait(app, lambda: win.closed_cleanly, timeout=600)
    return exit_without_finalizing(code)
