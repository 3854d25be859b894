"""The training batches: shuffled, optionally augmented, made on a background thread.

:class:`Batches` cuts one epoch of a training split into scaled batches;
:class:`BatchFeeder` makes them a few ahead of the training step, epoch by
epoch, so the step never waits on numpy work.  One thread draws from the run's
random generator, so a seed gives the same batches.
"""

from __future__ import annotations

import math
import queue
import threading

import numpy as np

from core.data.augment import BASIC, AugmentConfig, augment_batch, foreground_masks
from core.images import scale
from core.training.progressive import crop, shrink


class Batches:
    """Shuffled, optionally augmented batches of uint8 images, scaled to [0, 1]."""

    def __init__(self, x, y, batch_size, augment: bool, seed: int, aug_cfg: AugmentConfig | None = None,
                 scenes=None, small_crop: bool = False):
        self.x, self.y, self.batch_size, self.augment = x, y, batch_size, augment
        self.small_crop = small_crop  # smaller sizes are random crops, not shrunk images
        self.scenes = scenes  # core.data.scenes.SceneBank: real photos behind the hand
        self.rng = np.random.default_rng(seed)
        self.aug_cfg = aug_cfg or AugmentConfig()
        # Foreground masks for background replacement, computed once per run.
        self.masks = foreground_masks(x) if augment and self.aug_cfg.background_prob > 0 else None
        self.order = self.rng.permutation(len(y))
        self.progress = 0.0  # fraction of the run done, for the augmentation curriculum

    def __len__(self):
        return max(1, math.ceil(len(self.y) / self.batch_size))

    def batch(self, i, size: int | None = None):
        """Batch ``i`` of this epoch, its images ``size`` pixels a side if given (progressive resizing)."""
        idx = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        xb = self.x[idx]
        if self.augment and self.masks is not None:
            # Curriculum: a from-scratch ResNet-50 barely learns when every image gets the
            # strong studio changes from the start (measured in docs/model.md).  Start with a
            # quarter of each batch, reach all of it half-way through the run; the rest gets
            # the basic changes.
            share = min(1.0, 0.25 + 1.5 * self.progress)
            strong = self.rng.random(len(idx)) < share
            xb = xb.copy()
            if strong.any():
                xb[strong] = augment_batch(xb[strong], self.rng, self.aug_cfg, self.masks[idx][strong], self.scenes)
            if (~strong).any():
                xb[~strong] = augment_batch(xb[~strong], self.rng, BASIC)
        elif self.augment:
            xb = augment_batch(xb, self.rng, self.aug_cfg)
        small = crop(xb, size, self.rng) if self.small_crop else shrink(xb, size)
        return scale(small), self.y[idx]

    def reshuffle(self, progress: float = 0.0):
        self.progress = progress
        self.order = self.rng.permutation(len(self.y))


class BatchFeeder:
    """Makes the run's batches on a background thread, a few ahead of the training step.

    Epoch by epoch, in order: each epoch reshuffles (and advances the augmentation
    curriculum) before its first batch is made, so every epoch sees every image once.
    """

    def __init__(self, batches: Batches, epochs: int, depth: int = 2, sizes: list[int | None] | None = None):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._closed = threading.Event()
        self._sizes = sizes or [None] * epochs  # each epoch's image side (None: as stored)
        self._thread = threading.Thread(target=self._produce, args=(batches, epochs), name="handsign-batches",
                                        daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, batches: Batches, epochs: int) -> None:
        try:
            for epoch in range(epochs):
                batches.reshuffle(epoch / max(1, epochs))
                size = self._sizes[epoch]
                for i in range(len(batches)):
                    if not self._put(("batch", batches.batch(i) if size is None else batches.batch(i, size))):
                        return
        except BaseException as exc:  # handed to the training thread, which raises it
            self._put(("error", exc))

    def get(self):
        kind, item = self._queue.get()
        if kind == "error":
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=10)
