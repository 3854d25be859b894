"""Turning raw predictions into what is shown: smoothing over frames and the "unsure" decision.

A live picture flickers between classes from frame to frame; the mean over the
last few probability vectors (:class:`Smoother`) steadies it.  Below a
confidence threshold the app names no class (:func:`decide`), because a wrong
answer said with confidence teaches the wrong thing in a classroom.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from core.inference.prediction import Prediction


@dataclass
class Decision(Prediction):
    """A prediction and whether its confidence is below the threshold ("unsure")."""

    unsure: bool = False


def decide(prediction: Prediction, threshold: float) -> Decision:
    """``prediction`` as a :class:`Decision`: unsure when its top probability is below ``threshold``."""
    probs = np.asarray(prediction.probabilities, np.float32)
    decision = Decision(probs, list(prediction.class_names), prediction.seconds)
    decision.unsure = decision.confidence < threshold
    return decision


class Smoother:
    """Mean of the last ``n`` probability vectors (``n`` = 1: no smoothing)."""

    def __init__(self, n: int = 1):
        self.n = max(1, int(n))
        self._history: deque = deque(maxlen=self.n)

    def set_window(self, n: int) -> None:
        self.n = max(1, int(n))
        self._history = deque(list(self._history)[-self.n :], maxlen=self.n)

    def reset(self) -> None:
        self._history.clear()

    def add(self, probs) -> np.ndarray:
        """Add one probability vector; returns the mean over the window."""
        self._history.append(np.asarray(probs, np.float32))
        return np.mean(np.stack(self._history), axis=0)
