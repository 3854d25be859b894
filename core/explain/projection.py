"""The feature projection: a network's pooled features of fixed images, drawn as 2-D points that move smoothly.

After every epoch the training run takes the pooled features (the input of the
classifier's Dense layer: 2,048 numbers an image for the notebook's ResNet-50)
of a fixed set of validation images and projects them to 2-D with PCA.  Each
epoch's PCA has its own axes (and signs), so on their own the points would
jump, flip and spin between epochs.  :class:`ProjectionTracker` turns the
sequence into one that moves smoothly: every projection is centred, scaled to
a root-mean-square radius of 1, and rotated or reflected (orthogonal
Procrustes) onto the previous one.  Rotations and reflections keep every
distance, so the picture stays what PCA found; only its orientation is chosen.

Plain numpy, no Keras and no Qt: ``core.training.projection_probe`` feeds it
from the training run, the GUI draws what it returns.
"""

from __future__ import annotations

import numpy as np


def pca_2d(features: np.ndarray) -> np.ndarray:
    """``(N, D)`` features -> ``(N, 2)`` coordinates on their two main principal axes (centred).

    Fewer than two images or directions give zeros in the missing columns.
    """
    x = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    out = np.zeros((len(x), 2))
    if len(x) < 2:
        return out
    x = x - x.mean(axis=0)
    k = min(2, *x.shape)
    if len(x) <= x.shape[1]:
        # N images, D features, N <= D (a few hundred against 2,048): the principal-component scores are
        # the top eigenvectors of the N x N Gram matrix scaled by the square roots of their eigenvalues.
        # A symmetric N x N eigenproblem costs a fraction of an SVD of the N x D data (bench/projection.py,
        # 2-core machine: 7x to 30x less for N = 60 to 300).
        values, vectors = np.linalg.eigh(x @ x.T)
        top = np.argsort(values)[::-1][:k]
        out[:, :k] = vectors[:, top] * np.sqrt(np.maximum(values[top], 0.0))
    else:
        values, vectors = np.linalg.eigh(x.T @ x)
        top = np.argsort(values)[::-1][:k]
        out[:, :k] = x @ vectors[:, top]
    return out


def normalise(points: np.ndarray) -> np.ndarray:
    """Centred, scaled to a root-mean-square distance of 1 from the centre (all-equal points stay at 0)."""
    p = np.asarray(points, dtype=np.float64)
    p = p - p.mean(axis=0)
    rms = float(np.sqrt((p**2).sum(axis=1).mean())) if len(p) else 0.0
    return p / rms if rms > 1e-12 else p


def procrustes_rotation(points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x2 orthogonal matrix ``R`` (a rotation or a reflection) that brings ``points @ R`` closest to ``target``.

    Both are centred ``(N, 2)`` arrays of the same images in the same order.
    """
    u, _, vt = np.linalg.svd(np.asarray(points).T @ np.asarray(target))
    return u @ vt


def align(points: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """``points`` normalised, then rotated or reflected onto ``previous`` (already normalised); as is without one."""
    p = normalise(points)
    if previous is None or len(previous) != len(p) or len(p) < 2:
        return p
    return p @ procrustes_rotation(p, previous)


class ProjectionTracker:
    """Projects each epoch's features to 2-D, aligned to the epoch before, so the points move smoothly."""

    def __init__(self):
        self.previous: np.ndarray | None = None

    def update(self, features: np.ndarray) -> np.ndarray:
        """``(N, D)`` features of the same N images as last time -> aligned ``(N, 2)`` float32 points."""
        points = align(pca_2d(features), self.previous)
        self.previous = points
        return points.astype(np.float32)
