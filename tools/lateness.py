"""How long is the UI thread blocked?  A timer's lateness, measured while the camera and a training run.

``LatenessProbe`` is a precise 5 ms timer on the UI thread; every time it
fires late, the delay is how long the event loop could not run.  The
benchmark (``python -m tools.lateness``) opens the real window, plays a 640×480
video through the camera path with live classification, trains the
notebook's ResNet-50 on SIGNS at the same time, and reports max / p99 / p50
lateness in milliseconds as JSON, with the blocked time (lateness minus the
time the UI thread waited for a CPU, on Linux)::

    HANDSIGN_DATA=../shared/datasets python -m tools.lateness --seconds 60
"""

from __future__ import annotations

import argparse
import json
import sys
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
    itself (a slow call, a lock, the GIL held by another thread).
    """

    def __init__(self, interval_ms: int = 5, parent=None):
        super().__init__(parent)
        self.interval = interval_ms / 1000.0
        self.samples: list[float] = []
        self.blocked: list[float] = []
        self.cpu_wait = 0.0
        self.separates_cpu_wait = _run_queue_seconds() is not None
        self._last = self._last_wait = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.samples.clear()
        self.blocked.clear()
        self.cpu_wait = 0.0
        self._last_wait = _run_queue_seconds() or 0.0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, wait = time.perf_counter(), _run_queue_seconds()
        late = max(0.0, now - self._last - self.interval)
        waited = 0.0 if wait is None else wait - self._last_wait
        self.samples.append(late)
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
            "cpu_wait_ms": round(self.cpu_wait * 1000.0, 1),
        }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.lateness", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0, help="how long to measure (default 60)")
    p.add_argument("--model", help="model for live classification (default: the shipped one, else an untrained ResNet-50)")
    p.add_argument("--per-class", type=int, default=0, help="training images per class (default: all)")
    args = p.parse_args(argv)

    import os
    import tempfile
    from pathlib import Path

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="handsign-lateness-"))
    os.environ.setdefault("HANDSIGN_HOME", str(work / "home"))
    from PySide6.QtWidgets import QApplication

    from core.paths import shipped_model_path
    from tools.videos import write_demo_video

    app = QApplication.instance() or QApplication([])
    model = Path(args.model) if args.model else shipped_model_path()
    if not model.exists():  # same per-frame cost as the real thing
        from core.device import import_backend_quietly
        from core.model.files import ModelInfo, save_model
        from core.model.resnet import ResNet50

        import_backend_quietly()
        model = work / "untrained_resnet50.keras"
        save_model(ResNet50(), model, ModelInfo([str(i) for i in range(6)], (64, 64)))
    video = write_demo_video(work / "demo.avi")
    from gui.main_window import MainWindow

    win = MainWindow(model_path=str(model), start_source=False)
    win.resize(1400, 900)
    win.show()
    win.start_background()
    t0 = time.monotonic()
    while not win.classify.model_ready and time.monotonic() - t0 < 120:
        app.processEvents()
        time.sleep(0.01)
    win.frames.loop_video = True
    win.classify.open_video(video)
    tab = win.train_tab
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.preset_combo.setCurrentIndex(tab.preset_combo.findData("quick"))
    tab.max_per_class.setValue(args.per_class)
    probe = LatenessProbe()
    probe.start()
    tab.start_training()
    result: dict = {}

    def finish():
        probe.stop()
        result.update(probe.stats())
        result.update({
            "seconds": args.seconds,
            "frames_shown": win.classify.frames_shown,
            "predictions_shown": win.classify.results_shown,
            "training_batches": tab.batches_seen,
            "training_epochs": tab.epochs_seen,
            "model": model.name,
            "camera_fps": round(win.classify.fps.rate(), 1),
        })
        win.close()  # stops the training (it saves), the camera and the workers; then the app quits

    QTimer.singleShot(int(args.seconds * 1000), finish)
    app.exec()
    print(json.dumps(result))
    from gui.app import exit_without_finalizing

    return exit_without_finalizing(0)


if __name__ == "__main__":
    sys.exit(main())
