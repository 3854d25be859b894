"""The Classify tab: a live camera, a video file or image files, and what the network makes of them.

:class:`ClassifyTab` lays out the source bar, the frame area and the result
panel, implements the view methods its :class:`ClassifyController` calls, and
the window's :class:`~gui.tabs.base.Tab` protocol (its settings are the
threshold, smoothing, camera and last source).  "Find hand" is the window's
setting (``hands/find``): the window sets it here with :meth:`ClassifyTab.set_find_hand`
and hears the tab's button through ``find_hand_toggled``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.dialogs import ask_image_files, ask_image_folder, ask_model_file, ask_video_file
from gui.settings import get_bool, get_int, get_str
from gui.tabs.classify.controller import ClassifyController
from gui.tabs.classify.controls import SourceBar
from gui.tabs.classify.heatmap import HeatmapChoice
from gui.tabs.classify.results import ResultPanel
from gui.widgets import FrameView, MessageBanner, big_font

MAX_SAVED_IMAGES = 2000  # a list of files to reopen next time; more would bloat the settings file


class ClassifyTab(QWidget):
    """The view: paints what the controller tells it and forwards the user's actions."""

    status_message = Signal(str, int)
    find_hand_toggled = Signal(bool)  # the user clicked "Find hand" here

    def __init__(self, frames, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.frames = frames
        self.camera_index = 0  # the camera to start (the last one used)
        self._saved_source: dict = {"source": "camera"}
        self.source_bar = SourceBar()
        self.banner = MessageBanner()  # source messages (camera, video, files)
        self.model_banner = MessageBanner()  # model messages (missing, damaged)
        self.model_banner.button.setText("Open model…")
        self.source_label = QLabel("No source")
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setFont(big_font(self, 18, bold=True))
        self.frame_view = FrameView()
        self.frame_view.placeholder = "Starting…"
        self.results = ResultPanel()
        left = QVBoxLayout()
        left.addWidget(self.source_label)
        left.addWidget(self.frame_view, 1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.results)
        root = QVBoxLayout(self)
        root.addWidget(self.source_bar)
        root.addWidget(self.model_banner)
        root.addWidget(self.banner)
        root.addLayout(body, 1)
        self.controller = ClassifyController(self, frames, self)
        self.heatmap = HeatmapChoice(self, self)  # .request -> InferenceWorker.set_heatmap (the window wires it)
        self.heatmap_shown = self.heatmap.shown
        # Esc takes the heatmap back to the top class; enabled only while a clicked class is shown, so
        # that otherwise Esc stays the window's (leaving presenter mode) instead of being ambiguous.
        self.escape_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape_shortcut.setEnabled(False)
        self.escape_shortcut.activated.connect(self.heatmap.escape)
        self.show_find_hands(self.controller.find_hands)
        self._wire()

    def _wire(self) -> None:
        c, bar = self.controller, self.source_bar
        self.frame_view.region_changed.connect(c.set_region)
        self.frame_view.reset_requested.connect(c.reset_region)
        self.results.threshold_changed.connect(c.set_threshold)
        self.results.smoothing_changed.connect(c.set_smoothing)
        self.results.save_as_class_requested.connect(c.save_as_class)
        bar.pause_button.toggled.connect(c.set_paused)
        bar.find_hand_button.toggled.connect(self._find_hand_clicked)
        bar.snapshot_button.clicked.connect(lambda: c.snapshot())
        bar.prev_button.clicked.connect(c.previous_image)
        bar.next_button.clicked.connect(c.next_image)
        bar.camera_button.clicked.connect(self.start_selected_camera)
        bar.refresh_button.clicked.connect(self.frames.list_cameras_async)
        bar.images_button.clicked.connect(self.ask_open_images)
        bar.folder_button.clicked.connect(self.ask_open_folder)
        bar.video_button.clicked.connect(self.ask_open_video)
        self.banner.action_clicked.connect(c.retry)
        self.model_banner.action_clicked.connect(self.ask_open_model)
        self.frames.cameras_listed.connect(lambda cameras: bar.set_cameras(cameras, self.camera_index))
        c.mode_changed.connect(lambda mode: bar.show_stepping(mode == "images"))

    # -- what the user (or the window's menus) asks for ------------------------------------
    def start_selected_camera(self) -> None:
        """Start the camera picked in the list (or the last one used when none is listed)."""
        index = self.source_bar.selected_camera()
        self.camera_index = self.camera_index if index is None else index
        self.controller.start_camera(self.camera_index)

    def set_find_hand(self, on: bool) -> None:
        """Find the hand (on) or classify the user's box (off)."""
        self.controller.set_find_hands(on)

    def set_heatmap(self, on: bool) -> None:
        """Show where the network looks (the "Heatmap" box, Classify ▸ Show heatmap, Ctrl+G)."""
        self.heatmap.set_on(on)

    def _find_hand_clicked(self, on: bool) -> None:
        self.set_find_hand(on)
        self.find_hand_toggled.emit(on)

    def ask_open_images(self) -> None:
        _if_chosen(ask_image_files(self), self.controller.open_paths)

    def ask_open_folder(self) -> None:
        _if_chosen(ask_image_folder(self), lambda folder: self.controller.open_paths([folder]))

    def ask_open_video(self) -> None:
        _if_chosen(ask_video_file(self), self.controller.open_video)

    def ask_open_model(self) -> None:
        _if_chosen(ask_model_file(self), self.controller.load_model)

    def start_last_source(self) -> None:
        """Open again what was open when the app was last closed (by default the camera)."""
        saved, c = self._saved_source, self.controller
        if saved["source"] == "video" and Path(saved.get("video", "")).is_file():
            c.open_video(saved["video"])
            return
        if saved["source"] == "images":
            files = [p for p in saved.get("images", []) if Path(p).exists()]
            if files:
                c.open_paths(files)
                c.show_file(saved.get("image_index", 0))
                return
        c.start_camera(self.camera_index)

    # -- the window's Tab protocol -------------------------------------------------------------
    def restore_settings(self, s: QSettings) -> None:
        self.results.set_threshold_percent(get_int(s, "classify/threshold", 60))
        self.results.set_smoothing_frames(get_int(s, "classify/smoothing", 3))
        self.frames.mirror_camera = get_bool(s, "camera/mirror", True)
        self.camera_index = get_int(s, "camera/index", 0)
        images = s.value("classify/images") or []
        self._saved_source = {"source": get_str(s, "classify/source", "camera"),
                              "video": get_str(s, "classify/video", ""),
                              "images": [images] if isinstance(images, str) else list(images),
                              "image_index": get_int(s, "classify/image_index", 0)}
        self.heatmap.set_layer(get_str(s, "classify/heatmap_layer", "stage4"))
        self.set_heatmap(get_bool(s, "classify/heatmap", False))

    def save_settings(self, s: QSettings) -> None:
        c = self.controller
        s.setValue("classify/threshold", self.results.threshold_percent())
        s.setValue("classify/smoothing", self.results.smoothing_frames())
        s.setValue("camera/index", self.camera_index)
        s.setValue("camera/mirror", self.frames.mirror_camera)
        s.setValue("classify/heatmap", self.heatmap.on)
        s.setValue("classify/heatmap_layer", self.heatmap.layer)
        s.setValue("classify/source", c.mode if c.mode != "none" else self._saved_source["source"])
        if c.mode == "video" and self.frames.video_path:
            s.setValue("classify/video", str(self.frames.video_path))
        if c.mode == "images" and c.files:
            s.setValue("classify/images", [str(p) for p in c.files[:MAX_SAVED_IMAGES]])
            s.setValue("classify/image_index", c.file_index)

    def presenter_controls(self) -> dict:
        """What presenter mode hides until the cursor nears that edge: the source bar, the knobs under the bars."""
        return {"top": [self.source_bar], "bottom": [self.results.knobs]}

    def busy(self) -> bool:
        return False  # classifying never holds up closing: the window ends the inference worker itself

    def request_stop(self) -> None:
        pass  # nothing long-running of its own: the camera and the inference worker belong to the window

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        return True

    # -- what the controller tells the view --------------------------------------------------
    def show_frame(self, image, bgr: bool = False) -> None:
        self.frame_view.set_frame(image, bgr=bgr)

    def show_region(self, norm) -> None:
        self.frame_view.set_region(norm)

    def show_find_hands(self, on: bool) -> None:
        self.source_bar.show_find_hand(on)
        self.frame_view.set_follow_hand(on)

    def show_hand(self, hand) -> None:
        """The found hand's square and landmarks on the frame; None: no hand in view."""
        self.frame_view.set_hand(None if hand is None else hand.region, None if hand is None else hand.landmarks)

    def show_no_hand(self, text: str) -> None:
        self.results.show_no_hand(text)

    def show_model_input(self, x) -> None:
        self.results.show_model_input(x)

    def show_heatmap(self, heatmap) -> None:
        self.heatmap.show(heatmap)

    def show_prediction(self, d) -> None:
        self.results.show_prediction(d)

    def show_opinions(self, prediction) -> None:
        self.results.show_opinions(prediction)

    def show_idle(self, text: str) -> None:
        self.results.top_label.show_idle(text)
        self.results.show_opinions(None)

    def show_rates(self, fps: float, ms: float) -> None:
        self.results.show_rates(fps, ms)

    def show_classes(self, names) -> None:
        self.results.show_classes(names)
        self.heatmap.model_loaded()

    def show_source(self, text: str, placeholder: str | None = None) -> None:
        self.source_label.setText(text)
        if placeholder is not None:
            self.frame_view.placeholder = placeholder
            self.frame_view.set_frame(None)

    def show_paused(self, paused: bool) -> None:
        self.source_bar.show_paused(paused)

    def show_error(self, text: str, *, action: str | None = None, kind: str = "error", key: str = "source") -> None:
        banner = self.model_banner if key == "model" else self.banner
        banner.show_message(text, kind=kind, action=action)

    def clear_error(self, key: str = "source") -> None:
        (self.model_banner if key == "model" else self.banner).hide()

    def show_status(self, text: str) -> None:
        self.status_message.emit(text, 8000)

    # -- drag and drop -------------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.controller.open_paths(paths)
            event.acceptProposedAction()


def _if_chosen(chosen, then) -> None:
    """``then(chosen)`` unless the dialog was cancelled (nothing chosen)."""
    if chosen:
        then(chosen)
