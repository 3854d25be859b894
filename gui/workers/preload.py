"""Opening the start-up model on a helper thread while the window is being built.

Building the window takes most of a second; opening the model's TensorFlow-free
classifier (hashing the file, reading the conversion, LiteRT's interpreter) and
the hand finder take about as long again, mostly in C code that releases the
GIL.  :class:`Preload` starts both as soon as the window knows which model it
will open, and the inference worker takes them over (:meth:`Preload.take`) when
its thread asks for that model: neither object is used by two threads at once;
the helper thread has ended before the worker touches them.  Only the
TensorFlow-free engine is preloaded; anything else (no conversion, the
``HANDSIGN_ENGINE=keras`` switch) is left to the worker as before.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Preload:
    def __init__(self, path: str | Path, *, hands: bool = True):
        self.path = str(path)
        self.classifier = None  # core.inference.lite.LiteClassifier, warmed up, or None
        self.finder = None  # core.hands.finder.HandFinder, or None (the worker makes it, and reports a failure)
        self._hands = hands
        self._thread = threading.Thread(target=self._run, name="model-preload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from core.inference.classifier import keras_engine_forced

        try:
            if not keras_engine_forced():
                from core.inference.lite import open_lite_classifier

                clf = open_lite_classifier(self.path)
                if clf is not None:
                    clf.warm_up()
                self.classifier = clf
        except Exception:  # the worker opens it again and reports what is wrong
            log.debug("preload of %s failed", self.path, exc_info=True)
        try:
            if self._hands:
                from core.hands.finder import HandFinder

                self.finder = HandFinder()
        except Exception:
            log.debug("hand finder preload failed", exc_info=True)

    def take(self, path: str | Path):
        """``(classifier or None, finder or None)`` once the helper thread has ended; the classifier only when
        it is for ``path``.  Each is handed out once."""
        self._thread.join()
        clf = self.classifier if self.classifier is not None and str(path) == self.path else None
        finder, self.classifier, self.finder = self.finder, None, None
        return clf, finder

    def join(self) -> None:
        self._thread.join()
