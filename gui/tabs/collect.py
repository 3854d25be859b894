"""The Collect tab: record your own samples per class from the webcam (or a video).

Samples are the region crop of the live frame, saved as JPEG files in a
class-folder tree in the user data folder (``<user dir>/collected/<class>/``),
which ``handsign train --data`` and the Train tab's fine-tuning read directly.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.images import is_image_name
from gui.tabs.classify import save_sample
from gui.widgets import FrameView, MessageBanner, big_font, clamp_norm, region_from_norm

log = logging.getLogger(__name__)


def collected_counts(root: Path, classes) -> dict[str, int]:
    out = {}
    for c in classes:
        d = root / c
        out[c] = sum(1 for p in d.iterdir() if p.is_file() and is_image_name(p)) if d.is_dir() else 0
    return out


class CollectTab(QWidget):
    samples_changed = Signal()
    start_camera_requested = Signal()

    def __init__(self, frames, parent=None):
        super().__init__(parent)
        self.frames = frames
        self.class_names = [str(i) for i in range(6)]
        self.region = (0.5, 0.5, 0.8)
        self.latest = None  # newest frame (BGR)
        self.burst_left = 0
        self.burst_total = 0
        self.countdown_left = 0
        self.burst_class = ""
        self.saved_in_burst: list[Path] = []

        self.class_list = QListWidget()
        self.class_list.setFont(big_font(self, 18))
        self.class_list.setMaximumWidth(260)
        self.target = QSpinBox()
        self.target.setRange(1, 500)
        self.target.setValue(20)
        self.countdown = QSpinBox()
        self.countdown.setRange(0, 10)
        self.countdown.setValue(3)
        self.countdown.setSuffix(" s")
        self.interval = QSpinBox()
        self.interval.setRange(50, 5000)
        self.interval.setValue(250)
        self.interval.setSuffix(" ms")
        self.capture_button = QPushButton("Capture burst")
        self.capture_button.setObjectName("primary")
        self.capture_button.setMinimumHeight(44)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.camera_button = QPushButton("Start camera")
        form = QFormLayout()
        form.addRow("Samples per burst", self.target)
        form.addRow("Countdown", self.countdown)
        form.addRow("Every", self.interval)
        controls = QGroupBox("Capture")
        cl = QVBoxLayout(controls)
        cl.addLayout(form)
        cl.addWidget(self.capture_button)
        cl.addWidget(self.cancel_button)
        cl.addWidget(self.camera_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("Class"))
        left.addWidget(self.class_list, 1)
        left.addWidget(controls)

        self.banner = MessageBanner()
        self.preview = FrameView()
        self.preview.placeholder = "Start a camera (here or on the Classify tab), or play a video, to capture samples"
        self.preview.set_region(self.region)
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

        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(88, 88))
        self.thumbs.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.thumbs.setMinimumWidth(330)
        self.thumbs_title = QLabel("Samples")
        self.thumbs_title.setFont(big_font(self, 16, bold=True))
        self.delete_button = QPushButton("Delete selected")
        self.delete_button.setToolTip("Delete the selected samples from disk (Delete)")
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder_button = QPushButton("Open folder")
        right = QVBoxLayout()
        right.addWidget(self.thumbs_title)
        right.addWidget(self.thumbs, 1)
        right.addWidget(self.delete_button)
        right.addWidget(self.folder_label)
        right.addWidget(self.open_folder_button)

        root = QHBoxLayout(self)
        root.addLayout(left)
        root.addLayout(centre, 1)
        root.addLayout(right)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.class_list.currentRowChanged.connect(lambda _r: self.refresh_thumbnails())
        self.capture_button.clicked.connect(lambda: self.start_burst())
        self.cancel_button.clicked.connect(self.cancel_burst)
        self.delete_button.clicked.connect(self.delete_selected)
        self.open_folder_button.clicked.connect(self._open_folder)
        self.camera_button.clicked.connect(self.start_camera_requested)
        self.preview.region_changed.connect(self._region_changed)
        self.preview.reset_requested.connect(lambda: self._region_changed((0.5, 0.5, 0.8)))
        frames.frame_arrived.connect(self.on_frame)
        frames.source_stopped.connect(self._source_stopped)
        self.set_classes(self.class_names)

    # -- paths and classes -----------------------------------------------------------------
    @staticmethod
    def root() -> Path:
        from core.paths import collected_dir

        return collected_dir()

    def set_classes(self, names) -> None:
        current = self.current_class()
        extra = []
        if self.root().is_dir():
            extra = sorted(p.name for p in self.root().iterdir() if p.is_dir() and p.name not in names)
        self.class_names = list(names) + extra
        self.class_list.blockSignals(True)
        self.class_list.clear()
        for n in self.class_names:
            item = QListWidgetItem(n)
            item.setData(Qt.ItemDataRole.UserRole, n)
            self.class_list.addItem(item)
        self.class_list.blockSignals(False)
        row = self.class_names.index(current) if current in self.class_names else 0
        self.class_list.setCurrentRow(row)
        self.refresh_counts()
        self.refresh_thumbnails()

    def current_class(self) -> str:
        item = self.class_list.currentItem() if hasattr(self, "class_list") else None
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def select_class(self, name: str) -> None:
        if name in self.class_names:
            self.class_list.setCurrentRow(self.class_names.index(name))

    def counts(self) -> dict[str, int]:
        return collected_counts(self.root(), self.class_names)

    def refresh_counts(self) -> None:
        counts = self.counts()
        for i, n in enumerate(self.class_names):
            c = counts.get(n, 0)
            self.class_list.item(i).setText(f"{n}   ·  {c} sample{'s' if c != 1 else ''}")
        self.folder_label.setText(f"Saved in {self.root()}  ({sum(counts.values())} samples; "
                                  "use it with the Train tab or handsign train --data)")

    def refresh_thumbnails(self) -> None:
        self.thumbs.clear()
        name = self.current_class()
        if not name:
            return
        folder = self.root() / name
        files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_name(p)) if folder.is_dir() else []
        self.thumbs_title.setText(f"Samples of class {name} ({len(files)})")
        for p in files[-300:]:  # the newest few hundred; more would only slow the list down
            pix = QPixmap(str(p))
            if pix.isNull():
                continue
            item = QListWidgetItem(QIcon(pix.scaled(88, 88, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation)), "")
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            item.setToolTip(p.name)
            self.thumbs.addItem(item)

    def delete_selected(self) -> int:
        paths = [Path(i.data(Qt.ItemDataRole.UserRole)) for i in self.thumbs.selectedItems()]
        for p in paths:
            try:
                p.unlink()
            except OSError as exc:
                self.banner.show_message(f"could not delete {p}: {exc.strerror or exc}")
        # An empty class folder would stop training ("class folder is empty"): remove it.
        folder = self.root() / self.current_class()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        self.refresh_counts()
        self.refresh_thumbnails()
        if paths:
            self.samples_changed.emit()
        return len(paths)

    def _open_folder(self) -> None:
        self.root().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.root())))

    # -- frames ---------------------------------------------------------------------------------
    def on_frame(self, frame) -> None:
        self.latest = frame.image
        self.preview.set_frame(frame.image, bgr=True)

    def _source_stopped(self) -> None:
        if self.burst_left or self.countdown_left:
            self.cancel_burst()
            self.banner.show_message("the camera stopped; burst cancelled")

    def _region_changed(self, norm) -> None:
        self.region = tuple(norm)
        self.preview.set_region(self.region)

    # -- burst capture ------------------------------------------------------------------------
    def start_burst(self, count: int | None = None, countdown: int | None = None, interval_ms: int | None = None) -> bool:
        name = self.current_class()
        if not name:
            self.banner.show_message("pick a class first")
            return False
        if not self.frames.running and self.latest is None:
            self.banner.show_message("no camera picture: start a camera (or play a video) first", action=None)
            return False
        self.banner.hide()
        self.burst_class = name
        self.burst_total = self.burst_left = int(count if count is not None else self.target.value())
        self.countdown_left = int(countdown if countdown is not None else self.countdown.value())
        self.saved_in_burst = []
        self._interval = int(interval_ms if interval_ms is not None else self.interval.value())
        self.capture_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.class_list.setEnabled(False)
        if self.countdown_left > 0:
            self._show_overlay(str(self.countdown_left))
            self._timer.start(1000)
        else:
            self._begin_capture()
        return True

    def _show_overlay(self, text: str) -> None:
        self.overlay.setText(text)
        side = 200
        self.overlay.setGeometry((self.preview.width() - side) // 2, (self.preview.height() - side) // 2, side, side)
        self.overlay.show()
        self.overlay.raise_()

    def _begin_capture(self) -> None:
        self.countdown_left = 0
        self.overlay.hide()
        self._timer.start(self._interval)
        self._tick()

    def _tick(self) -> None:
        if self.countdown_left > 0:
            self.countdown_left -= 1
            if self.countdown_left > 0:
                self._show_overlay(str(self.countdown_left))
            else:
                self._begin_capture()
            return
        if self.burst_left <= 0:
            self._finish_burst()
            return
        if self.latest is None:
            return
        rgb = self.latest[:, :, ::-1]
        h, w = rgb.shape[:2]
        region = region_from_norm(clamp_norm(self.region, w, h), w, h)
        path = save_sample(rgb, region, self.root() / self.burst_class)
        if path is None:
            self.banner.show_message(f"could not write to {self.root() / self.burst_class}")
            self.cancel_burst()
            return
        self.saved_in_burst.append(path)
        self.burst_left -= 1
        done = self.burst_total - self.burst_left
        self.status.setText(f"Class {self.burst_class}: captured {done} / {self.burst_total}")
        if self.burst_left <= 0:
            self._finish_burst()

    def _finish_burst(self) -> None:
        self._timer.stop()
        self.overlay.hide()
        self.capture_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.class_list.setEnabled(True)
        if self.burst_total:
            self.status.setText(f"Class {self.burst_class}: saved {len(self.saved_in_burst)} samples")
        self.burst_left = self.countdown_left = 0
        self.refresh_counts()
        self.refresh_thumbnails()
        self.samples_changed.emit()

    def cancel_burst(self) -> None:
        self.burst_left = 0
        self.countdown_left = 0
        self._finish_burst()

    @property
    def capturing(self) -> bool:
        return self._timer.isActive()
