"""The plain data the inference worker sends back, and its once-per-frame hand finder.

Messages (:class:`FrameResult`, :class:`GalleryMaps`, :class:`FeatureResult`)
hold arrays and plain Python objects only, so they cross threads safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FrameResult:
    """One classified frame or image file, or why it could not be classified."""

    kind: str  # "frame", "file" or "hand" (where the hand is, nothing classified)
    seq: int
    prediction: Any = None  # core.inference.classifier.Prediction; None with no_hand
    model_input: np.ndarray | None = None  # uint8, model size, as the network sees it
    image: np.ndarray | None = None  # the picture it was made from (a file: decoded, RGB)
    path: str | None = None
    error: Exception | None = None
    bgr: bool = False  # ``image`` is BGR (camera and video frames)
    hand: Any = None  # core.hands.finder.Hand, when the finder found one
    no_hand: bool = False  # the finder looked and saw no hand: an answer, not an error
    region: Any = None  # core.images.Region the classifier saw (None: the centre square)
    heatmap: Any = None  # core.explain.cam.Heatmap of model_input, while the heatmap is switched on


@dataclass
class GalleryMaps:
    """Heatmaps of one gallery image (``InferenceWorker.explain_image``), one per class asked for, or why not."""

    title: str
    image: np.ndarray
    classes: list  # class indices, one map each
    maps: list
    layer: str = ""
    error: Exception | None = None



@dataclass
class FeatureResult:
    """The Inside tab's answer for one classified image: the feature maps, or why there are none."""

    seq: int
    model_input: np.ndarray | None = None  # uint8, model size: the crop the classifier saw
    view: Any = None  # core.explain.features.FeatureView
    blocks: list = field(default_factory=list)  # [core.explain.features.BlockInfo] of the model in use
    error: Exception | None = None


class OncePerFrame:
    """The worker's HandFinder, run once per video frame: Classify and Collect may both ask about the same frame,
    and tracking twice on one frame would only pull the smoothed square towards it."""

    def __init__(self, finder):
        self.finder = finder
        self._last: tuple | None = None  # (frame, Hand | None)

    def find(self, image, *, bgr: bool = False):
        if self._last is not None and self._last[0] is image:
            return self._last[1]
        hand = self.finder.find(image, bgr=bgr)
        self._last = (image, hand)
        return hand

    def find_in_image(self, image, *, bgr: bool = False):
        return self.finder.find_in_image(image, bgr=bgr)

    def reset(self) -> None:
        self._last = None
        self.finder.reset()
