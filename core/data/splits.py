"""The dataset types every loader returns, and the seeded stratified split.

A :class:`Dataset` holds uint8 ``(N, H, W, 3)`` images resized to the model
input, int64 labels and class names, as train / validation / test
:class:`Split` objects.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.errors import DataError

SPLITS = ("train", "val", "test")


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
