"""The Classify tab: a live camera, a video file or image files, and what the network makes of them.

``ClassifyController`` holds the logic (which source, which region, smoothing,
the unsure threshold, rates, snapshots, "this is wrong -> save as class N") and
talks to the view only through intent-named methods (``show_frame``,
``show_prediction``, ``show_error`` …), so it can be tested with a fake view.
Frames go to the inference worker one at a time: while it is busy, only the
newest frame is kept for it, so classification never falls behind the camera.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.camera import is_video_name
from core.images import is_image_name
from gui.widgets import (
    FrameView,
    MessageBanner,
    ModelInputView,
    ProbabilityBars,
    TopClassLabel,
    big_font,
    clamp_norm,
    region_from_norm,
)

log = logging.getLogger(__name__)

DEFAULT_SIDE = {"camera": 0.8, "video": 0.8, "images": 1.0, "none": 1.0}


@dataclass
class Display:
    """What the view shows for one classified frame."""

    probabilities: np.ndarray
    class_names: list[str]
    top_index: int
    confidence: float
    unsure: bool
    milliseconds: float

    @property
    def top_class(self) -> str:
        return self.class_names[self.top_index]


class Smoother:
    """Mean of the last ``n`` probability vectors (``n`` = 1: no smoothing)."""

    def __init__(self, n: int = 1):
        self.n = max(1, int(n))
        self._history: deque = deque(maxlen=self.n)

    def set_window(self, n: int) -> None:
        self.n = max(1, int(n))
        self._history = deque(list(self._history)[-self.n :], maxlen=self.n)

    def reset(self) -> None:
        self._history.clear()

    def add(self, probs) -> np.ndarray:
        self._history.append(np.asarray(probs, np.float32))
        return np.mean(np.stack(self._history), axis=0)


def decide(probs, class_names, threshold: float, ms: float = 0.0) -> Display:
    probs = np.asarray(probs, np.float32)
    top = int(np.argmax(probs))
    conf = float(probs[top])
    return Display(probs, list(class_names), top, conf, conf < threshold, ms)


class RateMeter:
    """Events per second over a sliding window of timestamps."""

    def __init__(self, window: float = 2.0):
        self.window = window
        self._times: deque = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._times.clear()


def list_folder_images(folder: Path) -> list[Path]:
    from core.data.datasets import natural_key

    return sorted((p for p in Path(folder).iterdir() if p.is_file() and is_image_name(p)), key=lambda p: natural_key(p.name))


class ClassifyController(QObject):
    request_frame = Signal(object, object, int, bool)  # image, Region, seq, bgr -> InferenceWorker.classify_frame
    request_file = Signal(str, object, int)  # path, Region, seq -> InferenceWorker.classify_file
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
        self.regions: dict[str, tuple[float, float, float]] = {}
        self.files: list[Path] = []
        self.file_index = -1
        self.current_image: np.ndarray | None = None  # what is on screen (RGB, or BGR when current_bgr)
        self.current_bgr = False
        self.last_display: Display | None = None
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
        return self.regions.get(self.mode, (0.5, 0.5, DEFAULT_SIDE.get(self.mode, 1.0)))

    def set_region(self, norm) -> None:
        self.regions[self.mode] = tuple(float(v) for v in norm)
        self.view.show_region(self.region_norm())
        if self.mode == "images" and self.current_image is not None:
            self._submit(self.current_image, bgr=False)

    def reset_region(self) -> None:
        self.regions.pop(self.mode, None)
        self.set_region(self.region_norm())

    def pixel_region(self, image: np.ndarray):
        h, w = image.shape[:2]
        return region_from_norm(clamp_norm(self.region_norm(), w, h), w, h)

    # -- model -----------------------------------------------------------------------------
    def load_model(self, path) -> None:
        self.view.show_status(f"Loading model {Path(path).name}…")
        self.request_model.emit(str(path))

    def on_model_loaded(self, report) -> None:
        self.model_ready = True
        self.model_path = report.path
        self.class_names = list(report.class_names)
        self.smoother.reset()
        self.view.show_classes(self.class_names)
        self.view.clear_error("model")
        self.view.show_status(f"Model: {report.title} · {len(self.class_names)} classes")
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
        self.view.show_region(self.region_norm())

    def start_camera(self, index: int) -> None:
        self._enter("camera")
        self.files, self.file_index = [], -1
        self.view.clear_error("source")
        self.view.show_source(f"Camera {index}", placeholder=f"Starting camera {index}…")
        self.frames.start_camera(index)

    def open_video(self, path) -> None:
        path = Path(path)
        self._enter("video")
        self.files, self.file_index = [], -1
        self.view.clear_error("source")
        self.view.show_source(f"Video: {path.name}", placeholder=f"Opening {path.name}…")
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
                files += list_folder_images(p)
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
        self.request_file.emit(str(path), None, self._seq)

    def next_image(self) -> None:
        if self.mode == "images":
            self.show_file(self.file_index + 1)

    def previous_image(self) -> None:
        if self.mode == "images":
            self.show_file(self.file_index - 1)

    def retry(self) -> None:
        self.view.clear_error("source")
        if self.mode in ("camera", "video"):
            self.view.show_source(self.frames.describe(), placeholder="Trying again…")
            self.frames.retry()

    def toggle_pause(self) -> None:
        self.set_paused(not self.paused)

    def set_paused(self, paused: bool) -> None:
        self.paused = bool(paused)
        self.view.show_paused(self.paused)

    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        if self.last_display is not None:
            self.last_display = decide(self.last_display.probabilities, self.class_names, self.threshold,
                                       self.last_display.milliseconds)
            self.view.show_prediction(self.last_display)

    def set_smoothing(self, frames: int) -> None:
        self.smoother.set_window(frames)

    # -- frames in, predictions out --------------------------------------------------------
    def on_frame(self, frame) -> None:
        if self.paused or self.mode not in ("camera", "video"):
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
            self._pending = (image, region, self._seq, bgr)  # replace: newest frame only
            return
        self.busy = True
        self.request_frame.emit(image, region, self._seq, bgr)

    def on_worker_finished(self, job: str) -> None:
        if job in ("frame", "file"):
            self.busy = False
            if self._pending is not None:
                image, region, seq, bgr = self._pending
                self._pending = None
                self.busy = True
                self.request_frame.emit(image, region, seq, bgr)

    def on_result(self, result) -> None:
        if result.kind == "file":
            if result.error is not None:
                self.current_image = None
                self.view.show_frame(None)
                self.view.show_error(str(result.error), key="source")
                return
            self.view.clear_error("source")
            self.current_image, self.current_bgr = result.image, False
            self.view.show_frame(result.image, bgr=False)
            self.view.show_region(self.region_norm())
            if result.prediction is None:
                return
            # Files open with the centre square; re-run on the user's region if they moved it.
            if self.mode in self.regions:
                self._submit(result.image, bgr=False)
                return
        elif result.error is not None:
            self.view.show_error(str(result.error), key="model")
            return
        if result.seq < self._shown_seq:
            return
        self._shown_seq = result.seq
        pred = result.prediction
        probs = self.smoother.add(pred.probabilities) if self.mode in ("camera", "video") else pred.probabilities
        ms = pred.seconds * 1000.0
        self.ms_history.append(ms)
        self.last_display = decide(probs, pred.class_names, self.threshold, ms)
        self.results_shown += 1
        self.view.show_model_input(result.model_input)
        self.view.show_prediction(self.last_display)
        self.view.show_rates(self.fps.rate() if self.mode in ("camera", "video") else 0.0,
                             float(np.mean(self.ms_history)))

    def on_source_failed(self, error) -> None:
        self.view.show_error(str(error), action="Retry", key="source")
        self.view.show_source(self.frames.describe(), placeholder=str(error))

    def on_source_ended(self) -> None:
        self.view.show_error(f"{self.frames.describe()}: end of video", kind="info", action="Play again", key="source")

    # -- saving frames --------------------------------------------------------------------
    def _rgb(self) -> np.ndarray | None:
        if self.current_image is None:
            return None
        return self.current_image[:, :, ::-1] if self.current_bgr else self.current_image

    def snapshot(self, folder: Path | None = None) -> Path | None:
        """Save the frame on screen (full size, PNG) and return its path."""
        from core.paths import user_dir

        rgb = self._rgb()
        if rgb is None:
            self.view.show_error("nothing to save yet: start a camera or open an image", kind="info", key="source")
            return None
        folder = Path(folder) if folder else user_dir() / "snapshots"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
        path = folder / f"snapshot-{stamp}.png"
        if not _write_rgb(path, rgb):
            self.view.show_error(f"could not write {path}", key="source")
            return None
        self.view.show_status(f"Saved snapshot {path}")
        return path

    def save_as_class(self, class_name: str) -> Path | None:
        """"This is wrong": save the region the model sees into the user's dataset as ``class_name``."""
        from core.paths import collected_dir

        rgb = self._rgb()
        if rgb is None:
            self.view.show_error("nothing to save yet: start a camera or open an image", kind="info", key="source")
            return None
        path = save_sample(rgb, self.pixel_region(rgb), collected_dir() / class_name)
        if path is None:
            self.view.show_error(f"could not write to {collected_dir() / class_name}", key="source")
            return None
        self.view.show_status(f"Saved as class {class_name}: {path}")
        self.sample_saved.emit(class_name, str(path))
        return path


