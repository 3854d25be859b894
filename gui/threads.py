"""Thread plumbing shared by the workers: a QThread that cleans up after itself, and
one lock around the (slow, process-wide) Keras/TensorFlow import.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread

log = logging.getLogger(__name__)

_backend_lock = threading.Lock()
_backend_ready = False


def ensure_backend() -> None:
    """Import Keras/TensorFlow once, quietly, on the calling (worker) thread.

    Two workers may start at the same moment; the lock makes the second wait for
    the first instead of importing TensorFlow twice in parallel (and racing on
    the stderr redirection ``import_backend_quietly`` does).
    """
    global _backend_ready
    with _backend_lock:
        if _backend_ready:
            return
        from core.device import import_backend_quietly

        import_backend_quietly()
        _backend_ready = True


def backend_ready() -> bool:
    return _backend_ready


class WorkerThread(QThread):
    """A QThread running an event loop for one worker object.

    Python registers a "dummy" ``threading.Thread`` for any foreign thread that
    runs Python code, and on Python 3.11 never removes it ("it is impossible to
    detect the termination of alien threads", says the threading docs).  The
    thread itself knows when it ends, so it removes its own record on the way out;
    ``threading.enumerate()`` then tells the truth about running threads.
    """

    def run(self) -> None:  # noqa: D401 - Qt override
        try:
            self.exec()
        finally:
            ident = threading.get_ident()
            current = threading._active.get(ident)  # noqa: SLF001
            if isinstance(current, threading._DummyThread):  # noqa: SLF001
                with threading._active_limbo_lock:  # noqa: SLF001
                    threading._active.pop(ident, None)  # noqa: SLF001


def start_worker(worker: QObject, name: str) -> WorkerThread:
    thread = WorkerThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.start()
    return thread


def stop_thread(thread: QThread | None, timeout_ms: int = 30_000) -> bool:
    """Quit a worker thread's event loop and wait for it.  True if it ended."""
    if thread is None:
        return True
    thread.quit()
    ok = thread.wait(timeout_ms)
    if not ok:
        log.warning("thread %s did not end within %d ms", thread.objectName(), timeout_ms)
    return ok
