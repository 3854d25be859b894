"""The Classify tab's heatmap: on or off, at which depth, for which class, and painting what comes back.

:class:`HeatmapChoice` keeps the user's choice (the "Heatmap" box and Ctrl+G,
stage 3 or 4, the top class or the class whose bar was clicked: clicking it
again or Esc returns to the top class) and sends it to the inference worker
(``request`` -> ``InferenceWorker.set_heatmap``), which computes a map with
every frame on its own thread.  :meth:`show` paints a frame's map over the
hand's square and the model input, and names the layer and the class.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

TOP = -1
LOADING = "loading…"  # the caption while a map is on its way (the first of a layer can take half a minute)


class HeatmapChoice(QObject):
    request = Signal(bool, str, int)  # on, layer ("stage3" | "stage4"), class (-1: the top class)
    shown = Signal(bool)  # switched on or off (the window's menu action follows it)

    def __init__(self, tab, parent=None):
        super().__init__(parent)
        self.tab = tab
        self.on = False
        self.layer = "stage4"
        self.chosen = TOP
        self.last = None  # the map on screen (core.explain.cam.Heatmap), None when none is shown
        controls, bars = tab.results.heatmap_controls, tab.results.bars
        controls.toggled.connect(self.set_on)
        controls.layer_changed.connect(self.set_layer)
        bars.class_clicked.connect(self.click_class)

    # -- what the user asks for --------------------------------------------------------------
    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on == self.on:
            return
        self.on = on
        self.tab.results.heatmap_controls.show_on(on)
        if on:
            self.tab.results.heatmap_controls.show_caption(LOADING)
        else:
            self.chosen = TOP
            self.show(None)
        self._send()
        self.shown.emit(on)

    def set_layer(self, layer: str) -> None:
        if layer != self.layer:
            self.layer = layer
            self.tab.results.heatmap_controls.set_layer(layer)
            if self.on:  # say so, not the old layer, until its first map comes
                self.tab.results.heatmap_controls.show_caption(LOADING)
            self._send()

    def click_class(self, index: int) -> None:
        """A bar was clicked: show that class's map; the same bar again: back to the top class."""
        if not self.on:
            return
        self.chosen = TOP if index == self.chosen else int(index)
        self._send()

    def escape(self) -> None:
        if self.on and self.chosen != TOP:
            self.chosen = TOP
            self._send()

    def model_loaded(self) -> None:
        """A (new) model: the worker builds its map for it now, not with the first frame (and a choice
        restored before the worker existed reaches it)."""
        self.chosen = TOP if self.chosen >= len(self.tab.controller.class_names) else self.chosen
        self.tab.escape_shortcut.setEnabled(self.on and self.chosen != TOP)
        if self.on:
            self.request.emit(self.on, self.layer, self.chosen)

    def _send(self) -> None:
        self.tab.results.bars.set_chosen(self.chosen if self.on else TOP)
        self.tab.escape_shortcut.setEnabled(self.on and self.chosen != TOP)
        self.request.emit(self.on, self.layer, self.chosen)
        # A still picture is read again once the worker has the choice in effect (its "heatmap" job
        # finished: ClassifyController.on_worker_finished), so it gets its map now, not with the next frame.

    # -- what comes back ------------------------------------------------------------------------
    def show(self, heatmap) -> None:
        """A frame's map (``core.explain.cam.Heatmap``), or None: none to show (off, no hand, no picture)."""
        tab = self.tab
        shown = heatmap if self.on else None
        self.last = shown
        tab.frame_view.set_heatmap(None if shown is None else shown.map)
        tab.results.input_view.set_heatmap(None if shown is None else shown.map)
        if shown is None:
            return
        names = tab.controller.class_names
        name = names[shown.class_index] if shown.class_index < len(names) else str(shown.class_index)
        which = "top class" if self.chosen == TOP else "clicked; Esc: top class"
        tab.results.heatmap_controls.show_caption(f"{shown.layer.short_label} · class {name} ({which})")
