"""The Model tab: the ``model.summary()`` table and a picture of the architecture.

The data comes from ``core.model.summary.summarize`` and ``core.model.architecture.outline``
(the same as ``handsign summary`` and ``handsign plot``), computed on the
inference worker's thread, which owns the model.  Clicking a block in the
picture selects that block's rows in the table, and the other way round.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets import big_font

COLORS = {"stem": "#d9e7f5", "conv": "#f7d8b5", "identity": "#cde8c9", "head": "#e3d5ee", "layer": "#e8eaed"}
COLUMNS = ["#", "Name", "Type", "Output shape", "Params", "Connected to"]


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

    def set_blocks(self, blocks) -> None:
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
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "the architecture appears when a model is loaded")
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


class ModelTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.report = None
        self.layer_block: dict[str, str] = {}
        self.header = QLabel("No model loaded yet")
        self.header.setFont(big_font(self, 20, bold=True))
        self.header.setWordWrap(True)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.arch = ArchitectureView()
        arch_scroll = QScrollArea()
        arch_scroll.setWidget(self.arch)
        arch_scroll.setWidgetResizable(True)
        arch_scroll.setMinimumHeight(300)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers (name, type, shape…)")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, len(COLUMNS))
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.totals = QLabel("")
        self.totals.setFont(big_font(self, 17, bold=True))
        self.totals.setObjectName("totals")

        table_box = QWidget()
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.search)
        tl.addWidget(self.table, 1)
        tl.addWidget(self.totals)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(arch_scroll)
        split.addWidget(table_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        root.addLayout(top)
        root.addWidget(self.details)
        root.addWidget(split, 1)

        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.arch.block_selected.connect(self.select_block)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    def show_loading(self, text: str) -> None:
        if self.report is None:
            self.header.setText(text)

    def show_report(self, report) -> None:
        self.report = report
        s = report.summary
        self.header.setText(f"{report.title} · input {report.input_size[0]}×{report.input_size[1]}×3 · "
                            f"{len(report.class_names)} classes")
        card = report.run_card or {}
        bits = []
        if not report.trained:
            bits.append("No trained model is loaded: this is the notebook's ResNet-50 architecture with untrained weights.")
        if card.get("test"):
            bits.append(f"Test accuracy {card['test'].get('accuracy', 0):.1%}")
        if card.get("settings"):
            st = card["settings"]
            bits.append(f"trained {len(card.get('epochs', []))} epochs, batch {st.get('batch_size')}, "
                        f"learning rate {st.get('learning_rate')}, seed {card.get('seed')}")
        if card.get("dataset"):
            bits.append(f"on {card['dataset'].get('kind', '')} data ({card['dataset'].get('train', '?')} training images)")
        bits.append("classes: " + ", ".join(report.class_names))
        self.details.setText(" · ".join(bits))
        self.model.removeRows(0, self.model.rowCount())
        self.table.setSortingEnabled(False)
        for i, layer in enumerate(s["layers"]):
            conn = ", ".join(layer["connected_to"])
            values = [(str(i + 1), i), (layer["name"], layer["name"]), (layer["type"], layer["type"]),
                      (layer["output_shape"], layer["output_shape"]), (f"{layer['params']:,}", int(layer["params"])),
                      (conn, conn)]
            row = []
            for text, key in values:
                item = QStandardItem(text)
                item.setData(key, Qt.ItemDataRole.UserRole)
                row.append(item)
            row[0].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            row[4].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.model.appendRow(row)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(1, max(self.table.columnWidth(1), 180))
        self.totals.setText(f"Total params: {s['total_params']:,}   ·   Trainable params: {s['trainable_params']:,}   ·   "
                            f"Non-trainable params: {s['non_trainable_params']:,}   ·   {len(s['layers'])} layers")
        self.layer_block = {name: b.key for b in report.blocks for name in b.layers}
        self.arch.set_blocks(report.blocks)

    def row_count(self) -> int:
        return self.proxy.rowCount()

    def select_block(self, key: str) -> None:
        """Select (and scroll to) the table rows of one block of the picture."""
        block = next((b for b in (self.report.blocks if self.report else []) if b.key == key), None)
        if block is None:
            return
        self.search.clear()
        names = set(block.layers)
        selection = QItemSelection()
        first = None
        for r in range(self.proxy.rowCount()):
            idx = self.proxy.index(r, 1)
            if idx.data() in names:
                selection.select(idx, self.proxy.index(r, len(COLUMNS) - 1))
                first = first if first is not None else idx
        sm = self.table.selectionModel()
        sm.blockSignals(True)
        sm.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        sm.blockSignals(False)
        if first is not None:
            self.table.scrollTo(first, QAbstractItemView.ScrollHint.PositionAtTop)
        self.arch.select(key)

    def selected_layer_names(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows(1)
        return [r.data() for r in rows]

    def _row_changed(self, current, _previous) -> None:
        if current.isValid():
            name = self.proxy.index(current.row(), 1).data()
            key = self.layer_block.get(name)
            if key:
                self.arch.select(key)
