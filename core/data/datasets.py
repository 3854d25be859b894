"""One dataset API over every source Hand Sign Studio reads.

Sources (``load_dataset`` detects which):

* the course's HDF5 layout: ``train_signs.h5`` / ``test_signs.h5`` with
  ``train_set_x``, ``train_set_y``, ``test_set_x``, ``test_set_y``, ``list_classes``;
* the CS230 JPEG layout: ``train_signs/ val_signs/ test_signs/`` with the label
  as the file-name prefix (``3_IMG_6133.jpg``);
* a tree of one folder per class (any size, any format Pillow reads), optionally
  under ``train/ val/ test/``.

Every source gives a :class:`Dataset` of uint8 ``(N, H, W, 3)`` images resized
to the model input, int64 labels and class names, split into train /
validation / test (as the source gives them, else a seeded stratified split).
Unreadable files are skipped with a warning and counted; structural problems
raise :class:`DataError` with a one-line reason.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.data.formats import Framing, load_class_folders, load_cs230, load_hdf5, source_kind
from core.data.splits import SPLITS, Dataset, Split, stratified_split
from core.errors import DataError

log = logging.getLogger(__name__)


def load_dataset(
    source: str | os.PathLike,
    image_size: tuple[int, int] = (64, 64),
    *,
    kind: str = "auto",
    val_split: float = 0.15,
    test_split: float = 0.15,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    group_fn: Callable[[Path], int] | None = None,
    framing: Framing | None = None,
) -> Dataset:
    """Load any supported dataset.

    Splits the source provides are kept.  A missing validation split is taken
    from train (``val_split``, seeded, stratified or by ``group_fn`` groups); a
    class-folder tree without splits also gives ``test_split`` to test.
    ``classes`` restricts a class-folder tree to the model's class names.
    ``framing`` picks the square of each full-size image to keep (the hand's:
    ``core.hands.framing``); without it, the centre square.
    """
    if not (0.0 <= val_split < 1.0 and 0.0 <= test_split <= 1.0 and val_split + test_split <= 1.0):
        raise DataError(f"val_split ({val_split}) and test_split ({test_split}) must be fractions that add up to at most 1")
    if min(image_size) < 1:
        raise DataError(f"image size must be positive, got {image_size}")
    size = (int(image_size[0]), int(image_size[1]))
    src, kind = source_kind(source, kind)
    skipped: list[tuple[str, str]] = []
    ignored: list[str] = []
    if kind == "hdf5":
        splits, names = load_hdf5(src, size, framing)
    elif kind == "cs230":
        splits, names = load_cs230(src, size, skipped, framing)
    elif kind == "split-folders":
        splits, names = {}, None
        for s in SPLITS:
            if (src / s).is_dir():
                part, found, ign = load_class_folders(src / s, size, classes=classes or names, skipped=skipped,
                                                     group_fn=group_fn, framing=framing)
                names = names or found
                ignored = sorted(set(ignored) | set(ign))
                splits[s] = part
    elif kind == "folders":
        whole, names, ignored = load_class_folders(src, size, classes=classes, skipped=skipped, group_fn=group_fn,
                                                   framing=framing)
        fractions = [test_split] if test_split < 1.0 else []
        if test_split >= 1.0:
            splits = {"test": whole}
        else:
            test_idx, rest_idx = stratified_split(whole.y, fractions, seed + 1, whole.groups)
            splits = {"train": whole.take(rest_idx), "test": whole.take(test_idx)}
    else:
        raise DataError(f"unknown dataset kind {kind!r}: use auto, hdf5, cs230, split-folders or folders")

    if "val" not in splits and "train" in splits and val_split > 0 and len(splits["train"]):
        tr = splits["train"]
        val_idx, train_idx = stratified_split(tr.y, [val_split], seed, tr.groups)
        splits["train"], splits["val"] = tr.take(train_idx), tr.take(val_idx)
    ds = Dataset(
        class_names=list(names),
        train=splits.get("train") or Split.empty(size),
        val=splits.get("val") or Split.empty(size),
        test=splits.get("test") or Split.empty(size),
        source=str(src),
        kind=kind,
        skipped=skipped,
        ignored_classes=ignored,
    )
    present = np.unique(np.concatenate([ds.train.y, ds.val.y, ds.test.y]))
    if len(present) == 0:
        raise DataError(f"{src}: no readable images")
    if len(ds.class_names) < 2 or len(present) < 2:
        raise DataError(f"{src}: only one class ({ds.class_names[int(present[0])]}) — a classifier needs at least two")
    if skipped:
        log.warning("%s: skipped %d unreadable file(s)", src, len(skipped))
    return ds
