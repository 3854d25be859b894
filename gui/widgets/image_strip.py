"""A wrapping grid of small captioned images (misclassified test images, samples)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.widgets.painting import MUTED, to_qimage


class ImageStrip(QWidget):
    """A wrapping grid of small images, each with a caption coloured right (green) or wrong (red).

    A click on an image is announced with its index (``clicked``)."""

    clicked = Signal(int)

    def __init__(self, cell: int = 72, parent=None):
        super().__init__(parent)
        self.cell = cell
        self.items: list[tuple[QImage, str, QColor | None]] = []
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_items(self, images, captions, colors=None) -> None:
        colors = colors or [None] * len(captions)
        self.items = [(to_qimage(im), c, col) for im, c, col in zip(images, captions, colors, strict=True)]
        self.updateGeometry()
        self.update()

    def set_captions(self, captions, colors) -> None:
        self.items = [(im, c, col) for (im, _, _), c, col in zip(self.items, captions, colors, strict=True)]
        self.update()

    def index_at(self, x: float, y: float) -> int:
        """The index of the image under widget point (x, y), or -1."""
        c, r = int((x - 4) // (self.cell + 8)), int((y - 4) // (self.cell + 30))
        i = r * self._cols() + c
        inside = 0 <= c < self._cols() and (x - 4) % (self.cell + 8) < self.cell and (y - 4) % (self.cell + 30) < self.cell
        return i if inside and 0 <= i < len(self.items) else -1

    def mousePressEvent(self, event):  # noqa: N802
        i = self.index_at(event.position().x(), event.position().y())
        if i >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(i)

    def _cols(self) -> int:
        return max(1, (self.width() - 4) // (self.cell + 8))

    def hasHeightForWidth(self):  # noqa: N802
        return True

    def heightForWidth(self, width):  # noqa: N802
        cols = max(1, (width - 4) // (self.cell + 8))
        rows = max(1, -(-len(self.items) // cols))
        return rows * (self.cell + 30) + 4

    def sizeHint(self):  # noqa: N802
        return QSize(8 * (self.cell + 8), self.heightForWidth(8 * (self.cell + 8)))

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        if not self.items:
            if self.empty_text:
                p.setPen(MUTED)
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        cols = self._cols()
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setBold(True)
        p.setFont(font)
        for i, (img, caption, color) in enumerate(self.items):
            r, c = divmod(i, cols)
            x, y = 4 + c * (self.cell + 8), 4 + r * (self.cell + 30)
            target = QRectF(x, y, self.cell, self.cell)
            p.drawImage(target, img)
            if color is not None:
                p.setPen(QPen(color, 3))
                p.drawRect(target.adjusted(1, 1, -1, -1))
            p.setPen(color or QColor("#222"))
            p.drawText(QRectF(x - 4, y + self.cell, self.cell + 8, 26), Qt.AlignmentFlag.AlignCenter, caption)
