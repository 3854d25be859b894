"""The Train tab's live view: progress, images/s and ETA, the loss and accuracy curves, and the validation strip.

It only shows what the controller hands it (``show_loading``, ``show_started``,
``show_progress`` …); each plot draws its curves from one
:class:`~gui.tabs.train.history.CurveHistory` (``show_metric``).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSplitter, QVBoxLayout, QWidget

from gui.tabs.train.history import CurveHistory
from gui.widgets import BAD, GOOD, ImageStrip, MessageBanner, big_font
from gui.widgets.plots import plain_numbers
from gui.widgets.projection import ProjectionView
from gui.wording import counted

pg.setConfigOptions(antialias=True, background="w", foreground="#222")

# The three series each plot draws, in legend order: (name, colour, line width, marker).
SERIES = (("train (batch)", "#9fb3c8", 1, None), ("train (epoch)", "#1565c0", 3, "o"), ("validation", "#e65100", 3, "s"))
STRIP_THUMB = 64
STRIP_WAITING = "Validation images appear here when training starts"


def format_eta(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss``; a dash when there is no estimate yet."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class CurvePlot(pg.PlotWidget):
    """Per-batch training values (thin) plus per-epoch train and validation values (thick, markers).

    No legend inside the plot: a legend there covered the accuracy curve where it
    ends, top right.  :func:`legend_html` names the series once, above both plots.
    """

    def __init__(self, title: str, ylabel: str):
        super().__init__()
        self.setTitle(f"<span style='font-size:16pt'>{title}</span>")
        self.setLabel("bottom", "epoch")
        self.setLabel("left", ylabel)
        plain_numbers(self)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.batch, self.epoch_train, self.epoch_val = (
            self.plot(pen=pg.mkPen(colour, width=width), symbol=marker, symbolSize=9, symbolBrush=colour)
            for _, colour, width, marker in SERIES)
        self.setMinimumHeight(200)

    def show_metric(self, history: CurveHistory, metric: str) -> None:
        for item, curve in ((self.batch, history.batch), (self.epoch_train, history.epoch),
                            (self.epoch_val, history.validation)):
            item.setData(curve.x, curve.values(metric))


def legend_html() -> str:
    """The series' names in their colours, with their line and marker, for a label beside the plots."""
    marks = {None: "", "o": "●", "s": "■"}
    parts = [f"<span style='color:{colour}; font-weight:bold'>━{marks[marker]}━</span>&nbsp;{name}"
             for name, colour, _, marker in SERIES]
    return "&nbsp;&nbsp;&nbsp;&nbsp;".join(parts)


