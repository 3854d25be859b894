"""Readers for each on-disk dataset layout: the course's HDF5 files, the CS230 JPEG folders, class folders.

Each reader returns :class:`~core.data.splits.Split` objects and class names;
:func:`detect_kind` tells the layouts apart.  Unreadable files are skipped with
a warning and recorded; structural problems raise :class:`DataError` with a
one-line reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.data.splits import Split, natural_key
from core.errors import DataError
from core.images import Region, crop_resize, is_image_name, read_image

log = logging.getLogger(__name__)

# Where the model should look in a full-size image (e.g. the square around the hand, core.hands.framing);
# None from it, or no framing at all, means the centre square.
Framing = Callable[[np.ndarray], Region | None]

H5_FILES = {"train": "train_signs.h5", "test": "test_signs.h5"}
CS230_DIRS = {"train": "train_signs", "val": "val_signs", "test": "test_signs"}


def _load_files(
    files: Sequence[Path], labels: Sequence[int], size: tuple[int, int], skipped: list[tuple[str, str]],
    framing: Framing | None = None,
) -> Split:
    xs, ys, kept = [], [], []
    for path, label in zip(files, labels, strict=True):
        try:
            img = read_image(path)
        except DataError as exc:
            log.warning("skipping %s", exc)
            skipped.append((str(path), str(exc)))
            continue
        xs.append(crop_resize(img, size, framing(img) if framing else None))
        ys.append(label)
        kept.append(str(path))
    if not xs:
        return Split.empty(size)
    return Split(np.stack(xs), np.asarray(ys, dtype=np.int64), kept)


def _list_images(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: natural_key(p.name),
    )


# --------------------------------------------------------------------------- HDF5


def open_h5(path: Path):
    """The HDF5 file at ``path``, open for reading (use it in ``with``); ``DataError`` when it is not one."""
    import h5py

    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable HDF5 file ({exc})") from None


def checked_h5_split(f, path: Path, split: str):
    """``(x dataset, int labels, class names or None)`` of one split of an open course HDF5 file, after the
    layout checks (keys, datasets not groups, (N, H, W, 3) uint8 pixels, one integer label per image)."""
    xkey, ykey = f"{split}_set_x", f"{split}_set_y"
    if xkey not in f or ykey not in f:
        raise DataError(
            f"{path}: expected datasets {xkey!r} and {ykey!r} (the course's layout), found {sorted(f.keys()) or 'none'}"
        )
    x, y = f[xkey], f[ykey]
    if not hasattr(x, "shape") or not hasattr(y, "shape"):
        raise DataError(f"{path}: {xkey!r} and {ykey!r} must be datasets, not groups")
    if x.ndim != 4 or x.shape[-1] != 3:
        raise DataError(f"{path}: {xkey!r} must have shape (N, H, W, 3), has {x.shape}")
    if x.dtype != np.uint8:
        raise DataError(f"{path}: {xkey!r} must hold uint8 pixels, holds {x.dtype}")
    y_arr = np.asarray(y[()])
    if y_arr.ndim == 2 and 1 in y_arr.shape:  # the notebook reshapes to (1, N)
        y_arr = y_arr.reshape(-1)
    if y_arr.ndim != 1 or y_arr.shape[0] != x.shape[0]:
        raise DataError(f"{path}: {ykey!r} must hold one label per image ({x.shape[0]}), has shape {y_arr.shape}")
    if not np.issubdtype(y_arr.dtype, np.integer):
        raise DataError(f"{path}: {ykey!r} must hold integer labels, holds {y_arr.dtype}")
    classes = None
    if "list_classes" in f:
        classes = [c.decode() if isinstance(c, bytes) else str(c) for c in np.asarray(f["list_classes"][()]).reshape(-1)]
    return x, y_arr, classes


def _read_h5_split(path: Path, split: str, size: tuple[int, int],
                   framing: Framing | None = None) -> tuple[Split, list[str] | None]:
    with open_h5(path) as f:
        x, y_arr, classes = checked_h5_split(f, path, split)
        x_arr = np.asarray(x[()])
    if x_arr.shape[1:3] != tuple(size) or framing is not None:
        x_arr = (np.stack([crop_resize(im, size, framing(im) if framing else None) for im in x_arr])
                 if len(x_arr) else Split.empty(size).x)
    return Split(x_arr, y_arr.astype(np.int64), [f"{path}#{i}" for i in range(len(y_arr))]), classes


def load_hdf5(source: Path, size: tuple[int, int] = (64, 64),
              framing: Framing | None = None) -> tuple[dict[str, Split], list[str]]:
    """Read the course's HDF5 files: a folder with ``train_signs.h5``/``test_signs.h5`` or one ``.h5`` file."""
    splits: dict[str, Split] = {}
    classes: list[str] | None = None
    if source.is_file():
        files = {}
        name = source.name.lower()
        import h5py

        try:
            with h5py.File(source, "r") as f:
                keys = set(f.keys())
        except (OSError, ValueError) as exc:
            raise DataError(f"{source}: not a readable HDF5 file ({exc})") from None
        for split in ("train", "test"):
            if f"{split}_set_x" in keys or split in name:
                files[split] = source
        if not files:
            raise DataError(
                f"{source}: expected 'train_set_x'/'train_set_y' or 'test_set_x'/'test_set_y' (the course's layout), "
                f"found {sorted(keys) or 'no datasets'}"
            )
    else:
        files = {s: source / n for s, n in H5_FILES.items() if (source / n).exists()}
    for split, path in files.items():
        splits[split], found = _read_h5_split(path, split, size, framing)
        if found and classes is None:
            classes = found
    labels = np.concatenate([s.y for s in splits.values()])
    if classes is None:
        classes = [str(i) for i in range(int(labels.max(initial=0)) + 1)]
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DataError(f"{source}: labels run from {labels.min()} to {labels.max()} but there are {len(classes)} classes")
    return splits, classes


