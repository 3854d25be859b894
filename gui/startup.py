"""Start-up guards for the desktop app, frozen or not: the log file, missing
stdout/stderr, uncaught exceptions, and a start that fails.

* ``install_logging()`` (first thing in ``gui.app.main``): writes
  ``<user dir>/logs/handsign-studio.log`` (rotating), captures warnings and
  uncaught exceptions (main thread, Qt slots, worker threads) into it, and
  dumps native crashes (faulthandler) to ``faults.log`` next to it.
* Windowed PyInstaller builds start with ``sys.stdout``/``sys.stderr`` set to
  None (Windows, macOS) and without valid file descriptors 1 and 2.  Keras
  progress output, ``print`` and ``os.dup(2)`` then fail, so those streams are
  pointed at ``logs/console.log`` (or the null device if it cannot be written).
* ``watch_start(app, window, args, t0)``: if the first model load fails (the
  shipped model is missing or damaged), log it and show a message box instead
  of leaving a silent, empty window.  Also starts ``gui.smoke`` for
  ``--smoke-test`` / ``--screenshot``.
* ``run_guarded(main)``: for the frozen entry point; an exception that escapes
  ``main`` (an import error in a broken bundle, say) is logged and shown in a
  message box, and the exit code is 1, instead of the app vanishing.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import platform
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

LOG_NAME = "handsign-studio.log"
_state: dict = {"log_file": None, "fault_file": None, "console": None}


def log_file() -> Path | None:
    """The log file this process writes (None before ``install_logging``)."""
    return _state["log_file"]


def _logs_dir() -> Path | None:
    from core.paths import logs_dir

    try:
        d = logs_dir()
        d.mkdir(parents=True, exist_ok=True)
        return d
    except OSError:
        return None


def _fd_ok(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def guard_streams(logs: Path | None) -> list[str]:
    """Give the process a usable stdout/stderr (Python objects and fds 1, 2).  Returns what was replaced."""
    missing = [name for name in ("stdout", "stderr") if getattr(sys, name) is None]
    bad_fds = [fd for fd in (1, 2) if not _fd_ok(fd)]
    if not missing and not bad_fds:
        return []
    stream = None
    if logs is not None:
        try:
            stream = open(logs / "console.log", "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError:
            stream = None
    if stream is None:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    _state["console"] = stream
    for fd in bad_fds:  # C-level writes (TensorFlow's own logging) and os.dup(2) need real descriptors
        try:
            os.dup2(stream.fileno(), fd)
        except OSError:
            pass
    for name in missing:
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    return missing + [f"fd{fd}" for fd in bad_fds]


def install_logging(verbose: bool = False) -> Path | None:
    """The log file in the user data folder, plus stream and exception guards.  Idempotent."""
    if _state["log_file"] is not None:
        return _state["log_file"]
    logs = _logs_dir()
    replaced = guard_streams(logs)
    root = logging.getLogger()
    console_level = logging.INFO if verbose else logging.WARNING
    for h in root.handlers:  # basicConfig's console handler: keep it as quiet as it was
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
            if getattr(h, "stream", None) is None:
                h.setStream(sys.stderr)
            if h.level == logging.NOTSET:
                h.setLevel(console_level)
    if not root.handlers:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(console_level)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    path = None
    if logs is not None:
        from logging.handlers import RotatingFileHandler

        path = logs / LOG_NAME
        try:
            fh = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
            fh.setLevel(logging.INFO)
            fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"))
            root.addHandler(fh)
            _state["log_file"] = path
        except OSError:
            path = None
        try:
            _state["fault_file"] = open(logs / "faults.log", "a", encoding="utf-8")  # noqa: SIM115
            faulthandler.enable(file=_state["fault_file"])
        except (OSError, RuntimeError, ValueError):
            pass
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    _install_excepthooks()
    from core import __version__

    log.info("Hand Sign Studio %s starting: %s, Python %s, %s, frozen=%s, argv=%s", __version__, sys.executable,
             platform.python_version(), platform.platform(), bool(getattr(sys, "frozen", False)), sys.argv[1:])
    if replaced:
        log.info("no usable %s (windowed build): redirected to %s", ", ".join(replaced),
                 getattr(_state["console"], "name", os.devnull))
    return path


def _install_excepthooks() -> None:
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            return previous(exc_type, exc, tb)
        logging.getLogger("handsign.uncaught").critical("uncaught exception", exc_info=(exc_type, exc, tb))
        if sys.stderr is not None and previous is not sys.__excepthook__:
            previous(exc_type, exc, tb)

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        logging.getLogger("handsign.uncaught").critical(
            "uncaught exception in thread %s", getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = hook
    threading.excepthook = thread_hook


def headless() -> bool:
    """No screen a person could look at (offscreen/minimal platform): never block on a dialog."""
    return os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc")


def failure_text(what: str, error: str) -> str:
    where = log_file()
    tail = f"\n\nDetails are in the log file:\n{where}" if where else ""
    return f"{what}\n\n{error}{tail}"


def show_failure(title: str, text: str, *, parent=None, block: bool = True):
    """A critical message box; returns it.  ``block=False`` (or headless) shows it without waiting."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    _app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "handsign-studio"])  # noqa: F841
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(box.textInteractionFlags() | _selectable())
    if block and not headless():
        box.exec()
    else:
        box.setModal(False)
        box.show()
    return box


def _selectable():
    from PySide6.QtCore import Qt

    return Qt.TextInteractionFlag.TextSelectableByMouse


def watch_start(app, window, args, t0: float) -> None:
    """Log launch-to-model-ready; on a failed first load, log and show a message box (never vanish).

    Listens to the window's ``model_ready`` / ``model_failed`` signals for the
    first outcome only.  With ``--smoke-test``/``--screenshot`` hands over to
    :mod:`gui.smoke`, which also decides the exit code.
    """
    smoke_run = None
    if getattr(args, "smoke_test", None) is not None or getattr(args, "screenshot", None):
        from gui.smoke import SmokeRun

        smoke_run = SmokeRun(app, window, args, t0)

    def first_outcome():
        window.model_ready.disconnect(ready)
        window.model_failed.disconnect(failed)

    def ready(report):
        first_outcome()
        log.info("model ready %.2f s after launch: %s", time.perf_counter() - t0, report.path)
        if smoke_run:
            smoke_run.model_ready()

    def failed(error: str):
        first_outcome()
        if window.closing:
            return
        log.error("start-up failed: could not load the model: %s", error)
        text = failure_text("Hand Sign Studio could not load its model. You can still open another model "
                            "with File ▸ Open model (Ctrl+M), or reinstall the app.", error)
        box = show_failure("Hand Sign Studio: start-up problem", text, parent=window, block=False)
        window._startup_box = box  # keep it alive
        if smoke_run:
            smoke_run.start_failed(error, box)

    window.model_ready.connect(ready)
    window.model_failed.connect(failed)


def run_guarded(main) -> int:
    """Run ``main()``; anything that escapes is logged and shown, and gives exit code 1."""
    try:
        return int(main() or 0)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - the last line of defence
        if _state["log_file"] is None:
            try:
                install_logging()
            except Exception:  # noqa: BLE001
                pass
        logging.getLogger("handsign.startup").critical("Hand Sign Studio failed to start", exc_info=True)
        try:
            show_failure("Hand Sign Studio could not start",
                         failure_text("Hand Sign Studio could not start.", f"{type(exc).__name__}: {exc}"))
        except Exception:  # noqa: BLE001 - no Qt at all: the log has it
            logging.getLogger("handsign.startup").exception("could not show the message box either")
        return 1
