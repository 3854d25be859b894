"""The Collect tab's panels: the class list with the capture controls, and the samples of one class."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import big_font, find_hand_button

THUMB = 88
MAX_THUMBNAILS = 300  # the newest few hundred; more would only slow the list down


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class CapturePanel(QWidget):
    """The classes with their sample counts, and how many samples a burst takes, after what countdown, how often."""

    class_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.class_names: list[str] = []
        self.class_list = QListWidget()
        self.class_list.setFont(big_font(self, 18))
        self.class_list.setMaximumWidth(260)
        self.target = _spin(1, 500, 20)
        self.countdown = _spin(0, 10, 3, " s")
        self.interval = _spin(50, 5000, 250, " ms")
        self.capture_button = QPushButton("Capture burst")
        self.capture_button.setObjectName("primary")
        self.capture_button.setMinimumHeight(44)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.camera_button = QPushButton("Start camera")
        self.find_hand_button = find_hand_button()
        self.find_hand_button.setToolTip("Save the square around the hand the app finds (Ctrl+H). "
                                         "Off: save the box you place yourself.")
        form = QFormLayout()
        form.addRow("Samples per burst", self.target)
        form.addRow("Countdown", self.countdown)
        form.addRow("Every", self.interval)
        controls = QGroupBox("Capture")
        cl = QVBoxLayout(controls)
        cl.addLayout(form)
        cl.addWidget(self.find_hand_button)
        cl.addWidget(self.capture_button)
        cl.addWidget(self.cancel_button)
        cl.addWidget(self.camera_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Class"))
        lay.addWidget(self.class_list, 1)
        lay.addWidget(controls)
        self.class_list.currentRowChanged.connect(lambda _row: self.class_changed.emit(self.current_class()))

    def set_classes(self, names) -> None:
        current = self.current_class()
        self.class_names = list(names)
        self.class_list.blockSignals(True)
        self.class_list.clear()
        for n in self.class_names:
            item = QListWidgetItem(n)
            item.setData(Qt.ItemDataRole.UserRole, n)
            self.class_list.addItem(item)
        self.class_list.blockSignals(False)
        self.class_list.setCurrentRow(self.class_names.index(current) if current in self.class_names else 0)

    def current_class(self) -> str:
        item = self.class_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def select_class(self, name: str) -> None:
        if name in self.class_names:
            self.class_list.setCurrentRow(self.class_names.index(name))

    def show_counts(self, counts: dict[str, int]) -> None:
        for i, n in enumerate(self.class_names):
            c = counts.get(n, 0)
            self.class_list.item(i).setText(f"{n}   ·  {c} sample{'s' if c != 1 else ''}")

    def show_capturing(self, capturing: bool) -> None:
        self.capture_button.setEnabled(not capturing)
        self.cancel_button.setEnabled(capturing)
        self.class_list.setEnabled(not capturing)


class SamplesPanel(QWidget):
    """Thumbnails of one class's samples, deleting the selected ones, and where they are saved."""

    delete_requested = Signal()  # the button, or the Delete key in the thumbnails

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(THUMB, THUMB))
        self.thumbs.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.thumbs.setMinimumWidth(330)
        self.title = QLabel("Samples")
        self.title.setFont(big_font(self, 16, bold=True))
        self.delete_button = QPushButton("Delete selected")
        self.delete_button.setToolTip("Delete the selected samples from disk (Delete)")
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder_button = QPushButton("Open folder")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.thumbs, 1)
        lay.addWidget(self.delete_button)
        lay.addWidget(self.folder_label)
        lay.addWidget(self.open_folder_button)
        self.delete_button.clicked.connect(self.delete_requested)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.thumbs)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_requested)

    def show_samples(self, name: str, files: list[Path]) -> None:
        self.thumbs.clear()
        if not name:
            return
        self.title.setText(f"Samples of class {name} ({len(files)})")
        for p in files[-MAX_THUMBNAILS:]:
            pix = QPixmap(str(p))
            if pix.isNull():
                continue
            icon = QIcon(pix.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                    Qt.TransformationMode.SmoothTransformation))
            item = QListWidgetItem(icon, "")
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            item.setToolTip(p.name)
            self.thumbs.addItem(item)

    def selected_files(self) -> list[Path]:
        return [Path(i.data(Qt.ItemDataRole.UserRole)) for i in self.thumbs.selectedItems()]

    def show_folder(self, root: Path, total: int) -> None:
        self.folder_label.setText(f"Saved in {root}  ({total} samples; use it with the Train tab or handsign train --data)")
