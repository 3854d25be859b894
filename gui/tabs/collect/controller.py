"""The Collect tab's logic: a burst of captures (countdown, then one sample every interval) from the live frame.

:class:`BurstController` keeps the newest camera frame and the region, counts
down, saves the region crop of the newest frame at each tick with
``core.data.samples.save_sample``, and tells its view what happened through
intent-named methods (``show_countdown``, ``show_progress``, ``show_capturing``,
``show_error``, ``show_burst_done``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from core.data.samples import save_sample
from core.inference.region import CENTRE, crop_region


class BurstController(QObject):
    def __init__(self, view, frames, root, parent=None):
        """``root``: a callable giving the class-folder tree to save into (it can change while the app runs)."""
        super().__init__(parent)
        self.view = view
        self.frames = frames
        self.root = root
        self.region = CENTRE
        self.latest = None  # newest frame (BGR)
        self.burst_left = 0
        self.burst_total = 0
        self.countdown_left = 0
        self.burst_class = ""
        self.saved_in_burst: list[Path] = []
        self._interval = 250
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        frames.frame_arrived.connect(self.on_frame)
        frames.source_stopped.connect(self._source_stopped)

    @property
    def capturing(self) -> bool:
        return self._timer.isActive()

    # -- frames and region -----------------------------------------------------------------
    def on_frame(self, frame) -> None:
        self.latest = frame.image
        self.view.show_frame(frame.image)

    def set_region(self, norm) -> None:
        self.region = tuple(norm)
        self.view.show_region(self.region)

    def reset_region(self) -> None:
        self.set_region(CENTRE)

    def _source_stopped(self) -> None:
        if self.burst_left or self.countdown_left:
            self.cancel_burst()
            self.view.show_error("the camera stopped; burst cancelled")

    # -- the burst ---------------------------------------------------------------------------
    def start_burst(self, class_name: str, count: int, countdown: int, interval_ms: int) -> bool:
        if not class_name:
            self.view.show_error("pick a class first")
            return False
        if not self.frames.running and self.latest is None:
            self.view.show_error("no camera picture: start a camera (or play a video) first")
            return False
        self.view.clear_error()
        self.burst_class = class_name
        self.burst_total = self.burst_left = int(count)
        self.countdown_left = int(countdown)
        self.saved_in_burst = []
        self._interval = int(interval_ms)
        self.view.show_capturing(True)
        if self.countdown_left > 0:
            self.view.show_countdown(str(self.countdown_left))
            self._timer.start(1000)
        else:
            self._begin_capture()
        return True

    def _begin_capture(self) -> None:
        self.countdown_left = 0
        self.view.show_countdown(None)
        self._timer.start(self._interval)
        self._tick()

    def _tick(self) -> None:
        if self.countdown_left > 0:
            self.countdown_left -= 1
            if self.countdown_left > 0:
                self.view.show_countdown(str(self.countdown_left))
            else:
                self._begin_capture()
            return
        if self.burst_left > 0 and self.latest is not None and not self._capture_one():
            return  # could not write: the burst was cancelled
        if self.burst_left <= 0:
            self._finish_burst()

    def _capture_one(self) -> bool:
        rgb = self.latest[:, :, ::-1]
        h, w = rgb.shape[:2]
        folder = self.root() / self.burst_class
        path = save_sample(rgb, crop_region(self.region, w, h), folder)
        if path is None:
            self.view.show_error(f"could not write to {folder}")
            self.cancel_burst()
            return False
        self.saved_in_burst.append(path)
        self.burst_left -= 1
        self.view.show_progress(f"Class {self.burst_class}: captured {self.burst_total - self.burst_left} / {self.burst_total}")
        return True

    def _finish_burst(self) -> None:
        self._timer.stop()
        self.view.show_countdown(None)
        self.view.show_capturing(False)
        if self.burst_total:
            self.view.show_progress(f"Class {self.burst_class}: saved {len(self.saved_in_burst)} samples")
        self.burst_left = self.countdown_left = 0
        self.view.show_burst_done()

    def cancel_burst(self) -> None:
        self.burst_left = 0
        self.countdown_left = 0
        self._finish_burst()