class LiveView(QWidget):
    """Top of the Train tab: messages, progress, the curves and the network's guesses on fixed validation images."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.banner = MessageBanner()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setMinimumHeight(30)
        self.epoch_label = QLabel("Epoch – · batch –")
        self.rate_label = QLabel("– images/s · ETA –")
        self.epoch_label.setFont(big_font(self, 20, bold=True))
        self.rate_label.setFont(big_font(self, 20))
        self.legend = QLabel(legend_html())
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend.setFont(big_font(self, 15))
        self.loss_plot = CurvePlot("Loss", "cross-entropy")
        self.acc_plot = CurvePlot("Accuracy", "accuracy")
        self.acc_plot.setYRange(0, 1.02)
        self.projection = ProjectionView()
        self.strip_title = QLabel("Validation images: the network's guess after each epoch")
        self.strip_title.setFont(big_font(self, 15, bold=True))
        self.strip = ImageStrip(STRIP_THUMB)
        self.strip.empty_text = STRIP_WAITING
        # The curves and the strip need about 420 px; without a floor for the strip a short window put
        # its title on the plots' x axis.
        self.strip.setMinimumHeight(STRIP_THUMB + 34)
        self._lay_out()

    def _lay_out(self) -> None:
        status_row = QHBoxLayout()
        status_row.addWidget(self.epoch_label)
        status_row.addStretch(1)
        status_row.addWidget(self.rate_label)
        curves = QHBoxLayout()
        curves.addWidget(self.loss_plot)
        curves.addWidget(self.acc_plot)
        curves_and_legend = QVBoxLayout()
        curves_and_legend.addWidget(self.legend)
        curves_and_legend.addLayout(curves, 1)
        curves_box = QWidget()
        curves_box.setLayout(curves_and_legend)
        curves_and_legend.setContentsMargins(0, 0, 0, 0)
        # The curves take two thirds, the feature projection the rest; a teacher can drag the divider.
        self.plots = plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(curves_box)
        plots.addWidget(self.projection)
        plots.setStretchFactor(0, 2)
        plots.setStretchFactor(1, 1)
        plots.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.banner)
        lay.addWidget(self.progress)
        lay.addLayout(status_row)
        lay.addWidget(plots, 1)
        lay.addWidget(self.strip_title)
        lay.addWidget(self.strip)

    # -- intents -----------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.banner.show_message(text, kind="error")

    def show_loading(self) -> None:
        """A new run: clear the last one's figures and show a busy bar while the data loads."""
        self.banner.hide()
        self.strip.empty_text = STRIP_WAITING
        self.strip.set_items([], [])
        self.projection.clear()
        self.progress.setRange(0, 0)
        self.progress.setFormat("loading data…")
        self.epoch_label.setText("Loading data…")
        self.rate_label.setText("– images/s · ETA –")

    def show_started(self, epochs: int, steps_per_epoch: int, train: int | None = None, val: int | None = None) -> None:
        """The run's size; a run that keeps no image back to validate (a fine-tune, the notebook's run) says so
        where they would be."""
        if val == 0:
            self.strip.empty_text = f"No validation images in this run: all {train} images train"
            self.strip.update()
            self.projection.show_nothing_to_place()
        self.progress.setRange(0, max(1, epochs * steps_per_epoch))
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        self.epoch_label.setText(f"Epoch 1 / {epochs} · batch 0 / {steps_per_epoch}")

    def show_strip(self, images, true_labels, class_names) -> None:
        """The fixed validation images, before the network has guessed."""
        self.strip.set_items(list(images), [f"{class_names[t]} → ?" for t in true_labels])

    def show_guesses(self, true_labels, predicted, class_names) -> None:
        """The network's guess for each strip image, green when right and red when wrong."""
        pairs = list(zip(true_labels, predicted, strict=True))
        self.strip.set_captions([f"{class_names[t]} → {class_names[p]}" for t, p in pairs],
                                [GOOD if t == p else BAD for t, p in pairs])

    def show_projection_images(self, images, labels, class_names) -> None:
        """The validation images the feature projection will place, before the first epoch."""
        self.projection.set_images(images, labels, class_names)

    def show_projection(self, points, epoch: int) -> None:
        """An epoch's projected points: they glide there from the last epoch's places."""
        self.projection.show_points(points, epoch)

    def show_progress(self, p, paused: bool) -> None:
        """Where a running training is (a BatchProgress): the bar, epoch and batch, images/s and ETA."""
        self.progress.setRange(0, p.epochs * p.batches)
        self.progress.setValue((p.epoch - 1) * p.batches + p.batch)
        self.epoch_label.setText(f"Epoch {p.epoch} / {p.epochs} · batch {p.batch} / {p.batches}"
                                 + (" · paused" if paused else ""))
        self.rate_label.setText(f"{p.images_per_second:.0f} images/s · ETA {format_eta(p.eta_seconds)}")

    def show_paused(self, paused: bool) -> None:
        if paused:
            self.epoch_label.setText(self.epoch_label.text() + " · paused")

    def show_not_trained(self) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("not trained")
        self.epoch_label.setText("Not trained")

    def show_done(self, stopped: bool, epochs: int, seconds: float) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self.progress.setFormat("stopped" if stopped else "done")
        self.epoch_label.setText(f"{'Stopped' if stopped else 'Done'} after {counted(epochs, 'epoch')} in {format_eta(seconds)}")
