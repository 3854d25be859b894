"""``LatenessProbe``: how long is the UI thread blocked?  A timer's lateness on it.

A precise 5 ms timer on the UI thread; every time it fires late, the delay is
how long the event loop could not run.  Used by the responsiveness tests, by
``bench.features`` and by the ``python -m tools.lateness`` benchmark.  (Apart
from that benchmark's module, so the training child it starts, which imports
the benchmark's ``__main__`` module, loads no Qt.)
"""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer


def _run_queue_seconds() -> float | None:
    """Seconds the calling thread has spent runnable but waiting for a CPU (Linux schedstat), or None.

    That wait is other processes' load, not this app blocking its UI thread, so the probe subtracts it.
    """
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat", "rb") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class LatenessProbe(QObject):
    """A 5 ms timer on the UI thread that records how late each tick fires.

    ``stats()`` gives the lateness (``max_ms`` ...) and, where the system reports how long the
    thread waited for a CPU, the blocked time (``blocked_max_ms`` ...): lateness minus that wait.
    Lateness grows with other processes' load; blocked time only with work or waits on the UI thread
    itself (a slow call, a lock, the GIL held by another thread, a cycle collection).  The cycle
    collections that ran meanwhile, on any thread, are counted apart too (``gc_max_ms``,
    ``gc_full``): they hold the GIL, so a long one is a block, and the figures say where it came from.
    ``blocked_worst_at_ms`` says when the longest block began, counted from ``start()``.
    """

    def __init__(self, interval_ms: int = 5, parent=None):
        super().__init__(parent)
        self.interval = interval_ms / 1000.0
        self.samples: list[float] = []
        self.blocked: list[float] = []
        self.began: list[float] = []  # when each tick's wait began, in seconds after start()
        self.cpu_wait = 0.0
        self.separates_cpu_wait = _run_queue_seconds() is not None
        self._last = self._last_wait = self._started = 0.0
        self.gc_pauses: list[tuple[int, float]] = []  # (generation, seconds) of each collection
        self._gc_began = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.samples.clear()
        self.blocked.clear()
        self.began.clear()
        self.cpu_wait = 0.0
        self.gc_pauses.clear()
        self._last_wait = _run_queue_seconds() or 0.0
        self._last = self._started = time.perf_counter()
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc_pauses.append((info["generation"], time.perf_counter() - self._gc_began))

    def _tick(self) -> None:
        now, wait = time.perf_counter(), _run_queue_seconds()
        late = max(0.0, now - self._last - self.interval)
        waited = 0.0 if wait is None else wait - self._last_wait
        self.samples.append(late)
        self.began.append(self._last - self._started)
        self.blocked.append(max(0.0, late - waited))
        self.cpu_wait += waited
        self._last, self._last_wait = now, wait or 0.0

    def stats(self) -> dict:
        ms = np.asarray(self.samples, np.float64) * 1000.0
        if ms.size == 0:
            return {"n": 0}
        blocked = np.asarray(self.blocked, np.float64) * 1000.0
        return {
            "n": int(ms.size),
            "max_ms": round(float(ms.max()), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "over_50ms": int((ms > 50).sum()),
            "separates_cpu_wait": self.separates_cpu_wait,
            "blocked_max_ms": round(float(blocked.max()), 2),
            "blocked_p99_ms": round(float(np.percentile(blocked, 99)), 2),
            "blocked_over_50ms": int((blocked > 50).sum()),
            "blocked_worst_at_ms": round(self.began[int(blocked.argmax())] * 1000.0, 1),
            "cpu_wait_ms": round(self.cpu_wait * 1000.0, 1),
            "gc_max_ms": round(max((s for _g, s in self.gc_pauses), default=0.0) * 1000.0, 2),
            "gc_full": sum(1 for g, _s in self.gc_pauses if g == 2),
        }
