"""Datasets read from disk on demand, for training sets larger than memory (docs/distributed.md).

:func:`load_streamed_dataset` lists a class-folder tree, a CS230 JPEG tree or the
course's HDF5 files and splits them exactly as ``core.data.datasets.load_dataset``
does, but reads no pixels: every split's ``x`` is a :class:`LazyImages`, which
reads an image (file decode or one HDF5 slice, then the same crop and resize)
only when it is indexed with an integer or turned into an array.  Indexing it
with a slice or index array gives another lazy view, so ``Split.take``,
``Split.concat`` and ``Dataset.with_small_val`` work unchanged and stay lazy.

``core.data.pipeline`` turns a lazy split into a ``tf.data`` pipeline (parallel
decode, augmentation, prefetch).  :func:`wants_streaming` decides, from the
estimated decoded size, whether a run streams (``TrainSettings.stream``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.data.formats import (
    _CS230_LABEL,
    CS230_DIRS,
    H5_FILES,
    _class_dirs,
    _list_images,
    checked_h5_split,
    detect_kind,
    open_h5,
    source_kind,
)
from core.data.splits import SPLITS, Dataset, Split, stratified_split
from core.errors import DataError
from core.images import Region, crop_resize, is_image_name, read_image

log = logging.getLogger(__name__)

# ``stream="auto"`` streams when the decoded training images (and what augmentation keeps per image)
# would take more than this; HANDSIGN_STREAM_BUDGET_MB overrides it.
DEFAULT_BUDGET_BYTES = 2 * 1024**3
STREAM_CHOICES = ("auto", "on", "off")


class ImageSource:
    """Where the images of one source are and how to read one: files, or rows of one HDF5 dataset."""

    def __init__(self, size: tuple[int, int], *, files: Sequence[str] = (), h5: tuple[str, str] | None = None,
                 count: int | None = None):
        self.size = (int(size[0]), int(size[1]))
        self.files = [str(f) for f in files]
        self.h5 = h5  # (path, dataset key)
        self.count = len(self.files) if h5 is None else int(count or 0)
        self.regions: dict[int, Region | None] = {}  # the hand's square per item (core.data.framing_cache)
        self._local = threading.local()  # one open HDF5 handle per thread (h5py serialises reads itself)

    def name(self, i: int) -> str:
        return self.files[i] if self.h5 is None else f"{self.h5[0]}#{i}"

    def read(self, i: int) -> np.ndarray:
        """Image ``i`` at the model's size, framed as the in-memory path frames it; DataError if unreadable."""
        full = self.read_full(i)
        region = self.regions.get(i)
        if region is None and full.shape[:2] == self.size:
            return np.ascontiguousarray(full)
        return crop_resize(full, self.size, region)

    def read_full(self, i: int) -> np.ndarray:
        if self.h5 is None:
            return read_image(self.files[i])
        f = getattr(self._local, "file", None)
        if f is None:
            import h5py

            f = self._local.file = h5py.File(self.h5[0], "r")
        return np.asarray(f[self.h5[1]][i])

    def __getstate__(self):  # the thread-local handle stays behind (spawned children, pickled jobs)
        state = dict(self.__dict__)
        state.pop("_local")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()