def _write_rgb(path: Path, rgb: np.ndarray) -> bool:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    return bool(cv2.imwrite(str(path), np.ascontiguousarray(rgb[:, :, ::-1])))


def save_sample(rgb: np.ndarray, region, folder: Path, max_side: int = 256) -> Path | None:
    """Crop ``region`` from an RGB image, shrink to at most ``max_side`` and save it as a JPEG in ``folder``."""
    import cv2

    crop = rgb[region.y : region.y + region.h, region.x : region.x + region.w]
    if max(crop.shape[:2]) > max_side:
        crop = cv2.resize(crop, (max_side, max_side), interpolation=cv2.INTER_AREA)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    while True:
        path = folder / f"{stamp}-{n:03d}.jpg"
        if not path.exists():
            break
        n += 1
    return path if _write_rgb(path, crop) else None


class ClassifyTab(QWidget):
    """The view: paints what the controller tells it and forwards the user's actions."""

    open_images_requested = Signal()
    open_folder_requested = Signal()
    open_video_requested = Signal()
    open_model_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.controller: ClassifyController | None = None

        # Source bar
        self.camera_combo = QComboBox()
        self.camera_combo.setMinimumWidth(220)
        self.camera_combo.setToolTip("Cameras that opened when the app looked for them")
        self.camera_button = QPushButton("Start camera")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("Look for cameras again")
        self.video_button = QPushButton("Video…")
        self.images_button = QPushButton("Images…")
        self.images_button.setToolTip("Open image files (Ctrl+O); you can also drop files or a folder here")
        self.folder_button = QPushButton("Folder…")
        self.prev_button = QPushButton("◀")
        self.prev_button.setToolTip("Previous image (Left / Page Up)")
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip("Next image (Right / Page Down)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause / resume (Space)")
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Save the frame on screen as a PNG (Ctrl+S)")
        bar = QHBoxLayout()
        for w in (self.camera_combo, self.refresh_button, self.camera_button, self.video_button, self.images_button,
                  self.folder_button):
            bar.addWidget(w)
        bar.addSpacing(16)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.snapshot_button)

        self.banner = MessageBanner()  # source messages (camera, video, files)
        self.model_banner = MessageBanner()  # model messages (missing, damaged)
        self.model_banner.button.setText("Open model…")
        self.source_label = QLabel("No source")
        self.source_label.setObjectName("sourceLabel")
        self.frame_view = FrameView()
        self.frame_view.placeholder = "Starting…"

        # Result panel
        self.top_label = TopClassLabel()
        self.bars = ProbabilityBars()
        self.input_view = ModelInputView(160)
        self.input_caption = QLabel("What the network sees\n(64 × 64)")
        self.input_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rates_label = QLabel("– fps · – ms per inference")
        self.rates_label.setObjectName("rates")
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(0, 100)
        self.threshold_slider.setValue(60)
        self.threshold_label = QLabel()
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(1, 15)
        self.smoothing_slider.setValue(1)
        self.smoothing_label = QLabel()
        self.class_buttons_box = QWidget()
        self.class_buttons_layout = QHBoxLayout(self.class_buttons_box)
        self.class_buttons_layout.setContentsMargins(0, 0, 0, 0)
        self.class_buttons: list[QPushButton] = []

        input_row = QHBoxLayout()
        input_row.addWidget(self.input_view)
        side = QVBoxLayout()
        side.addWidget(self.input_caption)
        side.addStretch(1)
        side.addWidget(self.rates_label)
        input_row.addLayout(side, 1)

        knobs = QGridLayout()
        knobs.addWidget(self.threshold_label, 0, 0)
        knobs.addWidget(self.threshold_slider, 0, 1)
        knobs.addWidget(self.smoothing_label, 1, 0)
        knobs.addWidget(self.smoothing_slider, 1, 1)
        wrong = QLabel("Wrong? Save this frame as:")
        knobs.addWidget(wrong, 2, 0, 1, 2)
        knobs.addWidget(self.class_buttons_box, 3, 0, 1, 2)

        panel = QFrame()
        panel.setObjectName("resultPanel")
        panel.setFixedWidth(470)
        pl = QVBoxLayout(panel)
        pl.addWidget(self.top_label)
        pl.addWidget(self.bars, 1)
        pl.addLayout(input_row)
        pl.addLayout(knobs)

        left = QVBoxLayout()
        left.addWidget(self.source_label)
        left.addWidget(self.frame_view, 1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(panel)

        root = QVBoxLayout(self)
        root.addLayout(bar)
        root.addWidget(self.model_banner)
        root.addWidget(self.banner)
        root.addLayout(body, 1)

        self.source_label.setFont(big_font(self, 18, bold=True))
        self.rates_label.setFont(big_font(self, 18))
        self._update_knob_labels()
        self.threshold_slider.valueChanged.connect(self._update_knob_labels)
        self.smoothing_slider.valueChanged.connect(self._update_knob_labels)
        self.prev_button.setEnabled(False)
        self.next_button.setEnabled(False)
        self.images_button.clicked.connect(self.open_images_requested)
        self.folder_button.clicked.connect(self.open_folder_requested)
        self.video_button.clicked.connect(self.open_video_requested)

    def bind(self, controller: ClassifyController) -> None:
        self.controller = controller
        c = controller
        self.frame_view.region_changed.connect(c.set_region)
        self.frame_view.reset_requested.connect(c.reset_region)
        self.threshold_slider.valueChanged.connect(lambda v: c.set_threshold(v / 100.0))
        self.smoothing_slider.valueChanged.connect(c.set_smoothing)
        self.pause_button.toggled.connect(c.set_paused)
        self.snapshot_button.clicked.connect(lambda: c.snapshot())
        self.prev_button.clicked.connect(c.previous_image)
        self.next_button.clicked.connect(c.next_image)
        self.camera_button.clicked.connect(self._start_selected_camera)
        self.banner.action_clicked.connect(c.retry)
        self.model_banner.action_clicked.connect(self.open_model_requested)
        c.mode_changed.connect(self._mode_changed)

    def _start_selected_camera(self) -> None:
        index = self.camera_combo.currentData()
        self.controller.start_camera(0 if index is None else int(index))

    def _mode_changed(self, mode: str) -> None:
        images = mode == "images"
        self.prev_button.setEnabled(images)
        self.next_button.setEnabled(images)

    def _update_knob_labels(self, *_):
        self.threshold_label.setText(f"Unsure below {self.threshold_slider.value()} %")
        n = self.smoothing_slider.value()
        self.smoothing_label.setText("No smoothing" if n == 1 else f"Smooth over {n} frames")

    def set_cameras(self, cameras, selected: int | None = None) -> None:
        self.camera_combo.clear()
        for cam in cameras:
            self.camera_combo.addItem(cam.label, cam.index)
        if not cameras:
            self.camera_combo.addItem("No camera found", None)
            self.camera_combo.setToolTip("No camera opened. Plug one in and press ⟳, or open a video or images.")
        elif selected is not None:
            i = self.camera_combo.findData(selected)
            if i >= 0:
                self.camera_combo.setCurrentIndex(i)

    # -- what the controller tells the view --------------------------------------------------
    def show_frame(self, image, bgr: bool = False) -> None:
        self.frame_view.set_frame(image, bgr=bgr)

    def show_region(self, norm) -> None:
        self.frame_view.set_region(norm)

    def show_model_input(self, x) -> None:
        self.input_view.set_image(x)
        if x is not None:
            self.input_caption.setText(f"What the network sees\n({x.shape[1]} × {x.shape[0]})")

    def show_prediction(self, d: Display) -> None:
        self.top_label.show_result(d.top_class, d.confidence, d.unsure)
        self.bars.set_probabilities(d.probabilities, d.top_index, d.unsure)

    def show_idle(self, text: str) -> None:
        self.top_label.show_idle(text)

    def show_rates(self, fps: float, ms: float) -> None:
        fps_text = f"{fps:.1f} fps" if fps > 0 else "still image"
        self.rates_label.setText(f"{fps_text} · {ms:.0f} ms per inference")

    def show_classes(self, names) -> None:
        self.bars.set_classes(names)
        for b in self.class_buttons:
            b.deleteLater()
        self.class_buttons = []
        for name in names:
            b = QPushButton(name)
            b.setMinimumWidth(40)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setToolTip(f"Save the region the model sees into your own samples as class {name}")
            b.clicked.connect(lambda _=False, n=name: self.controller.save_as_class(n))
            self.class_buttons_layout.addWidget(b)
            self.class_buttons.append(b)
        self.top_label.show_idle("waiting for a picture")

    def show_source(self, text: str, placeholder: str | None = None) -> None:
        self.source_label.setText(text)
        if placeholder is not None:
            self.frame_view.placeholder = placeholder
            self.frame_view.set_frame(None)

    def show_paused(self, paused: bool) -> None:
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.blockSignals(False)
        self.pause_button.setText("Resume" if paused else "Pause")

    def show_error(self, text: str, *, action: str | None = None, kind: str = "error", key: str = "source") -> None:
        banner = self.model_banner if key == "model" else self.banner
        banner.show_message(text, kind=kind, action=action)

    def clear_error(self, key: str = "source") -> None:
        (self.model_banner if key == "model" else self.banner).hide()

    def show_status(self, text: str) -> None:
        win = self.window()
        if hasattr(win, "show_status"):
            win.show_status(text)

    # -- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and self.controller is not None:
            self.controller.open_paths(paths)
            event.acceptProposedAction()


def ask_image_files(parent) -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, "Open images", "", "Images (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp);;All files (*)")
    return files
