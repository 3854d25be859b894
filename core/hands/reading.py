"""One frame in, one answer out: find the hand, crop around it, classify; or say "no hand".

The app's workers, ``handsign predict`` and ``handsign evaluate`` all go
through :func:`read_frame`, so the command line scores exactly what the app
would show.  With no finder (hand finding switched off) the given region, or
the centre square, is classified as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.hands.finder import Hand, HandFinder
from core.images import Region
from core.inference.prediction import FrameClassifier, Prediction


@dataclass(frozen=True)
class Reading:
    prediction: Prediction | None  # None: the finder looked and saw no hand
    hand: Hand | None
    region: Region | None  # the pixels the classifier saw (None: the centre square, or nothing)
    model_input: np.ndarray | None  # uint8 at the model's input size

    @property
    def no_hand(self) -> bool:
        return self.prediction is None


def read_frame(classifier: FrameClassifier, image: np.ndarray, *, finder: HandFinder | None = None,
               region: Region | None = None, bgr: bool = False, still: bool = False) -> Reading:
    """Classify the hand in ``image``; ``still`` for independent photos, otherwise video frames (tracked)."""
    hand = None
    if finder is not None:
        hand = finder.find_in_image(image, bgr=bgr) if still else finder.find(image, bgr=bgr)
        if hand is None:
            return Reading(None, None, None, None)
        region = hand.region
    prediction, model_input = classifier.classify_frame_and_input(image, region, bgr=bgr)
    return Reading(prediction, hand, region, model_input)
