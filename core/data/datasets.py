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

import dataclasses
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import DataError
from core.images import crop_resize, is_image_name, read_image

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
H5_FILES = {"train": "train_signs.h5", "test": "test_signs.h5"}
CS230_DIRS = {"train": "train_signs", "val": "val_signs", "test": "test_signs"}


@dataclass
class Split:
    x: np.ndarray  # uint8 (N, H, W, 3)
    y: np.ndarray  # int64 (N,)
    files: list[str] = field(default_factory=list)  # source file per image, when known
    groups: np.ndarray | None = None  # e.g. participant id, for person-wise splits

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, idx: np.ndarray) -> Split:
        return Split(
            self.x[idx],
            self.y[idx],
            [self.files[i] for i in idx] if self.files else [],
            None if self.groups is None else self.groups[idx],
        )

    @staticmethod
    def empty(size: tuple[int, int]) -> Split:
        return Split(np.zeros((0, size[0], size[1], 3), np.uint8), np.zeros((0,), np.int64))

    @staticmethod
    def concat(parts: Sequence[Split]) -> Split:
        parts = [p for p in parts if len(p)]
        if not parts:
            raise DataError("no images to combine")
        groups = None
        if all(p.groups is not None for p in parts):
            groups = np.concatenate([p.groups for p in parts])
        files = [f for p in parts for f in p.files] if all(p.files for p in parts) else []
        return Split(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]), files, groups)


@dataclass
class Dataset:
    class_names: list[str]
    train: Split
    val: Split
    test: Split
    source: str = ""
    kind: str = ""
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    ignored_classes: list[str] = field(default_factory=list)

    @property
    def image_size(self) -> tuple[int, int]:
        for s in (self.train, self.val, self.test):
            if s.x.ndim == 4:
                return int(s.x.shape[1]), int(s.x.shape[2])
        raise DataError("dataset has no images")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def split(self, name: str) -> Split:
        if name not in SPLITS:
            raise DataError(f"unknown split {name!r}: use one of {', '.join(SPLITS)}")
        return getattr(self, name)

    def with_small_val(self, per_class: int, seed: int = 0) -> Dataset:
        """The same data with all but about ``per_class`` validation images per class moved into training.

        For short runs where images to learn from matter more than a precise
        validation score (the quick preset): a small validation split still
        draws the held-out curve.  Seeded; with person ``groups`` whole persons
        stay together (persons are kept until every class has ``per_class``).
        The test split is never touched.  ``per_class <= 0``: unchanged.
        """
        v = self.val
        if per_class <= 0 or len(v) == 0:
            return self
        rng = np.random.default_rng(seed)
        keep: list[int] = []
        if v.groups is None:
            for label in np.unique(v.y):
                idx = np.flatnonzero(v.y == label)
                rng.shuffle(idx)
                keep.extend(idx[:per_class].tolist())
        else:
            labels = np.unique(v.y)
            counts = dict.fromkeys(labels.tolist(), 0)
            persons = np.array(sorted(set(v.groups.tolist())))
            rng.shuffle(persons)
            for g in persons:
                if all(n >= per_class for n in counts.values()):
                    break
                idx = np.flatnonzero(v.groups == g)
                keep.extend(idx.tolist())
                for label in v.y[idx].tolist():
                    counts[label] += 1
        kept = np.array(sorted(keep), dtype=np.int64)
        moved = np.setdiff1d(np.arange(len(v)), kept)
        if len(moved) == 0:
            return self
        return dataclasses.replace(self, train=Split.concat([self.train, v.take(moved)]), val=v.take(kept))

    def describe(self) -> str:
        counts = ", ".join(f"{n} {len(self.split(n))}" for n in SPLITS)
        text = f"{self.kind} dataset at {self.source}: {self.num_classes} classes ({', '.join(self.class_names)}); {counts}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} unreadable file(s)"
        return text


# --------------------------------------------------------------------------- helpers


