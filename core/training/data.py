"""The dataset a training run learns from, split the way its settings say.

Shared by the training child (the app) and ``handsign train``, so both split a
class-folder tree the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.data.datasets import load_dataset
from core.data.splits import Dataset
from core.model.files import read_info
from core.training.settings import TrainSettings

log = logging.getLogger(__name__)


def load_training_data(source, settings: TrainSettings, *, kind: str = "auto",
                       image_size: tuple[int, int] = (64, 64), classes: Sequence[str] | None = None) -> Dataset:
    """Load ``source`` with the settings' validation and test fractions and seed.

    With ``settings.find_hand`` every image is cropped to the square around its
    hand first, as the app frames it (found once per image and kept on disk with
    ``settings.hand_cache``: core.training.hand_cache).  A class-folder tree without its own splits gives ``settings.test_split`` of
    each class to test, unless its smallest class has fewer than
    ``settings.min_class_images_for_test`` images: then it gets no test split, so
    a few collected samples are all learnt from (and validated on) instead of a
    third of them being set aside.
    """
    s = settings
    framing = None
    if s.find_hand:
        from core.hands.framing import HandFraming
        from core.training.hand_cache import CachedFraming

        framing = CachedFraming(HandFraming()) if s.hand_cache else HandFraming()
    ds = load_dataset(source, image_size, kind=kind, val_split=s.val_split, test_split=s.test_split, seed=s.seed,
                      classes=classes, framing=framing)
    if framing is not None:
        if s.hand_cache:
            framing.save()
        log.info("%s: %s", ds.source, framing.summary())
    if ds.kind != "folders" or s.min_class_images_for_test <= 0 or not len(ds.test):
        return ds
    counts = np.bincount(np.concatenate([ds.train.y, ds.val.y, ds.test.y]), minlength=ds.num_classes)
    smallest = int(counts[counts > 0].min())
    if smallest >= s.min_class_images_for_test:
        return ds
    log.info("%s: a class has only %d images (< %d): no test split, all of them train and validate",
             ds.source, smallest, s.min_class_images_for_test)
    return load_dataset(source, image_size, kind=kind, val_split=s.val_split, test_split=0.0, seed=s.seed,
                        classes=classes, framing=framing)


def fine_tune_shape(init_model, size: int | None = None) -> tuple[tuple[int, int], list[str] | None]:
    """The input size and the classes to read: the initial model's when fine-tuning, else ``size`` (64).

    Fine-tuning reads a class-folder tree as the model's classes (other folders are
    ignored, missing ones are classes without new samples), at the model's size.
    """
    if not init_model:
        return (size or 64, size or 64), None
    info = read_info(Path(init_model).expanduser())  # a missing or damaged file: its one-line error, now
    if info is None:  # a plain Keras file: the session says what it lacks
        return (size or 64, size or 64), None
    return (tuple(info.input_size) if size is None else (size, size)), list(info.class_names)
