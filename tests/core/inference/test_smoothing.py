"""core.inference.smoothing and core.inference.rates: hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from core.inference.prediction import Prediction
from core.inference.rates import RateMeter
from core.inference.smoothing import Decision, Smoother, decide


def test_decide_marks_unsure_below_the_threshold():
    p = Prediction(np.array([0.125, 0.625, 0.25], np.float32), ["a", "b", "c"], 0.012)
    sure = decide(p, 0.6)
    assert isinstance(sure, Decision) and isinstance(sure, Prediction)
    assert (sure.top_class, sure.top_index, sure.unsure, sure.seconds) == ("b", 1, False, 0.012)
    assert sure.confidence == 0.625
    unsure = decide(sure, 0.7)  # a decision can be decided again with another threshold
    assert unsure.unsure and unsure.top_class == "b"
    assert not decide(p, 0.625).unsure  # at the threshold (exact in float32): sure


def test_smoother_is_the_mean_of_the_last_n():
    s = Smoother(2)
    np.testing.assert_allclose(s.add([1.0, 0.0]), [1.0, 0.0])
    np.testing.assert_allclose(s.add([0.0, 1.0]), [0.5, 0.5])
    np.testing.assert_allclose(s.add([0.0, 1.0]), [0.0, 1.0])  # the first one has left the window
    s.set_window(3)
    np.testing.assert_allclose(s.add([1.0, 0.0]), [1 / 3, 2 / 3])
    s.set_window(1)
    np.testing.assert_allclose(s.add([0.2, 0.8]), [0.2, 0.8])
    s.reset()
    np.testing.assert_allclose(Smoother(0).add([0.3, 0.7]), [0.3, 0.7])  # 0 means no smoothing


def test_rate_meter_over_a_sliding_window():
    m = RateMeter(window=2.0)
    assert m.rate() == 0.0
    for i in range(11):
        m.tick(now=100.0 + i * 0.1)  # 10 per second
    assert m.rate() == pytest.approx(10.0)
    m.tick(now=105.0)  # everything before 103.0 drops out
    assert m.rate() == 0.0
    m.reset()
    m.tick(now=1.0)
    m.tick(now=1.0)
    assert m.rate() == 0.0  # no time passed: no rate rather than a division by zero
