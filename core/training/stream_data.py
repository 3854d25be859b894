"""A training run's dataset: loaded into memory, or left on disk and streamed (``TrainSettings.stream``).

Shared by ``handsign train`` and the training child.  ``stream="auto"`` streams
when the decoded images would exceed the memory budget
(``core.data.stream.wants_streaming``); ``"on"`` / ``"off"`` force it.  A
streamed dataset has the same splits as the loaded one and trains through
``core.training.distribute``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core.data.augment import LEVELS
from core.data.splits import Dataset
from core.data.stream import load_streamed_dataset, wants_streaming
from core.training.data import load_training_data
from core.training.settings import TrainSettings

log = logging.getLogger(__name__)


def load_for_training(source, settings: TrainSettings, *, kind: str = "auto", image_size: tuple[int, int] = (64, 64),
                      classes: Sequence[str] | None = None) -> Dataset:
    s = settings
    masks = s.augment and LEVELS[s.augment_level].background_prob > 0  # the in-memory path keeps one per image
    if not wants_streaming(s.stream, source, image_size, masks=masks):
        return load_training_data(source, s, kind=kind, image_size=image_size, classes=classes)
    framing = None
    if s.find_hand:
        from core.hands.framing import HandFraming

        framing = HandFraming()
    ds = load_streamed_dataset(source, image_size, kind=kind, val_split=s.val_split, test_split=s.test_split,
                               seed=s.seed, classes=classes, framing=framing)
    log.info("%s: streamed from disk (%d training images)", ds.source, len(ds.train))
    return ds
