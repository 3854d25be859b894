"""``tf.data`` pipelines over a split: parallel decode, the training augmentation, prefetch.

:func:`split_dataset` turns a split (lazy images from ``core.data.stream``, or
uint8 arrays in memory) into batches of ``(float32 images in [0, 1], int64
labels)``: shuffled indices → parallel reads (decode, the hand's square,
resize: ``ImageSource.read``, the in-memory path's own code) → batch → the
augmentation of ``core.training.batches.Batches`` (same configs, same
curriculum, seeded per batch) → scale → prefetch.  Only a few batches are ever
in memory, whatever the size of the split.

An image that cannot be decoded during training is dropped from its batch with
a warning naming it (the in-memory path skips such files when it loads).
TensorFlow only: the distributed and streamed runs (``core.training.distribute``)
are TensorFlow runs.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from core.data.augment import BASIC, AugmentConfig, augment_batch, foreground_masks
from core.data.splits import Split
from core.errors import DataError

log = logging.getLogger(__name__)


class BatchAugmenter:
    """What ``Batches.batch`` does to a batch, for batches that arrive from a pipeline.

    Each batch gets its own generator, seeded by the run's seed and the batch's
    number, so parallel calls stay reproducible.  The strong (studio, rooms)
    configs start on a quarter of each batch and reach all of it half-way through
    the run, as in ``Batches``; their foreground masks are made per batch.
    """

    def __init__(self, cfg: AugmentConfig, seed: int, total_batches: int, scenes=None):
        self.cfg, self.seed, self.total, self.scenes = cfg, seed, max(1, total_batches), scenes
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, xb: np.ndarray) -> np.ndarray:
        with self._lock:
            n = self._count
            self._count += 1
        rng = np.random.default_rng([self.seed, n])
        if self.cfg.background_prob <= 0:
            return augment_batch(xb, rng, self.cfg)
        share = min(1.0, 0.25 + 1.5 * n / self.total)
        strong = rng.random(len(xb)) < share
        out = xb.copy()
        if strong.any():
            out[strong] = augment_batch(xb[strong], rng, self.cfg, foreground_masks(xb[strong]), self.scenes)
        if (~strong).any():
            out[~strong] = augment_batch(xb[~strong], rng, BASIC)
        return out


class SkippedImages:
    """The images a pipeline could not decode, and why; :meth:`drain` logs the new ones.

    The pipeline's own threads only record (logging there would register TensorFlow's
    threads with Python); the training loop drains after each epoch.
    """

    def __init__(self):
        self.reasons: list[str] = []
        self._logged = 0
        self._lock = threading.Lock()

    def add(self, reason: str) -> None:
        with self._lock:
            if reason not in self.reasons:
                self.reasons.append(reason)

    def drain(self) -> list[str]:
        with self._lock:
            new, self._logged = self.reasons[self._logged:], len(self.reasons)
        for reason in new:
            log.warning("skipping %s", reason)
        return new


def _reader(images, skipped: SkippedImages):
    """``index -> (image, ok)`` for a lazy or in-memory image array; a failed decode gives ok False."""
    h, w = images.shape[1:3]
    blank = np.zeros((h, w, 3), np.uint8)

    def read(i):
        try:
            return images[int(i)], True
        except DataError as exc:
            skipped.add(str(exc))
            return blank, False

    return read


def split_dataset(split: Split, batch_size: int, *, shuffle_seed: int | None = None,
                  augmenter: BatchAugmenter | None = None, repeat: bool = False, drop_remainder: bool = False,
                  shard: tuple[int, int] | None = None, skipped: SkippedImages | None = None):
    """A ``tf.data.Dataset`` of scaled batches of ``split`` (see the module docstring).

    ``shuffle_seed`` None keeps the split's order; ``shard`` (count, index) keeps
    every count-th image from index on (one worker's part, before any decoding).
    Images that cannot be decoded are left out and recorded in ``skipped``.
    """
    import tensorflow as tf

    n = len(split)
    h, w = split.x.shape[1:3]
    ds = tf.data.Dataset.from_tensor_slices((np.arange(n, dtype=np.int64), np.asarray(split.y, np.int64)))
    if shard is not None:
        ds = ds.shard(*shard)
    if shuffle_seed is not None:
        ds = ds.shuffle(max(1, n), seed=shuffle_seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    read = _reader(split.x, skipped if skipped is not None else SkippedImages())

    def load(i, y):
        img, ok = tf.numpy_function(read, [i], (tf.uint8, tf.bool), stateful=False)
        img.set_shape((h, w, 3))
        return img, y, ok

    def readable(img, y, ok):
        return ok

    def without_flag(img, y, ok):
        return img, y

    def scaled(x, y):
        return tf.cast(x, tf.float32) / 255.0, y

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.filter(readable).map(without_flag)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if augmenter is not None:
        def augment(x, y):
            out = tf.numpy_function(augmenter, [x], tf.uint8, stateful=True)
            out.set_shape(x.shape)
            return out, y

        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    ds = ds.map(scaled, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def images_in_batches(images, batch_size: int = 64):
    """uint8 batches of ``images`` in order (lazy or in memory), for prediction over a split of any size."""
    for start in range(0, len(images), batch_size):
        yield np.asarray(images[start:start + batch_size])
