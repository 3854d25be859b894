"""The Classify tab's logic: which source, the hand or the user's region, smoothing, the unsure
threshold, rates, snapshots and "this is wrong, save as class N".

:class:`ClassifyController` talks to its view only through intent-named methods
(``show_frame``, ``show_prediction``, ``show_no_hand``, ``show_error`` …;
:class:`~gui.tabs.classify.view.ClassifyTab` implements them).  Frames go to the
inference worker one at a time: while it is busy, only the newest frame is kept
for it, so classification never falls behind the camera.

With "Find hand" on (the default) the worker finds the hand in each frame and
classifies the square around it; the view draws that square instead of the
user's box, and a frame without a hand is answered "no hand" (the smoothing
starts again).  Off, the user's box is classified as before.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.camera import is_video_name
from core.data.samples import list_images, save_sample, write_rgb
from core.images import is_image_name
from core.inference.prediction import Prediction
from core.inference.rates import RateMeter
from core.inference.region import RegionChoice, crop_region
from core.inference.smoothing import Decision, Smoother, decide

log = logging.getLogger(__name__)

LIVE = ("camera", "video")  # sources whose frames arrive on their own (smoothing and fps apply)
NOTHING_ON_SCREEN = "nothing to save yet: start a camera or open an image"
NO_HAND_TO_SAVE = "no hand in view: nothing saved (show the sign, or switch Find hand off with Ctrl+H)"


class ClassifyController(QObject):
    # image, Region, seq, bgr, hands ("" | "video" | "still") -> InferenceWorker.classify_frame
    request_frame = Signal(object, object, int, bool, str)
    request_file = Signal(str, object, int, str)  # path, Region, seq, hands -> InferenceWorker.classify_file
    request_hands_reset = Signal()  # a new source, or finding switched on -> InferenceWorker.reset_hands
    request_model = Signal(str)  # path -> InferenceWorker.load_model
    sample_saved = Signal(str, str)  # class name, file path
    mode_changed = Signal(str)

    def __init__(self, view, frames, parent=None):
        super().__init__(parent)
        self.view = view
        self.frames = frames
        self.mode = "none"  # "camera", "video", "images", "none"
        self.paused = False
        self.threshold = 0.6
        self.smoother = Smoother(1)
        self.class_names: list[str] = []
        self.model_ready = False
        self.model_path: Path | None = None
        self.regions = RegionChoice()
        self.files: list[Path] = []
        self.file_index = -1
        self.current_image: np.ndarray | None = None  # what is on screen (RGB, or BGR when current_bgr)
        self.current_bgr = False
        self.find_hands = True
        self.seen = None  # (image, bgr, Region) the classifier saw for the result on screen; None: no hand / none yet
        self.last_display: Decision | None = None
        self.busy = False
        self._pending = None  # newest frame waiting for the worker
        self._seq = 0
        self._shown_seq = 0  # newest result on screen (results can only move forward)
        self.fps = RateMeter()
        self.ms_history: deque = deque(maxlen=20)
        self.frames_shown = 0
        self.results_shown = 0
        frames.frame_arrived.connect(self.on_frame)
        frames.source_failed.connect(self.on_source_failed)
        frames.source_ended.connect(self.on_source_ended)

    # -- region ------------------------------------------------------------------------
    def region_norm(self) -> tuple[float, float, float]:
        return self.regions.get(self.mode)

    def set_region(self, norm) -> None:
        self.regions.set(self.mode, norm)
        self.view.show_region(self.region_norm())
        if self.mode == "images" and self.current_image is not None:
            self._submit(self.current_image, bgr=False)

    def reset_region(self) -> None:
        self.set_region(self.regions.reset(self.mode))

    def pixel_region(self, image: np.ndarray):
        h, w = image.shape[:2]
        return crop_region(self.region_norm(), w, h)

    # -- finding the hand ------------------------------------------------------------------
    def set_find_hands(self, on: bool) -> None:
        """Classify around the found hand (on) or in the user's box (off); what is on screen is read again."""
        on = bool(on)
        if on == self.find_hands:
            return
        self.find_hands = on
        self.view.show_find_hands(on)
        self.smoother.reset()
        if on:
            self.request_hands_reset.emit()  # also retries hand models that failed to load
        else:
            self.view.show_region(self.region_norm())
        # What is on screen is read again the new way; an answer still on its way the old way is not shown.
        if self.mode == "images" and self.files:
            self._shown_seq = self._seq + 1
            self.show_file(self.file_index)  # as if opened again (the decoded file may still be on its way)
        elif self.paused and self.current_image is not None:
            self._shown_seq = self._seq + 1
            self._submit(self.current_image, bgr=self.current_bgr)

    def _hands(self) -> str:
        """How the worker should look for the hand in what is sent now: "" (not at all), "still" or "video"."""
        if not self.find_hands:
            return ""
        return "still" if self.mode == "images" else "video"

    # -- model -----------------------------------------------------------------------------
    def load_model(self, path) -> None:
        # The window's status bar shows the worker's progress ("Loading model …") and then the model.
        self.request_model.emit(str(path))

    def on_model_loaded(self, report) -> None:
        self.model_ready = True
        self.model_path = report.path
        self.class_names = list(report.class_names)
        self.smoother.reset()
        self.view.show_classes(self.class_names)
        self.view.clear_error("model")
        # Re-classify what is on screen with the new model.
        if self.current_image is not None and (self.mode == "images" or self.paused):
            self._submit(self.current_image, bgr=self.current_bgr)

    def on_model_error(self, exc) -> None:
        text = str(exc) or type(exc).__name__
        if not self.model_ready:
            self.view.show_idle("no model: open one with Ctrl+M")
        self.view.show_error(text, action="Open model…", key="model")

    # -- sources ---------------------------------------------------------------------------
    def _enter(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.mode_changed.emit(mode)
        self.paused = False
        self.view.show_paused(False)
        self.smoother.reset()
        self.fps.reset()
        self._pending = None
        self._shown_seq = self._seq + 1  # a late answer about the previous source is not shown on this one
        self.seen = None
        self.request_hands_reset.emit()  # the tracked hand belonged to the previous source
        self.view.show_region(self.region_norm())
        self.view.show_find_hands(self.find_hands)  # no hand drawn until the worker has looked

    def _enter_live(self, mode: str, title: str, placeholder: str) -> None:
        self._enter(mode)
        self.files, self.file_index = [], -1
        self.view.clear_error("source")
        self.view.show_source(title, placeholder=placeholder)

    def start_camera(self, index: int) -> None:
        self._enter_live("camera", f"Camera {index}", f"Starting camera {index}…")
        self.frames.start_camera(index)

    def open_video(self, path) -> None:
        path = Path(path)
        self._enter_live("video", f"Video: {path.name}", f"Opening {path.name}…")
        self.frames.start_video(path)

    def open_paths(self, paths) -> None:
        """Open what was chosen or dropped: image files, a folder of images, a video, or a model."""
        paths = [Path(p) for p in paths]
        models = [p for p in paths if p.suffix.lower() == ".keras"]
        if models:
            self.load_model(models[0])
            return
        videos = [p for p in paths if is_video_name(p)]
        if videos:
            self.open_video(videos[0])
            return
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                files += list_images(p)
            elif is_image_name(p) or p.exists():
                files.append(p)
        if not files:
            self.view.show_error("no images there: choose image files (JPEG, PNG, …) or a folder of them", key="source")
            return
        self.frames.stop()
        self._enter("images")
        self.files = files
        self.view.clear_error("source")
        self.show_file(0)

    def show_file(self, index: int) -> None:
        if not self.files:
            return
        self.file_index = index % len(self.files)
        path = self.files[self.file_index]
        self.view.show_source(f"Image {self.file_index + 1} of {len(self.files)}: {path.name}")
        self._seq += 1
        self.request_file.emit(str(path), None, self._seq, "still" if self.find_hands else "")

    def next_image(self) -> None:
        if self.mode == "images":
            self.show_file(self.file_index + 1)

    def previous_image(self) -> None:
        if self.mode == "images":
            self.show_file(self.file_index - 1)

    def retry(self) -> None:
        self.view.clear_error("source")
        if self.mode in LIVE:
            self.view.show_source(self.frames.describe(), placeholder="Trying again…")
            self.frames.retry()

    def toggle_pause(self) -> None:
        self.set_paused(not self.paused)

    def set_paused(self, paused: bool) -> None:
        self.paused = bool(paused)
        self.view.show_paused(self.paused)

    def read_again(self) -> None:
        """Classify the still picture on screen again (a file, or a paused frame); live frames come on their own."""
        if self.current_image is not None and (self.mode == "images" or self.paused):
            self._submit(self.current_image, bgr=self.current_bgr)

    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        if self.last_display is not None:
            self.last_display = decide(self.last_display, self.threshold)
            self.view.show_prediction(self.last_display)

    def set_smoothing(self, frames: int) -> None:
        self.smoother.set_window(frames)

    # -- frames in, predictions out --------------------------------------------------------
    def on_frame(self, frame) -> None:
        if self.paused or self.mode not in LIVE:
            return
        self.current_image, self.current_bgr = frame.image, True
        self.frames_shown += 1
        self.fps.tick()
        self.view.show_frame(frame.image, bgr=True)
        if self.model_ready:
            self._submit(frame.image, bgr=True)

    def _submit(self, image: np.ndarray, *, bgr: bool) -> None:
        if not self.model_ready:
            return
        region = self.pixel_region(image)
        self._seq += 1
        if self.busy:
            self._pending = (image, region, self._seq, bgr, self._hands())  # replace: newest frame only
            return
        self.busy = True
        self.request_frame.emit(image, region, self._seq, bgr, self._hands())

    def on_worker_finished(self, job: str) -> None:
        if job == "heatmap":  # a heatmap choice is in effect (its engine built, maybe after a background import)
            self.read_again()  # so a still picture gets its map (or loses it) now
        if job in ("frame", "file"):
            self.busy = False
            if self._pending is not None:
                request, self._pending = self._pending, None
                self.busy = True
                self.request_frame.emit(*request)

    def on_result(self, result) -> None:
        if result.kind == "file":
            if not self._show_file_result(result):
                return
        elif result.error is not None:
            self.view.show_error(str(result.error), key="model")
            return
        if result.seq < self._shown_seq:
            return
        self._shown_seq = result.seq
        self.results_shown += 1
        if result.no_hand:
            self._show_no_hand()
            return
        self.seen = (result.image, result.bgr, result.region)
        if self.find_hands and result.hand is not None:
            self.view.show_hand(result.hand)
        pred = result.prediction
        if self.mode in LIVE:
            pred = Prediction(self.smoother.add(pred.probabilities), pred.class_names, pred.seconds)
        self.ms_history.append(pred.seconds * 1000.0)
        self.last_display = decide(pred, self.threshold)
        self.view.show_model_input(result.model_input)
        self.view.show_heatmap(result.heatmap)
        self.view.show_prediction(self.last_display)
        self.view.show_opinions(result.prediction)
        self._show_rates()

    def _show_no_hand(self) -> None:
        """No hand: no class, grey bars, and the smoothing starts again when a hand comes back."""
        self.smoother.reset()
        self.last_display = None
        self.seen = None
        self.view.show_hand(None)
        self.view.show_heatmap(None)
        self.view.show_no_hand("no hand in this picture" if self.mode == "images" else "show a hand sign to the camera")
        self._show_rates()

    def _show_rates(self) -> None:
        ms = float(np.mean(self.ms_history)) if self.ms_history else 0.0
        self.view.show_rates(self.fps.rate() if self.mode in LIVE else 0.0, ms)

    def _show_file_result(self, result) -> bool:
        """Put a decoded file on screen; True when its prediction is the one to show."""
        if result.error is not None:
            self.current_image = None
            self.view.show_frame(None)
            self.view.show_error(str(result.error), key="source")
            return False
        self.view.clear_error("source")
        self.current_image, self.current_bgr = result.image, False
        self.view.show_frame(result.image, bgr=False)
        self.view.show_region(self.region_norm())
        if result.prediction is None and not result.no_hand:
            return False  # no model yet
        # Files open with the centre square; re-run on the user's region if they moved it.
        if not self.find_hands and self.regions.is_chosen(self.mode):
            self._submit(result.image, bgr=False)
            return False
        return True

    def on_source_failed(self, error) -> None:
        self.view.show_error(str(error), action="Retry", key="source")
        self.view.show_source(self.frames.describe(), placeholder=str(error))

    def on_source_ended(self) -> None:
        self.view.show_error(f"{self.frames.describe()}: end of video", kind="info", action="Play again", key="source")

    # -- saving frames --------------------------------------------------------------------
    def _rgb(self) -> np.ndarray | None:
        if self.current_image is None:
            self.view.show_error(NOTHING_ON_SCREEN, kind="info", key="source")
            return None
        return self.current_image[:, :, ::-1] if self.current_bgr else self.current_image

    def snapshot(self, folder: Path | None = None) -> Path | None:
        """Save the frame on screen (full size, PNG) and return its path."""
        from core.paths import user_dir

        rgb = self._rgb()
        if rgb is None:
            return None
        folder = Path(folder) if folder else user_dir() / "snapshots"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
        path = folder / f"snapshot-{stamp}.png"
        if not write_rgb(path, rgb):
            self.view.show_error(f"could not write {path}", key="source")
            return None
        self.view.show_status(f"Saved snapshot {path}")
        return path

    def _what_the_model_saw(self):
        """The RGB picture and region to save as a sample: the hand the classifier saw, or the user's box."""
        if self.find_hands and self.current_image is not None:
            if self.seen is None:
                self.view.show_error(NO_HAND_TO_SAVE, kind="info", key="source")
                return None
            image, bgr, region = self.seen
            rgb = image[:, :, ::-1] if bgr else image
            return rgb, region or self.pixel_region(rgb)
        rgb = self._rgb()
        return None if rgb is None else (rgb, self.pixel_region(rgb))

    def save_as_class(self, class_name: str) -> Path | None:
        """"This is wrong": save the region the model sees into the user's dataset as ``class_name``."""
        from core.paths import collected_dir

        seen = self._what_the_model_saw()
        if seen is None:
            return None
        path = save_sample(*seen, collected_dir() / class_name)
        if path is None:
            self.view.show_error(f"could not write to {collected_dir() / class_name}", key="source")
            return None
        self.view.show_status(f"Saved as class {class_name}: {path}")
        self.sample_saved.emit(class_name, str(path))
        return path