class LazyImages:
    """uint8 ``(N, H, W, 3)`` images of one or more :class:`ImageSource` objects, read when indexed."""

    ndim = 4
    dtype = np.dtype(np.uint8)

    def __init__(self, items: Sequence[tuple[ImageSource, int]], size: tuple[int, int] | None = None):
        self.items = list(items)
        size = self.items[0][0].size if self.items else (size or (0, 0))
        self.shape = (len(self.items), size[0], size[1], 3)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            src, i = self.items[int(key)]
            return src.read(i)
        if isinstance(key, slice):
            return LazyImages(self.items[key], self.shape[1:3])
        idx = np.asarray(key)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return LazyImages([self.items[int(i)] for i in idx.reshape(-1)], self.shape[1:3])

    def name(self, k: int) -> str:
        src, i = self.items[k]
        return src.name(i)

    def __array__(self, dtype=None, copy=None):
        """All the images, read now: for the few a run shows (validation strip, mistakes), never the training set."""
        out = np.zeros(self.shape, np.uint8)
        for k in range(len(self)):
            out[k] = self[k]
        return out if dtype is None else out.astype(dtype)

    def __array_function__(self, func, _types, args, kwargs):
        """``np.concatenate`` of lazy images stays lazy (``Split.concat``); anything else reads them."""
        if func is np.concatenate:
            parts = args[0]
            size = next((p.shape[1:3] for p in parts if len(p)), self.shape[1:3])
            return LazyImages([item for p in parts for item in (p.items if isinstance(p, LazyImages)
                                                                 else _in_memory(np.asarray(p)).items)], size)
        converted = [np.asarray(a) if isinstance(a, LazyImages) else a for a in args]
        return func(*converted, **kwargs)


def _in_memory(x: np.ndarray) -> LazyImages:
    """Already decoded images as lazy ones (an empty split concatenated with a lazy one)."""
    if len(x) == 0:
        return LazyImages([])
    raise DataError("a streamed dataset cannot be combined with images held in memory")


def is_streamed(ds: Dataset) -> bool:
    return any(isinstance(ds.split(s).x, LazyImages) for s in SPLITS)


def _lazy_split(source: ImageSource, labels: Sequence[int]) -> Split:
    return Split(LazyImages([(source, i) for i in range(source.count)]), np.asarray(labels, np.int64),
                 [source.name(i) for i in range(source.count)])


# --------------------------------------------------------------------------- listing (no pixels read)


def _skip(skipped: list, path: Path, reason: str) -> None:
    log.warning("skipping %s", reason)
    skipped.append((str(path), reason))


def _pick_dirs(source: Path, classes: Sequence[str] | None) -> tuple[list[Path | None], list[str], list[str]]:
    """The class folders in label order, their names and the ignored folders (as ``load_class_folders``)."""
    dirs = _class_dirs(source)
    if not dirs:
        raise DataError(f"{source}: no class folders (expected one sub-folder of images per class)")
    if classes is None:
        return list(dirs), [d.name for d in dirs], []
    by_name = {d.name: d for d in dirs}
    if not any(c in by_name for c in classes):
        raise DataError(f"{source}: none of its folders ({', '.join(d.name for d in dirs)}) match the model's classes "
                        f"({', '.join(classes)})")
    return [by_name.get(c) for c in classes], list(classes), [d.name for d in dirs if d.name not in set(classes)]


def list_class_folders(source: Path, size, *, classes=None, skipped: list) -> tuple[Split, list[str], list[str]]:
    """A class-folder tree as a lazy split: the same files, labels and errors as ``load_class_folders``."""
    dirs, names, ignored = _pick_dirs(source, classes)
    files, labels = [], []
    for label, d in enumerate(dirs):
        if d is None:
            continue
        images = _list_images(d)
        if not images:
            raise DataError(f"{d}: class folder '{d.name}' is empty; add images or remove the folder")
        for p in images:
            if not is_image_name(p):
                _skip(skipped, p, f"{p}: not an image file name")
                continue
            files.append(p)
            labels.append(label)
    for label, d in enumerate(dirs):
        if d is not None and label not in set(labels):
            raise DataError(f"{d}: no readable images in class folder '{d.name}'")
    return _lazy_split(ImageSource(size, files=files), labels), names, ignored


