"""The Classify tab's source bar: pick a camera, open a video, images or a folder, step, find the hand,
pause, snapshot."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QToolButton, QWidget

from gui.widgets import find_hand_button, show_checked


class SourceBar(QWidget):
    """The row of source controls; :class:`~gui.tabs.classify.view.ClassifyTab` wires them."""

    def __init__(self, parent=None):
        super().__init__(parent)
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
        self.prev_button.setToolTip("Previous image (Page Up)")
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip("Next image (Page Down)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause / resume (Space)")
        self.find_hand_button = find_hand_button()
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Save the frame on screen as a PNG (Ctrl+S)")
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for w in (self.camera_combo, self.refresh_button, self.camera_button, self.video_button, self.images_button,
                  self.folder_button):
            bar.addWidget(w)
        bar.addSpacing(16)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.next_button)
        bar.addStretch(1)
        bar.addWidget(self.find_hand_button)
        bar.addWidget(self.pause_button)
        bar.addWidget(self.snapshot_button)
        self.show_stepping(False)

    def show_stepping(self, enabled: bool) -> None:
        """Previous / next make sense only while stepping through image files."""
        self.prev_button.setEnabled(enabled)
        self.next_button.setEnabled(enabled)

    def show_find_hand(self, on: bool) -> None:
        show_checked(self.find_hand_button, on)

    def show_paused(self, paused: bool) -> None:
        show_checked(self.pause_button, paused)
        self.pause_button.setText("Resume" if paused else "Pause")

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

    def selected_camera(self) -> int | None:
        index = self.camera_combo.currentData()
        return None if index is None else int(index)

