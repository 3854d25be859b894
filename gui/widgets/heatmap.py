"""Class-activation heatmaps on screen: the toggle with its depth choice and caption, and painting a map.

:func:`paint_heatmap` blends a map (``core.explain.cam``: float32 in [0, 1] at
the layer's resolution) over any rectangle of a QPainter; the frame view and
the model-input view use it.  :class:`HeatmapControls` is the "Heatmap" check
box, the stage 3 / stage 4 choice and the caption that names the layer and the
class.  :class:`HeatmapPair` shows one image's maps for two classes side by side
(the Train tab's misclassified gallery).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.explain.cam import colorize
from gui.widgets.painting import to_qimage

LAYERS = (("stage3", "stage 3 (8×8)"), ("stage4", "stage 4 (4×4)"))
OPACITY = 0.5
COLOUR_SIDE = 128  # the map is coloured at this size and scaled by the painter (smooth, and cheap per frame)


def heatmap_image(heatmap: np.ndarray):
    """The map upsampled and coloured (JET) as a QImage."""
    return to_qimage(colorize(heatmap, (COLOUR_SIDE, COLOUR_SIDE)))


def paint_heatmap(p: QPainter, rect: QRectF, image, opacity: float = OPACITY) -> None:
    """Blend ``image`` (from :func:`heatmap_image`) over ``rect``."""
    p.save()
    p.setOpacity(opacity)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    p.drawImage(rect, image)
    p.restore()


class HeatmapControls(QWidget):
    """"Heatmap" on/off, the depth it is taken at, and what the map on screen shows."""

    toggled = Signal(bool)
    layer_changed = Signal(str)  # "stage3" or "stage4"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.check = QCheckBox("Heatmap")
        self.check.setToolTip("Show where the network looks (Grad-CAM) for the top class, or for the class whose "
                              "bar you click (Ctrl+G)")
        self.layer_combo = QComboBox()
        for key, text in LAYERS:
            self.layer_combo.addItem(text, key)
        self.layer_combo.setCurrentIndex(1)
        self.layer_combo.setToolTip("Depth the map is taken at: stage 3 is finer, stage 4 closer to the decision")
        self.caption = QLabel("")
        self.caption.setObjectName("heatmapCaption")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.check)
        lay.addWidget(self.layer_combo)
        lay.addWidget(self.caption, 1)
        self.check.toggled.connect(self.toggled)
        self.layer_combo.currentIndexChanged.connect(lambda _: self.layer_changed.emit(self.layer()))

    def layer(self) -> str:
        return str(self.layer_combo.currentData())

    def set_layer(self, key: str) -> None:
        i = self.layer_combo.findData(key)
        if i >= 0:
            self.layer_combo.setCurrentIndex(i)

    def show_on(self, on: bool) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(bool(on))
        self.check.blockSignals(False)
        if not on:
            self.caption.setText("")

    def show_caption(self, text: str) -> None:
        self.caption.setText(text)


class _MapTile(QWidget):
    """One model input with its map over it and a caption underneath."""

    def __init__(self, image: np.ndarray, heatmap: np.ndarray, caption: str, side: int = 224):
        super().__init__()
        self.setFixedSize(side, side + 34)
        self.image, self.heat, self.caption = to_qimage(image), heatmap_image(heatmap), caption

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        side = self.width()
        target = QRectF(0, 0, side, side)
        p.drawImage(target, self.image)
        paint_heatmap(p, target, self.heat)
        f = QFont(self.font())
        f.setPixelSize(16)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#222"))
        p.drawText(QRectF(0, side, side, 34), Qt.AlignmentFlag.AlignCenter, self.caption)


class HeatmapPair(QDialog):
    """One misclassified image: where the network looked for the class it chose and for the true class."""

    def __init__(self, image: np.ndarray, maps: list[tuple[np.ndarray, str]], title: str, layer: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.tiles = [_MapTile(image, heat, caption) for heat, caption in maps]
        row = QHBoxLayout()
        for t in self.tiles:
            row.addWidget(t)
        note = QLabel(f"Grad-CAM at {layer}: red is where the class's score grows most.")
        note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(note)
