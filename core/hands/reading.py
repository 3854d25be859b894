"""One frame in, one answer out: find the hand, crop around it, classify; or say "no hand".

The app's workers, ``handsign predict`` and ``handsign evaluate`` all go
through :func:`read_frame`, so the command line scores exactly what the app
would show.  With no finder (hand finding switched off) the given region, or
the centre square, is classified as before.  Where the model file carries a
hand-shape head (``core.hands.shape``), a found hand's landmarks give a second
opinion that the prediction combines with the image classifier's.
:func:`read_split` reads every image of a dataset split that way, at the size
it has on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.hands.finder import Hand, HandFinder
from core.images import Region, read_image
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

    def as_dict(self) -> dict:
        """The ``predict --json`` fields: with hand finding ``hand`` (true/false), ``region``
        (``[x, y, w, h]`` pixels of the image as read) and ``presence``, then the prediction,
        whose fields are null when no hand was found; without a finder, the prediction alone."""
        if self.prediction is not None and self.hand is None:  # hand finding was off
            return self.prediction.as_dict()
        if self.prediction is None:
            return {"hand": False, "region": None, "presence": None,
                    "top_class": None, "confidence": None, "probabilities": None}
        return {"hand": True, **self.hand.as_dict(), **self.prediction.as_dict()}


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
    if hand is not None and classifier.shape_head is not None:  # the hand's shape: a second opinion
        prediction = prediction.with_shape(classifier.shape_head, hand.landmarks)
    return Reading(prediction, hand, region, model_input)


@dataclass(frozen=True)
class SplitReadings:
    """Every image of a split read with hand finding, in split order."""

    probabilities: np.ndarray  # float32 (N, classes); zeros where no hand was found
    predicted: np.ndarray  # int64 (N,): the top class, -1 where no hand was found
    images: np.ndarray  # uint8 (N, h, w, 3): what the model saw; the split's own image where no hand was found
    regions: list[Region | None]  # the hand's square in the image as read, None where no hand was found

    @property
    def no_hand(self) -> np.ndarray:
        return self.predicted < 0


def read_split(classifier: FrameClassifier, split, finder: HandFinder, *, from_files: bool,
               progress: Callable[[int, int], None] | None = None) -> SplitReadings:
    """:func:`read_frame` on each image of ``split`` (a ``core.data.splits.Split``) as a still photo.

    ``from_files``: read each of ``split.files`` again at its full size, so that a
    small hand in a large frame is found before anything is shrunk to the model's
    input (the split's own images are model-sized); otherwise (HDF5 arrays) the
    split's images are searched as they are.  ``progress(done, total)`` after each image.
    """
    n, k = len(split), len(classifier.class_names)
    probs = np.zeros((n, k), np.float32)
    predicted = np.full(n, -1, np.int64)
    images = np.array(split.x, copy=True)
    regions: list[Region | None] = [None] * n
    for i in range(n):
        image = read_image(split.files[i]) if from_files else split.x[i]
        reading = read_frame(classifier, image, finder=finder, still=True)
        if not reading.no_hand:
            probs[i] = reading.prediction.probabilities
            predicted[i] = reading.prediction.top_index
            regions[i] = reading.region
            if reading.model_input.shape == images.shape[1:]:
                images[i] = reading.model_input
        if progress is not None:
            progress(i + 1, n)
    return SplitReadings(probs, predicted, images, regions)