def natural_key(text: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def stratified_split(
    y: np.ndarray, fractions: Sequence[float], seed: int, groups: np.ndarray | None = None
) -> list[np.ndarray]:
    """Split indices into ``len(fractions) + 1`` parts: the given fractions, then the rest.

    Stratified by class; with ``groups`` whole groups (e.g. participants) go to
    one part, so no person appears in two parts.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    if groups is not None:
        unique = np.array(sorted(set(groups.tolist())))
        rng.shuffle(unique)
        bounds = np.round(np.cumsum(fractions) * len(unique)).astype(int)
        for i, g in enumerate(unique):
            part = int(np.searchsorted(bounds, i, side="right"))
            parts[part].extend(np.flatnonzero(groups == g).tolist())
    else:
        for label in np.unique(y):
            idx = np.flatnonzero(y == label)
            rng.shuffle(idx)
            bounds = np.round(np.cumsum(fractions) * len(idx)).astype(int)
            for part, chunk in enumerate(np.split(idx, bounds)):
                parts[part].extend(chunk.tolist())
    return [np.array(sorted(p), dtype=np.int64) for p in parts]


def _load_files(
    files: Sequence[Path], labels: Sequence[int], size: tuple[int, int], skipped: list[tuple[str, str]]
) -> Split:
    xs, ys, kept = [], [], []
    for path, label in zip(files, labels, strict=True):
        try:
            img = read_image(path)
        except DataError as exc:
            log.warning("skipping %s", exc)
            skipped.append((str(path), str(exc)))
            continue
        xs.append(crop_resize(img, size))
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


def _read_h5_split(path: Path, split: str, size: tuple[int, int]) -> tuple[Split, list[str] | None]:
    import h5py

    xkey, ykey = f"{split}_set_x", f"{split}_set_y"
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        keys = sorted(f.keys())
        if xkey not in f or ykey not in f:
            raise DataError(
                f"{path}: expected datasets {xkey!r} and {ykey!r} (the course's layout), found {keys or 'none'}"
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
        x_arr = np.asarray(x[()])
    if x_arr.shape[1:3] != tuple(size):
        x_arr = np.stack([crop_resize(im, size) for im in x_arr]) if len(x_arr) else Split.empty(size).x
    return Split(x_arr, y_arr.astype(np.int64), [f"{path}#{i}" for i in range(len(y_arr))]), classes


def load_hdf5(source: Path, size: tuple[int, int] = (64, 64)) -> tuple[dict[str, Split], list[str]]:
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
        splits[split], found = _read_h5_split(path, split, size)
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


def load_cs230(source: Path, size: tuple[int, int] = (64, 64), skipped: list | None = None) -> tuple[dict[str, Split], list[str]]:
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
        splits[split] = _load_files(files, labels, size, skipped)
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
    split = _load_files(files, labels, size, skipped)
    for label, d in enumerate(dirs):
        if d is not None and not np.any(split.y == label):
            raise DataError(f"{d}: no readable images in class folder '{d.name}'")
    if group_fn is not None and len(split):
        split.groups = np.array([group_fn(Path(f)) for f in split.files], dtype=np.int64)
    return split, names, ignored


# --------------------------------------------------------------------------- detection and the one entry point


def detect_kind(source: Path) -> str:
    if source.is_file():
        if source.suffix.lower() in (".h5", ".hdf5"):
            return "hdf5"
        raise DataError(f"{source}: a dataset is a folder or an HDF5 (.h5) file")
    if not source.exists():
        raise DataError(f"{source}: no such dataset folder (set --data or {_env_hint()})")
    if any((source / d).is_dir() for d in CS230_DIRS.values()):
        return "cs230"
    if any((source / f).is_file() for f in H5_FILES.values()):
        return "hdf5"
    if all((source / s).is_dir() for s in ("train",)) and any(_class_dirs(source / "train")):
        return "split-folders"
    return "folders"


def _env_hint() -> str:
    from core.paths import DATA_ENV

    return f"the {DATA_ENV} environment variable"


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
) -> Dataset:
    """Load any supported dataset.

    Splits the source provides are kept.  A missing validation split is taken
    from train (``val_split``, seeded, stratified or by ``group_fn`` groups); a
    class-folder tree without splits also gives ``test_split`` to test.
    ``classes`` restricts a class-folder tree to the model's class names.
    """
    src = Path(source).expanduser()
    if not (0.0 <= val_split < 1.0 and 0.0 <= test_split <= 1.0 and val_split + test_split <= 1.0):
        raise DataError(f"val_split ({val_split}) and test_split ({test_split}) must be fractions that add up to at most 1")
    if min(image_size) < 1:
        raise DataError(f"image size must be positive, got {image_size}")
    size = (int(image_size[0]), int(image_size[1]))
    if kind == "auto":
        kind = detect_kind(src)
    elif not src.exists():
        raise DataError(f"{src}: no such dataset folder (set --data or {_env_hint()})")
    skipped: list[tuple[str, str]] = []
    ignored: list[str] = []
    if kind == "hdf5":
        splits, names = load_hdf5(src, size)
    elif kind == "cs230":
        splits, names = load_cs230(src, size, skipped)
    elif kind == "split-folders":
        splits = {}
        names = None
        for s in SPLITS:
            if (src / s).is_dir():
                part, found, ign = load_class_folders(src / s, size, classes=classes or names, skipped=skipped, group_fn=group_fn)
                names = names or found
                ignored = sorted(set(ignored) | set(ign))
                splits[s] = part
    elif kind == "folders":
        whole, names, ignored = load_class_folders(src, size, classes=classes, skipped=skipped, group_fn=group_fn)
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