def list_cs230(source: Path, size, skipped: list) -> tuple[dict[str, Split], list[str]]:
    """The CS230 JPEG layout as lazy splits (labels from the file-name prefix, as ``load_cs230``)."""
    listed: dict[str, tuple[list[Path], list[int]]] = {}
    for split, dirname in CS230_DIRS.items():
        if not (source / dirname).is_dir():
            continue
        files, labels = [], []
        for p in _list_images(source / dirname):
            m = _CS230_LABEL.match(p.name)
            if not m:
                _skip(skipped, p, f"{p}: file name does not start with a label like '3_'")
                continue
            files.append(p)
            labels.append(int(m.group(1)))
        listed[split] = (files, labels)
    found = {v for _, labels in listed.values() for v in labels}
    if not found:
        raise DataError(f"{source}: no labelled images in {', '.join(CS230_DIRS.values())}")
    classes = [str(i) for i in range(max(found) + 1)]
    return {s: _lazy_split(ImageSource(size, files=f), y) for s, (f, y) in listed.items()}, classes


def _h5_split(path: Path, split: str, size) -> tuple[Split, list[str] | None]:
    """One split of a course HDF5 file: labels read now, images left on disk (``_read_h5_split``'s checks)."""
    with open_h5(path) as f:
        _x, y_arr, classes = checked_h5_split(f, path, split)
    return _lazy_split(ImageSource(size, h5=(str(path), f"{split}_set_x"), count=len(y_arr)), y_arr), classes


def _h5_files(source: Path) -> dict[str, Path]:
    """Which file holds which split (as ``load_hdf5``): a folder of the course's two files, or one ``.h5``."""
    if not source.is_file():
        return {s: source / n for s, n in H5_FILES.items() if (source / n).exists()}
    import h5py

    try:
        with h5py.File(source, "r") as f:
            keys = set(f.keys())
    except (OSError, ValueError) as exc:
        raise DataError(f"{source}: not a readable HDF5 file ({exc})") from None
    files = {s: source for s in ("train", "test") if f"{s}_set_x" in keys or s in source.name.lower()}
    if not files:
        raise DataError(f"{source}: expected 'train_set_x'/'train_set_y' or 'test_set_x'/'test_set_y' (the course's "
                        f"layout), found {sorted(keys) or 'no datasets'}")
    return files


def list_hdf5(source: Path, size) -> tuple[dict[str, Split], list[str]]:
    """The course's HDF5 files as lazy splits: each image is one slice read when it is needed."""
    splits: dict[str, Split] = {}
    classes: list[str] | None = None
    for split, path in _h5_files(source).items():
        splits[split], found = _h5_split(path, split, size)
        classes = classes or found
    labels = np.concatenate([s.y for s in splits.values()]) if splits else np.zeros(0, np.int64)
    if classes is None:
        classes = [str(i) for i in range(int(labels.max(initial=0)) + 1)]
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DataError(f"{source}: labels run from {labels.min()} to {labels.max()} but there are {len(classes)} classes")
    return splits, classes


# --------------------------------------------------------------------------- the streamed dataset


def load_streamed_dataset(source: str | os.PathLike, image_size: tuple[int, int] = (64, 64), *, kind: str = "auto",
                          val_split: float = 0.15, test_split: float = 0.15, seed: int = 0,
                          classes: Sequence[str] | None = None, framing=None) -> Dataset:
    """``load_dataset``'s splits and errors with every image left on disk (see the module docstring).

    ``framing`` (``core.hands.framing.HandFraming``) is run once per image before
    the split and remembered on disk (``core.data.framing_cache``), so the
    training epochs only decode and crop; unreadable images it meets are skipped.
    """
    from core.data.framing_cache import frame_split

    src, kind = source_kind(source, kind)
    size = (int(image_size[0]), int(image_size[1]))
    skipped: list[tuple[str, str]] = []
    ignored: list[str] = []

    def framed(split: Split) -> Split:
        return frame_split(split, framing, skipped) if framing is not None else split

    if kind == "hdf5":
        splits, names = list_hdf5(src, size)
        splits = {k: framed(v) for k, v in splits.items()}
    elif kind == "cs230":
        splits, names = list_cs230(src, size, skipped)
        splits = {k: framed(v) for k, v in splits.items()}
    elif kind == "split-folders":
        splits, names = {}, None
        for s in SPLITS:
            if (src / s).is_dir():
                part, found, ign = list_class_folders(src / s, size, classes=classes or names, skipped=skipped)
                names, ignored = names or found, sorted(set(ignored) | set(ign))
                splits[s] = framed(part)
    elif kind == "folders":
        whole, names, ignored = list_class_folders(src, size, classes=classes, skipped=skipped)
        whole = framed(whole)
        if test_split >= 1.0:
            splits = {"test": whole}
        else:
            test_idx, rest_idx = stratified_split(whole.y, [test_split], seed + 1, whole.groups)
            splits = {"train": whole.take(rest_idx), "test": whole.take(test_idx)}
    else:
        raise DataError(f"unknown dataset kind {kind!r}: use auto, hdf5, cs230, split-folders or folders")
    return _finish(src, kind, splits, names, val_split, seed, size, skipped, ignored)


