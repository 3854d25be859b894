"""``handsign-studio --smoke-test IMAGES... --screenshot OUT.png``: prove a build works.

Drives the real app the way a person would, with no camera: the window starts
(offscreen in CI), the model loads through the normal start-up path, the given
images (files or folders) are opened on the Classify tab and classified one by
one by the inference worker, the window is rendered to ``OUT.png``, and the
app closes its threads and exits.

The expected class of an image is its file-name prefix before ``_`` (SIGNS:
``3_IMG_6133.jpg``) or else its folder's name.  One JSON object goes to stdout
and, as a ``SMOKE-RESULT`` line, to the log file (stdout may not exist in a
windowed build).

Exit codes: 0 every image was classified (``correct`` says how many matched;
the caller decides what is good enough), 2 bad arguments or no images,
3 the model did not load (the message box is saved as the screenshot),
4 an image could not be classified, 5 timed out.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)

TIMEOUT_S = 600.0


def expected_label(path: Path) -> str:
    stem = path.name
    return stem.split("_", 1)[0] if "_" in stem else path.parent.name


def collect_images(items) -> list[Path]:
    from core.data.samples import list_images

    files: list[Path] = []
    for item in items or []:
        p = Path(item)
        files += list_images(p) if p.is_dir() else [p]
    return files


class SmokeRun(QObject):
    """Lives on the UI thread, so worker results arrive here as queued signals."""

    def __init__(self, app, window, args, t0: float):
        super().__init__(window)
        self.app = app
        self.win = window
        self.t0 = t0
        self.screenshot = Path(args.screenshot) if args.screenshot else None
        self.files = collect_images(args.smoke_test)
        self.results: list[dict] = []
        self.index = 0
        self.report: dict = {"ok": False, "files": len(self.files)}
        self.finished = False
        # No camera, and no quitting behind our back: we choose the exit code.
        window.start_source = False
        app.setQuitOnLastWindowClosed(False)
        self.timeout = QTimer(window)
        self.timeout.setSingleShot(True)
        self.timeout.timeout.connect(lambda: self.finish(5, f"timed out after {TIMEOUT_S:.0f} s"))
        self.timeout.start(int(TIMEOUT_S * 1000))
        if args.smoke_test and not self.files:  # folders given, but nothing in them
            QTimer.singleShot(0, lambda: self.finish(2, f"no images in {' '.join(args.smoke_test)}"))

    # -- called by gui.startup.watch_start ------------------------------------------------
    def model_ready(self) -> None:
        now = time.perf_counter()
        rep = self.win.report
        self.report.update(model=str(rep.path), classes=list(rep.class_names), engine=rep.engine,
                           model_ready_s=round(now - self.t0, 3), model_ready_unix=time.time())
        if not self.files:
            self._capture_soon(0)
            return
        self.win.tabs.setCurrentIndex(0)
        self.win.worker.result_ready.connect(self._on_result)
        self.t_classify = now
        self.win.classify.open_paths([str(p) for p in self.files])

    def start_failed(self, error: str, box) -> None:
        self.report.update(error=error, model_ready_unix=None)
        if self.screenshot is not None:
            self._save(box.grab())
        self.finish(3, f"the model did not load: {error}")

    # -- the run ---------------------------------------------------------------------------
    @Slot(object)
    def _on_result(self, result) -> None:
        if self.finished or result.kind != "file" or self.index >= len(self.files):
            return
        path = self.files[self.index]
        if Path(result.path) != path:
            return
        entry = {"file": path.name, "expected": expected_label(path)}
        if result.error is not None or result.prediction is None:
            entry["error"] = "no hand found" if result.no_hand else str(result.error or "no prediction")
            self.results.append(entry)
            self.finish(4, f"{path.name}: {entry['error']}")
            return
        pred = result.prediction
        entry.update(top_class=pred.top_class, confidence=round(pred.confidence, 4),
                     correct=pred.top_class == entry["expected"], ms=round(pred.seconds * 1000, 1))
        self.results.append(entry)
        log.info("smoke: %s -> %s (%.3f)%s", path.name, pred.top_class, pred.confidence,
                 "" if entry["correct"] else f" expected {entry['expected']}")
        self.index += 1
        if self.index < len(self.files):
            self.win.classify.next_image()
        else:
            self.report["classify_s"] = round(time.perf_counter() - self.t_classify, 3)
            self._capture_soon(300)  # let the view paint the last result

    def _capture_soon(self, ms: int) -> None:
        def capture():
            if self.screenshot is not None:
                self._save(self.win.grab())
            self.finish(0, None)

        QTimer.singleShot(ms, capture)

    def _save(self, pixmap) -> None:
        self.screenshot.parent.mkdir(parents=True, exist_ok=True)
        if pixmap.save(str(self.screenshot)):
            self.report["screenshot"] = str(self.screenshot)
        else:
            log.error("smoke: could not write %s", self.screenshot)

    def finish(self, code: int, error: str | None) -> None:
        if self.finished:
            return
        self.finished = True
        self.timeout.stop()
        if error and code:
            self.report["error"] = error
        if code == 0 and self.screenshot is not None and "screenshot" not in self.report:
            code, self.report["error"] = 4, f"could not write the screenshot {self.screenshot}"
        self.report.update(ok=code == 0, exit_code=code, results=self.results,
                           correct=sum(1 for r in self.results if r.get("correct")))
        line = json.dumps(self.report)
        (log.info if code == 0 else log.error)("SMOKE-RESULT %s", line)
        if sys.stdout is not None:
            try:
                print(line, flush=True)
            except (OSError, ValueError):
                pass
        self.win.closed.connect(lambda: self.app.exit(code))  # once the workers have ended
        self.win.close()
        if self.win.closed_cleanly or not self.win.isVisible():  # already closed: nothing to wait for
            self.app.exit(code)


# --------------------------------------------------------------------------- ``--smoke``: start-up timings


def memory_mb() -> tuple[float | None, float | None]:
    """(resident, peak resident) memory of this process in MB; None where the platform does not say."""
    rss = peak = None
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    value = int(line.split()[1]) / 1024
                    rss, peak = (value, peak) if line.startswith("VmRSS") else (rss, value)
    except OSError:
        pass
    return rss, peak


class StartupReport(QObject):
    """``--smoke``: print one line of start-up timings and quit, once the model is ready, or with ``--video``
    once ``live_frames`` frames of the video have been classified (the first one's time is "first live
    prediction").  The line also says which engine classified, whether TensorFlow/Keras were imported by
    then, and the process's memory then; ``bench/startup.py`` reads it."""

    def __init__(self, app, window, t0: float, shown: str, *, live: bool, live_frames: int = 20):
        super().__init__(window)
        self.app, self.win, self.t0, self.shown, self.live = app, window, t0, shown, live
        self.live_frames = live_frames
        self.ready_s: float | None = None
        self.first_s: float | None = None
        self.first_hand = False
        self.frames = 0
        window.model_ready.connect(self._ready)
        window.model_failed.connect(lambda *_: self._print())

    def _ready(self, *_):
        if self.ready_s is not None:
            return
        self.ready_s = time.perf_counter() - self.t0
        if not self.live:
            self._print()
            return
        self.win.worker.result_ready.connect(self._result)
        QTimer.singleShot(90_000, self._print)  # no live frames (an unreadable video): say so, do not hang

    @Slot(object)
    def _result(self, result) -> None:
        if result.kind != "frame" or self.win.closing:
            return
        if result.error is not None:
            self.win.model_error = str(result.error)
            self._print()
            return
        self.frames += 1
        if self.first_s is None:
            self.first_s, self.first_hand = time.perf_counter() - self.t0, result.prediction is not None
        if self.frames >= self.live_frames:
            self._print()

    def _print(self) -> None:
        if self.win.closing:
            return
        ready = time.perf_counter() - self.t0 if self.ready_s is None else self.ready_s
        rep = self.win.report
        rss, peak = memory_mb()
        live = ""
        if self.first_s is not None:
            live = (f"; first live prediction after {self.first_s:.3f} s (hand found: {self.first_hand}); "
                    f"{self.frames} frames")
        heavy = sorted({"tensorflow", "keras"} & set(sys.modules))
        print(f"{self.shown}; model ready after {ready:.3f} s (engine {rep.engine if rep else '-'}){live}; "
              f"imported: {','.join(heavy) or 'none'}; rss {rss or 0:.0f} MB, peak {peak or 0:.0f} MB; "
              f"line at {time.perf_counter() - self.t0:.3f} s; error: {self.win.model_error}", flush=True)
        self.win.closed.connect(self.app.quit)  # quit even if a message box is still open
        self.win.close()  # stops the workers first
