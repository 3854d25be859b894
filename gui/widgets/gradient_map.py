"""Depth x epoch heatmaps of per-layer gradient norms, one per network, on one shared colour scale.

Rows are the conv layers from the input (top) to the output (bottom); columns
are the measurements (before training, then after each epoch).  Colour is
log10 of the gradient norm; both maps and the colour bar share one range, so
the same colour means the same norm in either network.  It only paints what
:meth:`GradientMap.show_norms` hands it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

pg.setConfigOptions(background="w", foreground="#222")  # as the Train tab's plots

FLOOR = 1e-12  # norms of exactly 0 (a layer the loss does not reach) are drawn as this


def log_norms(rows: list[list[float]]) -> np.ndarray:
    """``(layers, measurements)`` array of log10 norms from one row per measurement."""
    if not rows:
        return np.zeros((0, 0))
    return np.log10(np.maximum(np.asarray(rows, dtype=np.float64), FLOOR)).T


def shared_range(*maps: np.ndarray) -> tuple[float, float]:
    """The colour range covering every map (a unit span around a single value)."""
    values = np.concatenate([m.ravel() for m in maps if m.size]) if any(m.size for m in maps) else np.zeros(1)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def stage_ticks(layers: list[str]) -> list[tuple[int, str]]:
    """Row ticks at the first conv and at the first conv of each stage (``res2a_branch2a`` -> ``stage 2``)."""
    ticks = []
    for i, name in enumerate(layers):
        if name == "conv1":
            ticks.append((i, "conv1 (input)"))
        elif name.startswith("res") and name.endswith("a_branch2a") and i >= 3:  # stage 2 starts next to conv1
            ticks.append((i, f"stage {name[3]}"))
    if layers:
        ticks.append((len(layers) - 1, "last conv"))
    return ticks


class GradientMap(pg.GraphicsLayoutWidget):
    """Two heatmaps side by side (``titles``) and the colour bar they share."""

    def __init__(self, titles: tuple[str, str] = ("Residual", "Plain"), parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.plots, self.images = [], []
        for col, title in enumerate(titles):
            plot = self.addPlot(row=0, col=col)
            plot.setTitle(f"<span style='font-size:13pt'>{title}: gradient norm per layer</span>")
            plot.setLabel("bottom", "epoch (0: before training)")
            plot.invertY(True)  # the input's layer at the top
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.getAxis("left").setWidth(95)  # room for the stage labels
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.plots.append(plot)
            self.images.append(image)
        self.colour_bar = pg.ColorBarItem(values=(-3, 1), colorMap=pg.colormap.get("viridis"), interactive=False,
                                          label="log10 gradient norm", width=18)
        self.colour_bar.setImageItem(self.images, insert_in=self.plots[-1])
        self.maps: list[np.ndarray] = [np.zeros((0, 0)), np.zeros((0, 0))]
        self._shape = (0, 0)  # (rows, columns) the axes are set for
        self.setMinimumHeight(260)

    def prepare(self, layers: list[str], columns: int) -> None:
        """Axes for ``len(layers)`` rows and ``columns`` measurements, set once per run.

        Changing the axes re-lays out the plots, and one such repaint with the images cost more
        than 50 ms of the UI thread on a loaded 2-core machine; new columns then only change pixels.
        """
        self._shape = (len(layers), columns)
        ticks = stage_ticks(layers)
        step = max(1, columns // 12)
        for plot in self.plots:
            plot.setXRange(-0.5, columns - 0.5, padding=0)
            plot.setYRange(-0.5, len(layers) - 0.5, padding=0)
            plot.getAxis("left").setTicks([[(float(i), text) for i, text in ticks]])
            plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, columns, step)]])

    def show_norms(self, layers: list[str], *rows_per_net: list[list[float]]) -> None:
        """Draw each net's rows (one per measurement, one value per layer of ``layers``)."""
        self.maps = [log_norms(rows) for rows in rows_per_net]
        lo, hi = shared_range(*self.maps)
        shape = max((m.shape for m in self.maps), default=(0, 0))
        if shape[0] != self._shape[0] or shape[1] > self._shape[1]:
            self.prepare(layers, shape[1])
        for image, data in zip(self.images, self.maps, strict=True):
            if not data.size:
                image.clear()
                continue
            image.setImage(data, autoLevels=False, levels=(lo, hi))
            image.setRect(-0.5, -0.5, data.shape[1], data.shape[0])  # columns centred on epoch numbers
        self.colour_bar.setLevels((lo, hi))

    def clear_maps(self) -> None:
        self.maps = [np.zeros((0, 0)), np.zeros((0, 0))]
        for image in self.images:
            image.clear()