def _finish(src: Path, kind: str, splits: dict[str, Split], names, val_split: float, seed: int, size,
            skipped, ignored) -> Dataset:
    """The validation split taken from train when the source has none, and the dataset's own checks."""
    if "val" not in splits and "train" in splits and val_split > 0 and len(splits["train"]):
        tr = splits["train"]
        val_idx, train_idx = stratified_split(tr.y, [val_split], seed, tr.groups)
        splits["train"], splits["val"] = tr.take(train_idx), tr.take(val_idx)
    empty = Split(LazyImages([], size), np.zeros((0,), np.int64))
    ds = Dataset(class_names=list(names), train=splits.get("train") or empty, val=splits.get("val") or empty,
                 test=splits.get("test") or empty, source=str(src), kind=kind, skipped=skipped,
                 ignored_classes=ignored)
    present = np.unique(np.concatenate([ds.train.y, ds.val.y, ds.test.y]))
    if len(present) == 0:
        raise DataError(f"{src}: no readable images")
    if len(ds.class_names) < 2 or len(present) < 2:
        raise DataError(f"{src}: only one class ({ds.class_names[int(present[0])]}) — a classifier needs at least two")
    return ds


# --------------------------------------------------------------------------- when to stream


def budget_bytes() -> int:
    env = os.environ.get("HANDSIGN_STREAM_BUDGET_MB")
    if env:
        try:
            return int(float(env) * 1024**2)
        except ValueError:
            raise DataError(f"HANDSIGN_STREAM_BUDGET_MB must be a number of megabytes, got {env!r}") from None
    return DEFAULT_BUDGET_BYTES


def estimated_bytes(source: str | os.PathLike, image_size: tuple[int, int], *, masks: bool = False) -> int:
    """What the in-memory path would hold: every image decoded at the model's size (+ float32 masks for
    the background augmentation).  Counts files or HDF5 rows; reads no pixels."""
    src = Path(source).expanduser()
    kind = detect_kind(src)
    if kind == "hdf5":
        n = 0
        for split, path in _h5_files(src).items():
            try:
                with open_h5(path) as f:
                    key = f"{split}_set_x"
                    n += int(f[key].shape[0]) if key in f and hasattr(f[key], "shape") else 0
            except DataError:  # unreadable: the loader that follows says so in one line
                continue
    else:
        n = sum(1 for _root, _dirs, files in os.walk(src) for name in files if is_image_name(name))
    per_image = image_size[0] * image_size[1] * 3 * (1 + (4 / 3 if masks else 0))
    return int(n * per_image)


def wants_streaming(setting: str, source: str | os.PathLike, image_size: tuple[int, int], *,
                    masks: bool = False) -> bool:
    """``"on"``/``"off"`` as asked; ``"auto"``: stream when the in-memory path would exceed :func:`budget_bytes`."""
    if setting not in STREAM_CHOICES:
        raise DataError(f"stream must be one of {', '.join(STREAM_CHOICES)}, got {setting!r}")
    if setting != "auto":
        return setting == "on"
    need, budget = estimated_bytes(source, image_size, masks=masks), budget_bytes()
    if need > budget:
        log.info("%s: about %.0f MB decoded, over the %.0f MB budget: streaming from disk", source, need / 1e6,
                 budget / 1e6)
    return need > budget