# --------------------------------------------------------------------------- CS230 JPEG layout

_CS230_LABEL = re.compile(r"^(\d+)_")


def load_cs230(source: Path, size: tuple[int, int] = (64, 64), skipped: list | None = None,
               framing: Framing | None = None) -> tuple[dict[str, Split], list[str]]:
    """Read ``train_signs/ val_signs/ test_signs/`` with the label as the file-name prefix."""
    skipped = [] if skipped is None else skipped
    splits: dict[str, Split] = {}
    all_labels: set[int] = set()
    listed: dict[str, tuple[list[Path], list[int]]] = {}
    for split, dirname in CS230_DIRS.items():
        folder = source / dirname
        if not folder.is_dir():
            continue
        files, labels = [], []
        for p in _list_images(folder):
            m = _CS230_LABEL.match(p.name)
            if not m:
                reason = f"{p}: file name does not start with a label like '3_'"
                log.warning("skipping %s", reason)
                skipped.append((str(p), reason))
                continue
            files.append(p)
            labels.append(int(m.group(1)))
        listed[split] = (files, labels)
        all_labels.update(labels)
    if not all_labels:
        raise DataError(f"{source}: no labelled images in {', '.join(CS230_DIRS.values())}")
    classes = [str(i) for i in range(max(all_labels) + 1)]
    for split, (files, labels) in listed.items():
        splits[split] = _load_files(files, labels, size, skipped, framing)
    return splits, classes


# --------------------------------------------------------------------------- class folders


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: natural_key(p.name)
    )


def block_of_ten(path: Path) -> int:
    """Participant id for the Sign Language Digits dataset: photos come in blocks of ten per person."""
    m = re.search(r"(\d+)", path.stem)
    return int(m.group(1)) // 10 if m else -1


def load_class_folders(
    source: Path,
    size: tuple[int, int] = (64, 64),
    *,
    classes: Sequence[str] | None = None,
    skipped: list | None = None,
    group_fn: Callable[[Path], int] | None = None,
    framing: Framing | None = None,
) -> tuple[Split, list[str], list[str]]:
    """Read a tree of one folder per class.  Returns (split, class names, ignored folder names)."""
    skipped = [] if skipped is None else skipped
    dirs = _class_dirs(source)
    if not dirs:
        raise DataError(f"{source}: no class folders (expected one sub-folder of images per class)")
    ignored: list[str] = []
    if classes is not None:
        by_name = {d.name: d for d in dirs}
        ignored = [d.name for d in dirs if d.name not in set(classes)]
        missing = [c for c in classes if c not in by_name]
        if len(missing) == len(classes):
            raise DataError(
                f"{source}: none of its folders ({', '.join(d.name for d in dirs)}) match the model's classes "
                f"({', '.join(classes)})"
            )
        names = list(classes)
        dirs = [by_name.get(c) for c in classes]
    else:
        names = [d.name for d in dirs]
    files, labels = [], []
    for label, d in enumerate(dirs):
        if d is None:
            continue
        images = [p for p in _list_images(d)]
        if not images:
            raise DataError(f"{d}: class folder '{d.name}' is empty; add images or remove the folder")
        for p in images:
            if not is_image_name(p):
                reason = f"{p}: not an image file name"
                log.warning("skipping %s", reason)
                skipped.append((str(p), reason))
                continue
            files.append(p)
            labels.append(label)
    split = _load_files(files, labels, size, skipped, framing)
    for label, d in enumerate(dirs):
        if d is not None and not np.any(split.y == label):
            raise DataError(f"{d}: no readable images in class folder '{d.name}'")
    if group_fn is not None and len(split):
        split.groups = np.array([group_fn(Path(f)) for f in split.files], dtype=np.int64)
    return split, names, ignored


def detect_kind(source: Path) -> str:
    if source.is_file():
        if source.suffix.lower() in (".h5", ".hdf5"):
            return "hdf5"
        raise DataError(f"{source}: a dataset is a folder or an HDF5 (.h5) file")
    if not source.exists():
        raise DataError(f"{source}: no such dataset folder (set --data or {env_hint()})")
    if any((source / d).is_dir() for d in CS230_DIRS.values()):
        return "cs230"
    if any((source / f).is_file() for f in H5_FILES.values()):
        return "hdf5"
    if all((source / s).is_dir() for s in ("train",)) and any(_class_dirs(source / "train")):
        return "split-folders"
    return "folders"


def source_kind(source, kind: str = "auto") -> tuple[Path, str]:
    """The dataset path (``~`` expanded) and its layout: ``kind`` as given, or detected for "auto"."""
    src = Path(source).expanduser()
    if kind == "auto":
        return src, detect_kind(src)
    if not src.exists():
        raise DataError(f"{src}: no such dataset folder (set --data or {env_hint()})")
    return src, kind


def env_hint() -> str:
    from core.paths import DATA_ENV

    return f"the {DATA_ENV} environment variable"
