"""The residual-vs-plain runner on real SIGNS images and real (small) ResNets; gradient norms; the verdict."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HandSignError
from core.explain.compare import CompareRun, CompareSettings, NetHistory, balanced_pick, load_compare_data
from core.explain.gradients import conv_names, gradient_norms
from core.explain.verdict import verdict
from tests.conftest import tiny_builder


class _Recorder:
    """Listener that keeps every report and stops the run at the first batch of ``stop_at`` epoch."""

    def __init__(self, stop_at: int | None = None):
        self.run, self.stop_at = None, stop_at
        self.starts, self.batches, self.epochs, self.logs = [], [], [], []

    def on_start(self, s):
        self.starts.append(s)

    def on_batch(self, b):
        self.batches.append(b)
        if self.stop_at is not None and b.epoch == self.stop_at:
            self.run.stop()

    def on_epoch(self, e):
        self.epochs.append(e)

    def on_log(self, m):
        self.logs.append(m)


@pytest.fixture(scope="module")
def stopped_run(signs_dir):
    """Three epochs asked for, stopped during the first batch of epoch 3: two whole epochs and one batch."""
    settings = CompareSettings(epochs=3, depth=0, train_images=36, batch_size=12, seed=1, probe_size=12)
    rec = _Recorder(stop_at=3)
    run = CompareRun(load_compare_data(signs_dir, settings), settings, rec)
    rec.run = run
    return run.run(), rec


def test_runner_reports_both_nets_per_epoch(stopped_run):
    result, rec = stopped_run
    start = rec.starts[0]
    assert start.train == 36 and start.steps_per_epoch == 3
    assert result.layers == start.layers and len(result.layers) == 13 and result.layers[0] == "conv1"
    assert not any("branch1" in name for name in result.layers)
    for h in (result.residual, result.plain):
        assert len(h.loss) == len(h.accuracy) == len(h.val_accuracy) == 2
        assert len(h.grad_norms) == 3 and all(len(row) == 13 for row in h.grad_norms)
        assert all(np.isfinite(v) and v >= 0 for row in h.grad_norms for v in row)
        assert all(0.0 <= a <= 1.0 for a in h.accuracy + h.val_accuracy)
    assert [e.epoch for e in rec.epochs] == [0, 1, 2]
    assert rec.epochs[0].nets["plain"].loss is None
    # the two nets differ (one has shortcuts), so their losses do too
    assert result.residual.loss != result.plain.loss


def test_stop_ends_the_run_within_one_batch(stopped_run):
    result, rec = stopped_run
    assert result.stopped
    assert [(b.epoch, b.batch) for b in rec.batches if b.epoch == 3] == [(3, 1)]


def test_json_contract(stopped_run):
    data = stopped_run[0].to_json()
    assert set(data) >= {"layers", "residual", "plain", "settings", "seconds"}
    assert set(data["residual"]) >= {"loss", "accuracy", "val_accuracy", "grad_norms"}
    assert data["settings"]["depth"] == 0 and data["settings"]["batchnorm"] is True


def test_gradient_norms_leave_the_model_unchanged():
    model = tiny_builder((32, 32, 3), 6)
    rng = np.random.default_rng(0)
    x, y = rng.random((12, 32, 32, 3), dtype=np.float32), np.arange(12) % 6
    before = [w.copy() for w in model.get_weights()]
    norms = gradient_norms(model, x, y)
    assert len(norms) == len(conv_names(model)) == 3 and (norms > 0).all()
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # weights and BatchNorm moving statistics
    np.testing.assert_allclose(gradient_norms(model, x, y), norms, rtol=1e-5)


def test_balanced_pick_is_seeded_and_balanced():
    y = np.repeat(np.arange(6), 20)
    a, b = balanced_pick(y, 30, seed=2), balanced_pick(y, 30, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.bincount(y[a]).tolist() == [5] * 6
    assert len(balanced_pick(y, 0, seed=2)) == 120


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"depth": 6}, "depth must be from 0 to 5"),
    ({"depth": -1}, "depth must be from 0 to 5"),
    ({"batch_size": 0}, "batch size"),
])
def test_bad_settings_are_one_line_errors(kwargs, message):
    with pytest.raises(HandSignError, match=message) as err:
        CompareSettings(**kwargs).check()
    assert "\n" not in str(err.value)


def _history(acc, loss, first, last):
    return NetHistory(loss=[loss], accuracy=[acc], grad_norms=[[first, 1.0, last]])


def test_verdict_says_what_the_numbers_show():
    residual = _history(0.85, 0.4, 50.0, 0.5)
    text = verdict(residual, _history(0.22, 1.8, 900.0, 0.7), batchnorm=True)
    assert "residual net learns" in text and "not vanishing" in text
    text = verdict(residual, _history(0.20, 1.8, 0.001, 1.1), batchnorm=False)
    assert "vanishing gradients" in text and "not vanishing" not in text
    assert "about equally" in verdict(residual, _history(0.8, 0.5, 5.0, 1.0))
    assert verdict(NetHistory(), NetHistory()).startswith("Waiting")


def test_each_net_traces_its_training_step_once_for_full_and_short_batches():
    """A trace of a 50-layer net costs seconds on 2 cores, twice per net: Keras alone traces 3 times here."""
    import keras

    from core.explain.compare import _Net
    from tests.core.training.test_prebuild import _count_traces

    keras.utils.set_random_seed(0)
    net = _Net(tiny_builder((16, 16, 3), 3), 1e-2)
    calls = _count_traces(net.model)
    rng = np.random.default_rng(0)
    x, y = rng.random((6, 16, 16, 3)).astype("float32"), rng.integers(0, 3, 6)
    results = [net.train_batch(x[:n], y[:n]) for n in (6, 6, 4)]
    assert calls[0] == 1
    assert all(np.isfinite(loss) and 0.0 <= acc <= 1.0 for loss, acc in results)
