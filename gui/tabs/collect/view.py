"""The Collect tab: record your own samples per class from the webcam (or a video).

Samples are the crop of the live frame around the found hand ("Find hand", the
default) or in the user's box, saved as JPEG files in a class-folder tree in the user data folder (``<user dir>/collected/<class>/``,
``core.data.samples``), which ``handsign train --data`` and the Train tab's
fine-tuning read directly.  :class:`CollectTab` lays out the capture panel,
the preview and the samples panel and implements the view methods of its
:class:`~gui.tabs.collect.controller.BurstController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.data.samples import count_samples, delete_samples, extra_classes, list_images
from core.inference.region import CENTRE
from gui.settings import get_int
from gui.tabs.collect.controller import BurstController
from gui.tabs.collect.panels import CapturePanel, SamplesPanel
from gui.widgets import FrameView, MessageBanner, big_font, show_checked

COUNTDOWN_SIDE = 200  # the countdown digit's square over the preview


def collected_root() -> Path:
    from core.paths import collected_dir

    return collected_dir()


class CollectTab(QWidget):
    status_message = Signal(str, int)
    start_camera_requested = Signal()
    find_hand_toggled = Signal(bool)  # the user clicked "Find hand" here

    def __init__(self, frames, parent=None):
        super().__init__(parent)
        self.capture = CapturePanel()
        self.samples = SamplesPanel()
        self.banner = MessageBanner()
        self.preview = FrameView()
        self.preview.placeholder = "Start a camera (here or on the Classify tab), or play a video, to capture samples"
        self.preview.set_region(CENTRE)
        self.overlay = QLabel("", self.preview)
        self.overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.overlay.setFont(big_font(self, 110, bold=True))
        self.overlay.setStyleSheet("color: white; background: rgba(0,0,0,90); border-radius: 16px;")
        self.overlay.hide()
        self.status = QLabel("")
        self.status.setFont(big_font(self, 18, bold=True))
        centre = QVBoxLayout()
        centre.addWidget(self.banner)
        centre.addWidget(self.status)
        centre.addWidget(self.preview, 1)
        root = QHBoxLayout(self)
        root.addWidget(self.capture)
        root.addLayout(centre, 1)
        root.addWidget(self.samples)
        self.controller = BurstController(self, frames, collected_root, self)
        self.show_find_hands(self.controller.find_hands)
        self._wire()
        self.set_classes([str(i) for i in range(6)])

    def _wire(self) -> None:
        c = self.controller
        self.capture.class_changed.connect(lambda _name: self.refresh_thumbnails())
        self.capture.capture_button.clicked.connect(lambda: self.start_burst())
        self.capture.cancel_button.clicked.connect(c.cancel_burst)
        self.capture.camera_button.clicked.connect(self.start_camera_requested)
        self.capture.find_hand_button.toggled.connect(self._find_hand_clicked)
        self.samples.delete_requested.connect(self.delete_selected)
        self.samples.open_folder_button.clicked.connect(self._open_folder)
        self.preview.region_changed.connect(c.set_region)
        self.preview.reset_requested.connect(c.reset_region)

    def set_find_hand(self, on: bool) -> None:
        """Save the found hand's square (on) or the user's box (off)."""
        self.controller.set_find_hands(on)

    def _find_hand_clicked(self, on: bool) -> None:
        self.set_find_hand(on)
        self.find_hand_toggled.emit(on)

    # -- classes and samples ------------------------------------------------------------------
    @property
    def latest(self):
        """The newest camera frame (BGR), or None before the first."""
        return self.controller.latest

    @property
    def capturing(self) -> bool:
        return self.controller.capturing

    def set_classes(self, names) -> None:
        """The model's classes, plus any class folder already collected for a class the model lacks."""
        self.capture.set_classes(list(names) + extra_classes(collected_root(), names))
        self.refresh()

    def current_class(self) -> str:
        return self.capture.current_class()

    def select_class(self, name: str) -> None:
        self.capture.select_class(name)

    def counts(self) -> dict[str, int]:
        return count_samples(collected_root(), self.capture.class_names)

    def refresh(self) -> None:
        """Read the sample counts and the current class's thumbnails from disk again."""
        self.refresh_counts()
        self.refresh_thumbnails()

    def refresh_counts(self) -> None:
        counts = self.counts()
        self.capture.show_counts(counts)
        self.samples.show_folder(collected_root(), sum(counts.values()))

    def refresh_thumbnails(self) -> None:
        name = self.current_class()
        self.samples.show_samples(name, list_images(collected_root() / name) if name else [])

    def delete_selected(self) -> int:
        paths = self.samples.selected_files()
        for problem in delete_samples(paths, collected_root() / self.current_class()):
            self.banner.show_message(problem)
        self.refresh()
        return len(paths)

    def _open_folder(self) -> None:
        collected_root().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(collected_root())))

    def start_burst(self, count: int | None = None, countdown: int | None = None, interval_ms: int | None = None) -> bool:
        """Capture a burst for the selected class; the arguments default to the panel's settings."""
        panel = self.capture
        return self.controller.start_burst(
            self.current_class(),
            panel.target.value() if count is None else count,
            panel.countdown.value() if countdown is None else countdown,
            panel.interval.value() if interval_ms is None else interval_ms)

    # -- the window's Tab protocol -------------------------------------------------------------
    def restore_settings(self, s: QSettings) -> None:
        self.capture.target.setValue(get_int(s, "collect/target", 20))

    def save_settings(self, s: QSettings) -> None:
        s.setValue("collect/target", self.capture.target.value())

    def busy(self) -> bool:
        return self.capturing

    def request_stop(self) -> None:
        self.controller.cancel_burst()

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        if self.capturing:
            self.controller.cancel_burst()
        return True

    # -- what the controller tells the view --------------------------------------------------
    def show_frame(self, image) -> None:
        self.preview.set_frame(image, bgr=True)

    def show_region(self, norm) -> None:
        self.preview.set_region(norm)

    def show_find_hands(self, on: bool) -> None:
        show_checked(self.capture.find_hand_button, on)
        self.preview.set_follow_hand(on)

    def show_hand(self, hand) -> None:
        """The found hand's square and landmarks on the preview; None: no hand in view."""
        self.preview.set_hand(None if hand is None else hand.region, None if hand is None else hand.landmarks)

    def is_showing(self) -> bool:
        """True while the tab is on screen (it asks for the hand only then, or during a burst)."""
        return self.isVisible()

    def show_error(self, text: str) -> None:
        self.banner.show_message(text)

    def clear_error(self) -> None:
        self.banner.hide()

    def show_progress(self, text: str) -> None:
        self.status.setText(text)

    def show_capturing(self, capturing: bool) -> None:
        self.capture.show_capturing(capturing)

    def show_countdown(self, text: str | None) -> None:
        """The countdown digit over the preview; None hides it."""
        if text is None:
            self.overlay.hide()
            return
        self.overlay.setText(text)
        side = COUNTDOWN_SIDE
        self.overlay.setGeometry((self.preview.width() - side) // 2, (self.preview.height() - side) // 2, side, side)
        self.overlay.show()
        self.overlay.raise_()

    def show_burst_done(self) -> None:
        self.refresh()
