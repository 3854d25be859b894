"""The picture of the architecture on the Model tab: stem, stages 2-5 and head as columns of boxes.

Each stage is a convolutional block then identity blocks, as in the notebook's
ResNet-50 (``core.model.architecture.outline``); any other model is drawn one
box per layer.  Clicking a box emits ``block_selected``.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLORS = {"stem": "#d9e7f5", "conv": "#f7d8b5", "identity": "#cde8c9", "head": "#e3d5ee", "layer": "#e8eaed"}


def _stage_filters() -> dict[str, tuple]:
    from core.model.resnet import STAGES

    return {str(stage): (filters, n_id, stride) for stage, filters, n_id, stride in STAGES}


class ArchitectureView(QWidget):
    """Stem, stages 2-5 (a convolutional block then identity blocks) and head, as columns of boxes."""

    block_selected = Signal(str)

    BOX_W, BOX_H, GAP, TOP = 172, 58, 10, 64  # wide enough for "stride 1 → 15×15×256" at 13 px

    def __init__(self, parent=None):
        super().__init__(parent)
        self.blocks = []
        self.columns: list[tuple[str, list]] = []
        self.selected = ""
        self._rects: dict[str, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    placeholder = "the architecture appears when a model is loaded"  # shown while there are no blocks

    def set_blocks(self, blocks, placeholder: str = "the architecture appears when a model is loaded") -> None:
        self.placeholder = placeholder
        self.blocks = list(blocks)
        self.selected = ""
        self.columns = self._group(self.blocks)
        self._layout()
        self.updateGeometry()
        self.update()

    @staticmethod
    def _group(blocks) -> list[tuple[str, list]]:
        if blocks and all(b.kind == "layer" for b in blocks):
            per = 8
            return [(f"Layers {i + 1}–{min(i + per, len(blocks))}", blocks[i : i + per]) for i in range(0, len(blocks), per)]
        filters = _stage_filters()
        cols: list[tuple[str, list]] = []
        for b in blocks:
            if b.kind in ("stem", "head"):
                cols.append((b.title, [b]))
                continue
            stage = b.key[0]
            title = f"Stage {stage}"
            if stage in filters:
                (f1, f2, f3), _, stride = filters[stage]
                title += f"\n{f1} · {f2} · {f3}"
            if cols and cols[-1][0] == title:
                cols[-1][1].append(b)
            else:
                cols.append((title, [b]))
        return cols

    def _layout(self) -> None:
        self._rects = {}
        for c, (_, blocks) in enumerate(self.columns):
            x = 12 + c * (self.BOX_W + 34)
            for r, b in enumerate(blocks):
                self._rects[b.key] = QRectF(x, self.TOP + r * (self.BOX_H + self.GAP), self.BOX_W, self.BOX_H)

    def sizeHint(self):  # noqa: N802
        rows = max((len(b) for _, b in self.columns), default=1)
        return QSize(24 + len(self.columns) * (self.BOX_W + 34), self.TOP + rows * (self.BOX_H + self.GAP) + 16)

    def minimumSizeHint(self):  # noqa: N802
        return self.sizeHint()

    def select(self, key: str) -> None:
        self.selected = key
        self.update()

    def block_at(self, pos) -> str | None:
        for key, rect in self._rects.items():
            if rect.contains(pos):
                return key
        return None

    def mousePressEvent(self, event):  # noqa: N802
        key = self.block_at(event.position())
        if key:
            self.select(key)
            self.block_selected.emit(key)

    @staticmethod
    def _shape(text: str) -> str:
        """'(None, 8, 8, 512)' -> '8×8×512'."""
        dims = [d.strip() for d in text.strip("()").split(",") if d.strip() and d.strip() != "None"]
        return "×".join(dims)

    def _label(self, b) -> tuple[str, str]:
        shape = self._shape(b.output_shape or "")
        if b.kind == "conv":
            stride = _stage_filters().get(b.key[0], (None, None, 1))[2]
            return f"{b.key} · conv block", f"stride {stride} → {shape}"
        if b.kind == "identity":
            return f"{b.key} · identity", f"→ {shape}"
        if b.kind == "layer":
            return b.title, f"{b.detail} → {shape}"
        return b.title, f"→ {shape}"

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), QColor("white"))
        if not self.columns:
            p.setPen(QColor("#888"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        title_font = QFont(self.font())
        title_font.setPixelSize(15)
        title_font.setBold(True)
        box_font = QFont(self.font())
        box_font.setPixelSize(13)
        bold = QFont(box_font)
        bold.setBold(True)
        prev_rect = None
        for title, blocks in self.columns:
            first = self._rects[blocks[0].key]
            p.setFont(title_font)
            p.setPen(QColor("#222"))
            p.drawText(QRectF(first.x() - 10, 6, self.BOX_W + 20, self.TOP - 10),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, title)
            if prev_rect is not None:  # arrow from the previous column's last box to this column's first
                p.setPen(QPen(QColor("#555"), 2))
                y = first.center().y()
                x0, x1 = prev_rect.right() + 3, first.left() - 3
                p.drawLine(int(x0), int(prev_rect.center().y()), int(x1), int(y))
                p.drawLine(int(x1), int(y), int(x1 - 7), int(y - 5))
                p.drawLine(int(x1), int(y), int(x1 - 7), int(y + 5))
            for r, b in enumerate(blocks):
                rect = self._rects[b.key]
                if r:
                    p.setPen(QPen(QColor("#777"), 2))
                    p.drawLine(int(rect.center().x()), int(rect.top() - self.GAP), int(rect.center().x()), int(rect.top()))
                selected = b.key == self.selected
                p.setBrush(QColor(COLORS.get(b.kind, "#eee")))
                p.setPen(QPen(QColor("#1565c0") if selected else QColor("#666"), 4 if selected else 1))
                p.drawRoundedRect(rect, 7, 7)
                line1, line2 = self._label(b)
                p.setPen(QColor("#111"))
                p.setFont(bold)
                p.drawText(rect.adjusted(6, 4, -6, -rect.height() / 2), Qt.AlignmentFlag.AlignCenter, line1)
                p.setFont(box_font)
                p.drawText(rect.adjusted(6, rect.height() / 2 - 2, -6, -4), Qt.AlignmentFlag.AlignCenter, line2 or "")
            prev_rect = self._rects[blocks[-1].key]
