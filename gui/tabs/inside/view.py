"""The Inside tab, "What the network sees": the picture the network was given, the most active
channels of one residual block, and how strongly each stage fires.

:class:`InsideTab` lays out the input, the block chooser, the feature grid
(``gui.widgets.feature_grid``) and a histogram per stage
(``gui.widgets.stage_histograms``), implements the view methods of its
:class:`~gui.tabs.inside.controller.InsideController` and the window's
:class:`~gui.tabs.base.Tab` protocol (its one setting is the chosen block).
It tells the controller when it is on screen: only then is anything computed.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.settings import get_str
from gui.tabs.inside.controller import WAITING, InsideController
from gui.widgets import MessageBanner, ModelInputView, big_font
from gui.widgets.feature_grid import FeatureGrid
from gui.widgets.stage_histograms import StageHistograms

EXPLANATION = (
    "Each tile is one channel of the chosen block: a filter the network learned, bright where it responds "
    "strongly to this picture. Early blocks respond to edges and colour; later blocks to parts of a hand. "
    "The deeper the block, the smaller its maps and the more channels it has.")
HISTOGRAM_TITLE = ("How strongly each stage fires: the share of its values at each activation (log scale); "
                   "the grey bar is the share the ReLU set to exactly zero")


class InsideTab(QWidget):
    """The view: paints what the controller tells it and forwards the block the user picks."""

    status_message = Signal(str, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controller = InsideController(self, self)
        self.title = QLabel("What the network sees")
        self.title.setFont(big_font(self, 26, bold=True))
        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setFont(big_font(self, 16))
        self.banner = MessageBanner()
        self.banner.button.hide()
        self.input_view = ModelInputView(224)
        self.block_combo = QComboBox()
        self.block_combo.setFont(big_font(self, 16))
        self.block_combo.setMinimumContentsLength(28)
        self.block_combo.currentIndexChanged.connect(self._block_chosen)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setFont(big_font(self, 15))
        self.rates = QLabel("")
        self.rates.setFont(big_font(self, 15))
        self.grid = FeatureGrid()
        self.grid.empty_text = WAITING
        self.histograms = StageHistograms()
        self.histogram_title = QLabel(HISTOGRAM_TITLE)
        self.histogram_title.setWordWrap(True)
        self.histogram_title.setFont(big_font(self, 15, bold=True))
        self._lay_out()

    def _lay_out(self) -> None:
        side = QVBoxLayout()
        caption = QLabel("The network's input (the crop it classified)")
        caption.setWordWrap(True)
        caption.setFont(big_font(self, 15, bold=True))
        side.addWidget(caption)
        side.addWidget(self.input_view)
        block_caption = QLabel("Block")
        block_caption.setFont(big_font(self, 15, bold=True))
        side.addSpacing(12)
        side.addWidget(block_caption)
        side.addWidget(self.block_combo)
        side.addWidget(self.info)
        side.addStretch(1)
        side.addWidget(self.rates)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setFixedWidth(300)
        body = QHBoxLayout()
        body.addWidget(side_box)
        body.addWidget(self.grid, 1)
        root = QVBoxLayout(self)
        root.addWidget(self.title)
        root.addWidget(self.explanation)
        root.addWidget(self.banner)
        root.addLayout(body, 3)
        root.addWidget(self.histogram_title)
        root.addWidget(self.histograms, 1)

    # -- the controller's view methods ----------------------------------------------------
    def show_blocks(self, blocks, current: str) -> None:
        self.block_combo.blockSignals(True)
        self.block_combo.clear()
        for b in blocks:
            self.block_combo.addItem(b.label, b.name)
        self.block_combo.setCurrentIndex(max(0, self.block_combo.findData(current)))
        self.block_combo.blockSignals(False)

    def show_features(self, model_input, view, edges) -> None:
        self.banner.hide()
        self.input_view.set_image(model_input)
        self.grid.show_maps(view.maps, view.channels, view.means)
        self.histograms.show_histograms(view.histograms, edges)
        h, w, c = view.block.shape
        self.info.setText(f"The {len(view.channels)} most active of its {c} channels ({h}×{w} each), most "
                          f"active first (mean activation {view.means[0]:.2f} … {view.means[-1]:.2f}). Under each "
                          "tile: its channel number.")

    def show_waiting(self, text: str) -> None:
        self.grid.clear(text)
        self.input_view.set_image(None)

    def show_error(self, text: str) -> None:
        self.banner.show_message(f"No feature maps: {text}")
        self.grid.clear("Feature maps need a ResNet built from the notebook's residual blocks: "
                        "open one with File ▸ Open model (Ctrl+M)")
        self.status_message.emit(f"No feature maps: {text}", 8000)

    def show_rates(self, fps: float, ms: float) -> None:
        rate = f"{fps:.1f} updates/s · " if fps > 0 else ""
        self.rates.setText(f"{rate}{ms:.0f} ms a picture")

    def _block_chosen(self, index: int) -> None:
        name = self.block_combo.itemData(index)
        if name:
            self.controller.set_block(str(name))

    # -- on screen or not: only compute while shown ---------------------------------------
    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        self.controller.set_visible(True)

    def hideEvent(self, event):  # noqa: N802
        super().hideEvent(event)
        self.controller.set_visible(False)

    # -- the window's Tab protocol --------------------------------------------------------
    def restore_settings(self, s: QSettings) -> None:
        self.controller.block = get_str(s, "inside/block", "")

    def save_settings(self, s: QSettings) -> None:
        s.setValue("inside/block", self.controller.block)

    def busy(self) -> bool:
        return False  # a frame's feature maps take milliseconds: closing need not wait for them

    def request_stop(self) -> None:
        """Nothing long-running to stop."""

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        self.controller.stop()
        return True
