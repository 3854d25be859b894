"""A run's training step is traced once for every batch size (core.training.step).

The counting is test_prebuild's: every trace runs the model's Python ``train_step`` once.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.training.loss import labels_for
from core.training.prebuild import build_for_training
from core.training.step import step_for
from tests.core.training.test_prebuild import _compiled, _count_traces


def _batches(smoothing: float):
    """Two full batches of 6 and a short one of 4, as a run whose images do not divide evenly feeds them."""
    rng = np.random.default_rng(1)
    out = []
    for n in (6, 6, 4):
        out.append((rng.random((n, 16, 16, 3)).astype("float32"), labels_for(rng.integers(0, 3, n), 3, smoothing)))
    return out


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_step_traces_once_for_full_and_short_batches_and_trains_as_train_on_batch_does(smoothing):
    losses, traces = {}, {}
    for variant in ("train_on_batch", "step_for"):
        model = _compiled(smoothing)
        assert build_for_training(model, 3, smoothing)
        calls = _count_traces(model)
        train = step_for(model) if variant == "step_for" else \
            (lambda x, y, m=model: m.train_on_batch(x, y, return_dict=True))
        logs = [train(x, y) for x, y in _batches(smoothing) * 2]
        losses[variant] = [(d["loss"], d["accuracy"]) for d in logs]
        traces[variant] = calls[0]
    assert traces == {"train_on_batch": 2, "step_for": 1}  # Keras traces the short batch's shape again
    assert all(isinstance(v, float) for v in logs[0].values())
    np.testing.assert_allclose(losses["step_for"], losses["train_on_batch"], rtol=1e-5, atol=1e-6)


def test_each_model_keeps_its_own_step():
    a, b = _compiled(), _compiled()
    assert step_for(a) is step_for(a)
    assert step_for(a) is not step_for(b)


def test_a_trained_model_is_freed_once_nothing_else_holds_it():
    """The cache is keyed by the model; its traced step must not keep the model (94 MB for ResNet-50) alive."""
    import gc
    import weakref

    model = _compiled()
    assert build_for_training(model, 3)
    x, y = _batches(0.0)[0]
    step_for(model)(x, y)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None  # and so its cache entry is gone with it (the cache's keys are weak)
