"""The Collect tab's logic: a burst of captures (countdown, then one sample every interval) from the live frame.

:class:`BurstController` keeps the newest camera frame and the region, counts
down, saves a crop at each tick with ``core.data.samples.save_sample``, and
tells its view what happened through intent-named methods (``show_countdown``,
``show_progress``, ``show_capturing``, ``show_hand``, ``show_error``,
``show_burst_done``).

With "Find hand" on (the default) it asks the inference worker where the hand
is in each new frame (``request_hand``, newest frame only), and a tick saves the
hand's square of the newest frame the hand was found in: the crop the
classifier sees, in the same JPEG format as before.  With no hand in view a tick
saves nothing and says so; the burst goes on when the hand is back.  Off, the
user's box is saved as before.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from core.data.samples import save_sample
from core.inference.region import CENTRE, crop_region

HAND_WAIT_S = 2.0  # a hand request unanswered this long is given up (no worker yet): ask again


class BurstController(QObject):
    request_hand = Signal(object, int, bool)  # frame, seq, bgr -> InferenceWorker.find_hand

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
        self.find_hands = True
        self.hand_result = None  # the newest FrameResult from find_hand (its frame, its Hand or None)
        self._hand_seq = 0
        self._hand_asked_at: float | None = None  # when the request in flight was sent
        self._hand_next = None  # (frame, seq) waiting for the worker: the newest only
        self._last_saved = None  # the frame saved last (a frame is saved once)
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
        if self.find_hands and (self.capturing or self.view.is_showing()):
            self._ask_hand(frame.image)

    # -- finding the hand ----------------------------------------------------------------------
    def set_find_hands(self, on: bool) -> None:
        """Save the found hand's square (on) or the user's box (off)."""
        on = bool(on)
        if on == self.find_hands:
            return
        self.find_hands = on
        self.hand_result = None
        self.view.show_find_hands(on)
        if not on:
            self.view.show_region(self.region)

    def _ask_hand(self, image) -> None:
        self._hand_seq += 1
        asked = self._hand_asked_at
        if asked is not None and time.monotonic() - asked < HAND_WAIT_S:
            self._hand_next = (image, self._hand_seq)  # replace: newest frame only
            return
        self._hand_asked_at = time.monotonic()
        self.request_hand.emit(image, self._hand_seq, True)

    def on_hand(self, result) -> None:
        """The worker's answer to ``request_hand``: draw the hand (or "no hand"), keep it for the next tick."""
        self._hand_asked_at = None
        if self._hand_next is not None:
            (image, seq), self._hand_next = self._hand_next, None
            self._hand_asked_at = time.monotonic()
            self.request_hand.emit(image, seq, True)
        if not self.find_hands or result.error is not None:
            return
        if self.hand_result is not None and result.seq < self.hand_result.seq:
            return
        self.hand_result = result
        if result.hand is not None or result.no_hand:
            self.view.show_hand(result.hand)

    def set_region(self, norm) -> None:
        self.region = tuple(norm)
        self.view.show_region(self.region)

    def reset_region(self) -> None:
        self.set_region(CENTRE)

    def _source_stopped(self) -> None:
        self.hand_result = None  # it was in the previous source's frames
        self._hand_next = None
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

    def _crop(self):
        """The picture and region to save now, or None to save nothing this tick."""
        if not self.find_hands:
            rgb = self.latest[:, :, ::-1]
            h, w = rgb.shape[:2]
            return rgb, crop_region(self.region, w, h)
        r = self.hand_result
        if r is None or r.hand is None:
            done = self.burst_total - self.burst_left
            why = "Looking for the hand" if r is None else "No hand in view"  # short: the label sets the width
            self.view.show_progress(f"{why}: nothing saved ({done} / {self.burst_total})")
            return None
        if r.image is self._last_saved:
            return None  # no newer frame with the hand in it yet
        self._last_saved = r.image
        return (r.image[:, :, ::-1] if r.bgr else r.image), r.hand.region

    def _capture_one(self) -> bool:
        """Save one sample; False when it could not be written (the burst is cancelled)."""
        crop = self._crop()
        if crop is None:
            return True
        folder = self.root() / self.burst_class
        path = save_sample(*crop, folder)
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
