"""A grid of feature maps: one tile per channel, coloured with a perceptual colormap and labelled with its index.

It only paints what it is given (:meth:`FeatureGrid.show_maps`): float maps
``(N, H, W)``, their channel indices and mean activations.  Each tile is scaled
from 0 (dark: the channel is silent there) to its own maximum (bright), so a
weak channel's pattern stays visible; its mean is in the tile's label.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.widgets.painting import to_qimage

COLORMAP = "magma"
LABEL_HEIGHT = 22


# magma at nine stops: the table used when pyqtgraph's colormap files are not there (a trimmed packaged app).
_MAGMA_STOPS = ((0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122), (229, 80, 100),
                (251, 135, 97), (254, 194, 135), (252, 253, 191))


def colormap_lut(name: str = COLORMAP) -> np.ndarray:
    """``(256, 3)`` uint8 RGB lookup table of a pyqtgraph colormap (magma, viridis, …)."""
    try:
        cmap = pg.colormap.get(name)
    except Exception:  # the colormap's data file is missing: the built-in approximation of magma
        cmap = pg.ColorMap(np.linspace(0.0, 1.0, len(_MAGMA_STOPS)), [(*c, 255) for c in _MAGMA_STOPS])
    return np.ascontiguousarray(cmap.getLookupTable(nPts=256, alpha=False), dtype=np.uint8)


def colour_maps(maps: np.ndarray, lut: np.ndarray) -> list[QImage]:
    """Each ``(H, W)`` map scaled from 0 to its maximum and coloured through ``lut``."""
    images = []
    for m in np.asarray(maps, dtype=np.float32):
        top = float(m.max())
        idx = np.zeros(m.shape, np.uint8) if top <= 0 else np.clip(m / top * 255.0, 0, 255).astype(np.uint8)
        images.append(to_qimage(lut[idx]))
    return images


class FeatureGrid(QWidget):
    """Tiles of the chosen block's most active channels, most active first (left to right, top to bottom)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 320)
        self.lut = colormap_lut()
        self.images: list[QImage] = []
        self.labels: list[str] = []
        self.means: list[float] = []
        self.tile_shape: tuple[int, int] | None = None  # (H, W) of the maps shown
        self.empty_text = "Feature maps appear here"

    def show_maps(self, maps: np.ndarray, channels, means) -> None:
        maps = np.asarray(maps)
        self.images = colour_maps(maps, self.lut)
        self.labels = [f"ch {int(c)}" for c in channels]
        self.means = [float(m) for m in means]
        self.tile_shape = tuple(int(d) for d in maps.shape[1:3]) if maps.ndim == 3 else None
        self.update()

    def clear(self, text: str | None = None) -> None:
        self.images, self.labels, self.tile_shape = [], [], None
        if text is not None:
            self.empty_text = text
        self.update()

    def layout_tiles(self, gap: int = 8) -> tuple[int, float]:
        """The column count that gives the largest tiles in this widget's size, and that tile side."""
        n = len(self.images)
        best = (1, 0.0)
        for cols in range(1, n + 1):
            rows = math.ceil(n / cols)
            side = min((self.width() - gap * (cols + 1)) / cols, (self.height() - gap * (rows + 1)) / rows - LABEL_HEIGHT)
            if side > best[1]:
                best = (cols, side)
        return best[0], max(8.0, best[1])

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1e1f22"))
        if not self.images:
            font = QFont(self.font())
            font.setPixelSize(18)
            p.setFont(font)
            p.setPen(QColor("#c8c8c8"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        gap = 8
        cols, side = self.layout_tiles(gap)
        rows = math.ceil(len(self.images) / cols)
        x0 = (self.width() - (cols * side + (cols - 1) * gap)) / 2
        y0 = (self.height() - (rows * (side + LABEL_HEIGHT) + (rows - 1) * gap)) / 2
        font = QFont(self.font())
        font.setPixelSize(15)
        p.setFont(font)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # show the map's cells as they are
        for i, (image, label) in enumerate(zip(self.images, self.labels, strict=True)):
            r, c = divmod(i, cols)
            x = x0 + c * (side + gap)
            y = y0 + r * (side + LABEL_HEIGHT + gap)
            p.drawImage(QRectF(x, y, side, side), image)
            p.setPen(QColor("#e6e6e6"))
            p.drawText(QRectF(x, y + side, side, LABEL_HEIGHT), Qt.AlignmentFlag.AlignCenter, label)
