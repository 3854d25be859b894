"""The Model tab: the ``model.summary()`` table and a picture of the architecture.

A model opened on the TensorFlow-free engine (LiteRT) comes with its metadata
only: the tab shows its name, input size, classes and run card at once, says
that the table is loading, and the window asks the inference worker for the
Keras summary when the tab is first shown (``MainWindow``); it fills in then.

The data comes from ``core.model.summary.summarize`` and ``core.model.architecture.outline``
(the same as ``handsign summary`` and ``handsign plot``), computed on the
inference worker's thread, which owns the model.  Clicking a block in the
picture selects that block's rows in the table, and the other way round.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.tabs.model.architecture import ArchitectureView
from gui.widgets import big_font
from gui.wording import counted

ENGINE_NAMES = {"litert": "LiteRT (no TensorFlow)", "tflite": "TensorFlow Lite", "tensorflow": "TensorFlow"}
COLUMNS = ["#", "Name", "Type", "Output shape", "Params", "Connected to"]


class ModelTab(QWidget):
    """Shows the :class:`core.model.describe.ModelReport` of the model in use; it keeps no settings."""

    status_message = Signal(str, int)

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
        s = report.summary or {"layers": [], "total_params": 0, "trainable_params": 0, "non_trainable_params": 0}
        self.header.setText(f"{report.title} · input {report.input_size[0]}×{report.input_size[1]}×3 · "
                            f"{len(report.class_names)} classes")
        card = report.run_card or {}
        bits = []
        if not report.trained:
            bits.append("No trained model is loaded: this is the notebook's ResNet-50 architecture with untrained weights.")
        if card.get("test"):
            bits.append(f"Test accuracy {card['test'].get('accuracy', 0):.1%}")
        if card.get("settings"):
            bits.append(self._training_text(card))
        if card.get("dataset"):
            bits.append(f"on {card['dataset'].get('kind', '')} data ({card['dataset'].get('train', '?')} training images)")
        bits.append("classes: " + ", ".join(report.class_names))
        if report.engine:
            bits.append(f"per-frame engine: {ENGINE_NAMES.get(report.engine, report.engine)}")
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
        self.totals.setText(self._totals_text(report, s))
        self.layer_block = {name: b.key for b in report.blocks for name in b.layers}
        self.arch.set_blocks(report.blocks, "the architecture is drawn once the Keras model has loaded (in the "
                             "background; the Classify tab keeps running)" if not report.summary else
                             "the architecture appears when a model is loaded")

    @staticmethod
    def _training_text(card: dict) -> str:
        """How the model was trained; a model trained in stages (the shipped one) counts them all."""
        st, epochs = card["settings"], len(card.get("epochs", []))
        last = f"batch {st.get('batch_size')}, learning rate {st.get('learning_rate')}, seed {card.get('seed')}"
        stages = [s for s in card.get("stages") or [] if isinstance(s, dict)]
        if not stages:
            return f"trained {counted(epochs, 'epoch')}, {last}"
        total = epochs + sum(len(s.get("epochs", [])) for s in stages)
        return (f"trained in {len(stages) + 1} stages, {counted(total, 'epoch')} in all "
                f"(the last: {counted(epochs, 'epoch')}, {last})")

    @staticmethod
    def _totals_text(report, s: dict) -> str:
        if not report.summary:  # metadata only (the LiteRT engine): Keras builds the table in the background
            return "Layer table and architecture: loading TensorFlow and the Keras model…"
        return (f"Total params: {s['total_params']:,}   ·   Trainable params: {s['trainable_params']:,}   ·   "
                            f"Non-trainable params: {s['non_trainable_params']:,}   ·   {len(s['layers'])} layers")

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

    def _row_changed(self, current, _previous) -> None:
        if current.isValid():
            name = self.proxy.index(current.row(), 1).data()
            key = self.layer_block.get(name)
            if key:
                self.arch.select(key)

    # -- the window's Tab protocol: a view only, nothing to save or wait for --------------------
    def restore_settings(self, settings: QSettings) -> None:
        pass

    def save_settings(self, settings: QSettings) -> None:
        pass

    def busy(self) -> bool:
        return False

    def request_stop(self) -> None:
        pass

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        return True
