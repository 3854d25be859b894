"""Thread plumbing shared by the workers: a QThread that cleans up after itself, and
one lock around the (slow, process-wide) Keras/TensorFlow import, which can also
run on a helper thread (:func:`run_beside`, used by ``gui.workers.keras_beside``) so a
worker keeps classifying on its TensorFlow-free engine while TensorFlow loads.
Also what keeps the UI thread from waiting on the others: the GIL's switch interval,
worker priority, and the cycle collector's view of the start-up heap (:func:`freeze_heap`).
"""

from __future__ import annotations

import gc
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

        # TensorFlow creates its compute thread pools on the first op, and on Linux new
        # threads inherit the creating thread's nice value.  Doing that first op on a
        # short-lived low-priority thread puts TensorFlow's number crunching below the UI
        # thread, while the Python worker threads (which hold the GIL the UI needs) keep
        # normal priority, so the UI never waits on a starved GIL holder.
        failure: list[BaseException] = []

        def first_op():
            lower_this_thread_priority()
            try:
                import_backend_quietly()
            except BaseException as exc:  # re-raised on the calling thread
                failure.append(exc)

        helper = threading.Thread(target=first_op, name="tf-init", daemon=True)
        helper.start()
        helper.join()
        if failure:
            raise failure[0]
        _backend_ready = True
    freeze_heap()  # TensorFlow and Keras left some 200,000 objects that live as long as the app


def backend_imported() -> bool:
    """True once :func:`ensure_backend` has imported Keras/TensorFlow in this process."""
    return _backend_ready


def run_beside(work, done, name: str) -> threading.Thread:
    """Run ``work()`` on a helper thread and call ``done(result, None)`` or ``done(None, error)`` there.

    ``done`` should only emit a signal (a worker's, queued to that worker's thread).  The
    caller keeps the thread and joins it before its own thread ends (no thread outlives the window)."""
    def run():
        try:
            result = work()
        except BaseException as exc:  # handed to the worker, which reports it
            done(None, exc)
            return
        done(result, None)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def keep_ui_responsive() -> None:
    """Let the UI thread get the GIL back quickly while workers run Python code.

    CPython hands the GIL to a waiting thread only every "switch interval" (5 ms
    by default), and the UI thread waits that long at each of the many Python <->
    Qt transitions of a repaint.  With the camera, inference and training threads
    all busy, 5 ms waits add up to visible stalls; 1 ms keeps a repaint short.
    """
    import sys

    if sys.getswitchinterval() > 0.001:
        sys.setswitchinterval(0.001)


def freeze_heap() -> None:
    """Take every object alive now out of the cycle collector's sight (``gc.freeze``).

    A full collection walks every tracked object while it holds the GIL, so the UI
    thread waits for it.  With the live view playing, one took 28 ms after the app's
    start-up on LiteRT (82,100 objects) and 160 ms once TensorFlow and Keras were
    imported (332,300), against 0.0 and 0.2 ms with the heap frozen
    (``python -m bench.heap``, Intel Xeon, 2026-12-04; 98 and 244 ms in an earlier run); more on a slower machine.  It
    comes unannounced, whenever enough new objects have survived.  The objects loaded at start-up (modules, the model, Qt wrappers) live
    as long as the app, so walking them finds nothing.  Called after each big load
    (a model, TensorFlow); later objects are collected as usual.  Cyclic garbage that
    happens to exist at that moment is kept: a young cycle is collected within
    milliseconds by the cheap collections, so little is ever waiting.
    """
    gc.freeze()


WORKER_NICENESS = 10


def lower_this_thread_priority(niceness: int = WORKER_NICENESS) -> None:
    """Make the calling worker thread yield the CPU to the UI thread.

    On Linux a thread has its own nice value, and threads it creates inherit it,
    so TensorFlow's compute pools (created by the first op, on a worker thread)
    run at this lower priority too.  Elsewhere Qt's thread priority does the job.
    """
    import os
    import sys

    if sys.platform.startswith("linux"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), niceness))
        except OSError:  # not permitted: run at normal priority
            log.debug("could not lower the worker thread's priority", exc_info=True)
    else:
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)


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
