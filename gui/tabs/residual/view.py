"""The Residual vs plain tab's view: settings, progress, the verdict line, both nets' curves and gradient maps.

It only shows what the controller hands it (``show_started``, ``show_progress``,
``show_history``, ``show_verdict`` …).  The curves follow the Train tab's
(``gui.tabs.train.live_view``): thin lines per batch, thick lines with markers
per epoch, dashed for validation; blue for the residual net, orange for the
plain one.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.explain.compare import DEFAULT_DEPTH, DEFAULT_EPOCHS, DEFAULT_TRAIN_IMAGES
from core.model.resnet import MAX_IDENTITY_BLOCKS
from gui.tabs.residual.history import CompareHistory
from gui.widgets import MessageBanner, big_font
from gui.widgets.gradient_map import GradientMap
from gui.widgets.plots import plain_numbers
from gui.wording import counted

pg.setConfigOptions(background="w", foreground="#222")  # as the Train tab's plots

COLOURS = {"residual": "#1565c0", "plain": "#e65100"}


class CompareCurves(pg.PlotWidget):
    """One metric for both nets: per batch (thin), per epoch (thick) and, for accuracy, validation (dashed)."""

    def __init__(self, title: str, ylabel: str, metric: str):
        super().__init__()
        self.metric_name = metric
        self.setTitle(f"<span style='font-size:14pt'>{title}</span>")
        self.setLabel("bottom", "epoch")
        self.setLabel("left", ylabel)
        plain_numbers(self)
        # No grid and no antialiasing: with them one redraw of both plots blocked the UI thread for more than
        # 50 ms on a loaded 2-core machine (a grid cost about 14 ms a plot, measured).
        self.lines = {}
        for name, colour in COLOURS.items():
            light = pg.mkColor(colour)
            light.setAlpha(90)
            self.lines[name] = (
                self.plot(pen=pg.mkPen(light, width=1), antialias=False),
                self.plot(pen=pg.mkPen(colour, width=3), symbol="o", symbolSize=8, symbolBrush=colour, antialias=False),
                self.plot(pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine), symbol="s", symbolSize=7,
                          symbolBrush=colour, antialias=False) if metric == "accuracy" else None)
        self.setMinimumHeight(180)

    def set_epochs(self, epochs: int) -> None:
        """A fixed x range for the whole run: a range that grows with every batch re-draws the axes each time."""
        self.enableAutoRange(x=False)
        self.setXRange(0, max(1, epochs), padding=0.02)

    def show_history(self, history: CompareHistory) -> None:
        for name, (batch, epoch, val) in self.lines.items():
            net = history.nets[name]
            batch.setData(net.batch_x, getattr(net, f"batch_{self.metric_name}"))
            epoch.setData(net.epochs, getattr(net, self.metric_name))
            if val is not None:
                val.setData(net.epochs, net.val_accuracy)


def legend_html() -> str:
    parts = [f"<span style='color:{c}; font-weight:bold'>━●━ {n}</span>" for n, c in COLOURS.items()]
    return "&nbsp;&nbsp;&nbsp;".join(parts) + "&nbsp;&nbsp;&nbsp;(thin: per batch · dashed: validation)"


class ResidualView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100)
        self.epochs.setValue(DEFAULT_EPOCHS)
        self.depth = QComboBox()
        self.depth.addItem("notebook (2, 3, 5, 2)", None)
        for d in range(MAX_IDENTITY_BLOCKS - 1, -1, -1):
            self.depth.addItem(f"at most {d} per stage", d)
        self.depth.setCurrentIndex(self.depth.findData(DEFAULT_DEPTH))
        self.batchnorm = QCheckBox("BatchNorm")
        self.batchnorm.setChecked(True)
        self.images = QSpinBox()
        self.images.setRange(0, 100_000)
        self.images.setSingleStep(60)
        self.images.setSpecialValueText("all")
        self.images.setValue(DEFAULT_TRAIN_IMAGES)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.banner = MessageBanner()
        self.progress = QProgressBar()
        self.progress.setFormat("idle")
        self.status_label = QLabel("Train the notebook's ResNet-50 and the same net without its shortcuts, side by side.")
        self.status_label.setFont(big_font(self, 14))
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setFont(big_font(self, 16, bold=True))
        # Fixed heights: new text must not re-lay out the tab, which would repaint every plot (blocking the UI).
        for label, lines in ((self.status_label, 1), (self.verdict, 2)):
            label.setFixedHeight(label.fontMetrics().lineSpacing() * lines + 6)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.legend = QLabel(legend_html())
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loss_plot = CompareCurves("Training loss", "cross-entropy", "loss")
        self.acc_plot = CompareCurves("Accuracy", "accuracy", "accuracy")
        self.acc_plot.setYRange(0, 1.02)
        self.gradient_map = GradientMap(("Residual", "Plain"))
        self._lay_out()

    def _lay_out(self) -> None:
        self.settings_bar = QWidget()  # the settings and Start / Stop: what presenter mode hides at the top
        settings = QHBoxLayout(self.settings_bar)
        settings.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Epochs", self.epochs), ("Identity blocks", self.depth), ("Training images", self.images)):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addWidget(self.batchnorm)
        settings.addStretch(1)
        settings.addWidget(self.start_button)
        settings.addWidget(self.stop_button)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.acc_plot)
        lay = QVBoxLayout(self)
        lay.addWidget(self.settings_bar)
        lay.addWidget(self.banner)
        lay.addWidget(self.progress)
        lay.addWidget(self.status_label)
        lay.addWidget(self.verdict)
        lay.addWidget(self.legend)
        lay.addLayout(plots, 2)
        lay.addWidget(self.gradient_map, 3)

    # -- intents -----------------------------------------------------------------------------
    def chosen(self) -> dict:
        """The settings as chosen: epochs, depth (None: the notebook's), batchnorm, train_images."""
        return {"epochs": self.epochs.value(), "depth": self.depth.currentData(),
                "batchnorm": self.batchnorm.isChecked(), "train_images": self.images.value()}

    def set_running(self, running: bool) -> None:
        for w in (self.epochs, self.depth, self.batchnorm, self.images, self.start_button):
            w.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, kind="error")

    def show_loading(self) -> None:
        self.banner.hide()
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting…")
        self.status_label.setText("Loading the images and building both networks…")
        self.verdict.setText("")
        self.show_history(CompareHistory())
        self.gradient_map.clear_maps()

    def show_started(self, start) -> None:
        self.progress.setRange(0, max(1, start.settings["epochs"] * start.steps_per_epoch))
        for plot in (self.loss_plot, self.acc_plot):
            plot.set_epochs(start.settings["epochs"])
        self.gradient_map.prepare(start.layers, start.settings["epochs"] + 1)
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        self.status_label.setText(f"{start.train} training images, {start.val} held out for validation, "
                                  f"{len(start.layers)} conv layers in the plain net")

    def show_progress(self, b, epochs: int) -> None:
        self.progress.setValue((b.epoch - 1) * b.steps + b.batch)
        self.status_label.setText(f"Epoch {b.epoch} / {epochs} · batch {b.batch} / {b.steps} · loss: residual "
                                  f"{b.loss['residual']:.2f}, plain {b.loss['plain']:.2f}")

    def show_history(self, history: CompareHistory) -> None:
        self.loss_plot.show_history(history)
        self.acc_plot.show_history(history)

    def show_norms(self, history: CompareHistory) -> None:
        self.gradient_map.show_norms(history.layers, history.nets["residual"].grad_norms,
                                     history.nets["plain"].grad_norms)

    def show_verdict(self, text: str) -> None:
        self.verdict.setText(text)

    def show_done(self, stopped: bool, epochs: int, seconds: float | None) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self.progress.setFormat("stopped" if stopped else "done")
        took = "" if seconds is None else f" in {seconds:.0f} s"
        self.status_label.setText(f"{'Stopped' if stopped else 'Done'} after {counted(epochs, 'epoch')}{took}")
