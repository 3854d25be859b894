"""The confusion matrix after a training: true class by row, predicted class by column."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

from gui.widgets.painting import BAD, GOOD, MUTED

WAITING = "confusion matrix appears after training"


class ConfusionMatrixView(QWidget):
    """Rows: true class, columns: predicted class; counts, shaded by row share."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), np.int64)
        self.names: list[str] = []
        self.empty_text = WAITING
        self.setMinimumSize(220, 220)

    def set_matrix(self, matrix, names) -> None:
        self.matrix = np.asarray(matrix, np.int64)
        self.names = list(names)
        self.update()

    def sizeHint(self):  # noqa: N802
        return QSize(340, 340)

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        n = len(self.names)
        if n == 0:
            p.setPen(MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        margin = 44
        side = min(self.width(), self.height()) - margin - 8
        cell = side / n
        font = QFont(self.font())
        font.setPixelSize(int(max(10, min(20, cell * 0.4))))
        p.setFont(font)
        p.setPen(QColor("#333"))
        p.drawText(QRectF(margin, 0, side, 20), Qt.AlignmentFlag.AlignCenter, "predicted →")
        p.save()
        p.translate(12, margin + side / 2)
        p.rotate(-90)
        p.drawText(QRectF(-side / 2, -10, side, 20), Qt.AlignmentFlag.AlignCenter, "true →")
        p.restore()
        rows = self.matrix.sum(axis=1, keepdims=True).clip(min=1)
        share = self.matrix / rows
        for i in range(n):
            p.setPen(QColor("#333"))
            p.drawText(QRectF(margin + i * cell, 20, cell, margin - 22), Qt.AlignmentFlag.AlignCenter, self.names[i])
            p.drawText(QRectF(22, margin + i * cell, margin - 24, cell), Qt.AlignmentFlag.AlignCenter, self.names[i])
            for j in range(n):
                v = float(share[i, j])
                base = GOOD if i == j else BAD
                fill = QColor(base)
                fill.setAlphaF(0.08 + 0.85 * v if self.matrix[i, j] else 0.03)
                r = QRectF(margin + j * cell, margin + i * cell, cell - 2, cell - 2)
                p.fillRect(r, fill)
                p.setPen(QColor("white") if v > 0.55 else QColor("#222"))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[i, j])))
