"""The Inside tab's logic: which classified crop to look inside, which block, and when to compute.

The tab follows the Classify tab: every classified frame or image arrives here
(``on_classified``, the inference worker's ``FrameResult``) with the exact
model-size crop the classifier saw, around the found hand or in the user's box.
While the tab is on screen, that crop goes to the inference worker (which owns
the model) for the chosen block's feature maps, one request at a time: while
one is being computed only the newest crop is kept, so the view never falls
behind the camera.  While the tab is hidden nothing is computed.

:class:`InsideController` talks to its view only through intent-named methods
(``show_features``, ``show_blocks``, ``show_waiting``, ``show_error``, ``show_rates``);
:class:`~gui.tabs.inside.view.InsideTab` implements them.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.explain.features import HIST_EDGES
from core.inference.rates import RateMeter

WAITING = "Classify a picture (Classify tab: camera, video or image) to see inside the network"
PREPARING = "Preparing the feature maps (once for each model: a few seconds)…"


class InsideController(QObject):
    request_features = Signal(object, str, int)  # model-size uint8 RGB, block ("" default), seq -> compute_features

    def __init__(self, view, parent=None):
        super().__init__(parent)
        self.view = view
        self.visible = False
        self.block = ""  # the chosen block ("res3b"); "" lets the worker pick the default
        self.blocks: list = []  # BlockInfo of the model in use, from the worker's first answer
        self.latest: np.ndarray | None = None  # the newest classified crop
        self.shown_input: np.ndarray | None = None  # the crop whose maps are on screen
        self.busy = False
        self.stale = False  # something newer (a crop, a block) than the request in flight
        self.failed = False  # this model cannot show feature maps: ask no more until another loads
        self.stopped = False  # the window is closing: answers still on their way are not shown
        self.live = False  # the crops come from a camera or video (an update rate means something)
        self._seq = 0
        self.requests_sent = 0
        self.results_shown = 0
        self.fps = RateMeter()
        self.ms_history: deque = deque(maxlen=20)

    # -- what to look at ----------------------------------------------------------------
    def on_classified(self, result) -> None:
        """Every classified frame or file (``gui.workers.inference.FrameResult``): keep its crop, compute if shown."""
        if result.kind not in ("frame", "file") or result.error is not None:
            return
        if result.no_hand:
            self.latest = None
            self.view.show_waiting("No hand in view: show a hand sign (or switch Find hand off with Ctrl+H)")
            return
        if result.model_input is None:
            return
        self.latest = result.model_input
        self.live = result.kind == "frame"
        self._compute()

    def set_block(self, name: str) -> None:
        """Show another block: the crop on screen is looked at again at once (or after the request in flight)."""
        if name == self.block:
            return
        self.block = name
        self.ms_history.clear()
        if self.latest is None and self.shown_input is not None:
            self.latest = self.shown_input
        self._compute()

    def set_visible(self, visible: bool) -> None:
        """The tab came on screen (look at the newest crop now) or left it (compute nothing more)."""
        self.visible = bool(visible)
        self.fps.reset()
        if self.visible:
            self._compute()

    def stop(self) -> None:
        """The window is closing: ask nothing more and show no answer that is still on its way."""
        self.stopped = True
        self.visible = False

    def on_model_loaded(self, report) -> None:
        self.failed = False
        self.blocks = []
        self.shown_input = None
        self.view.show_blocks([], "")  # the next answer lists the new model's blocks
        self.view.show_waiting(WAITING)

    # -- requests to the worker, one at a time -----------------------------------------------
    def _compute(self) -> None:
        if not self.visible or self.failed or self.stopped or self.latest is None:
            return
        if self.busy:
            self.stale = True  # the newest crop (self.latest) goes when the worker is free: never a backlog
            return
        self.busy, self.stale = True, False
        if not self.blocks:  # the worker builds this model's extractor first (traced once: seconds)
            self.view.show_waiting(PREPARING)
        self._seq += 1
        self.requests_sent += 1
        self.request_features.emit(self.latest, self._block_to_ask(), self._seq)

    def _block_to_ask(self) -> str:
        """The chosen block once this model is known to have it; until then "" (the worker's default)."""
        return self.block if any(b.name == self.block for b in self.blocks) else ""

    def on_worker_finished(self, job: str) -> None:
        if job != "features":
            return
        self.busy = False
        if self.stale:
            self._compute()

    # -- answers --------------------------------------------------------------------------
    def on_features(self, result) -> None:
        """The worker's ``FeatureResult``: maps and histograms on screen, or why there are none."""
        if self.stopped:
            return
        if result.error is not None:
            self.failed = True
            self.view.show_error(str(result.error))
            return
        view = result.view
        names = [b.name for b in result.blocks]
        if names != [b.name for b in self.blocks]:
            self.blocks = list(result.blocks)
            if self.block not in names:  # no choice yet, or the saved one is not in this model
                self.block = view.block.name
            self.view.show_blocks(self.blocks, self.block)
        if view.block.name != self.block:
            # About a block chosen before (or the default, before the saved choice was known to exist):
            # look at this crop again with the chosen block once the worker is free.
            if self.latest is None:
                self.latest = result.model_input
            self._compute()
            return
        if result.model_input is self.latest:
            self.latest = None  # looked at: a paused picture is not computed again and again
        self.shown_input = result.model_input
        self.results_shown += 1
        self.fps.tick()
        self.ms_history.append(view.seconds * 1000.0)
        self.view.show_features(result.model_input, view, HIST_EDGES)
        self.view.show_rates(self.fps.rate() if self.live else 0.0, float(np.mean(self.ms_history)))
