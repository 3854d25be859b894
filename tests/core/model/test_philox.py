"""The NumPy Philox stream must equal TF's stateful RandomUniform first draw."""

import numpy as np
import pytest

from core.model.philox import TF_DEFAULT_GRAPH_SEED, tf1_glorot_uniform, tf1_random_uniform


@pytest.mark.parametrize("shape", [(1,), (2, 3), (1, 1, 6, 2), (2, 2, 2, 4), (7, 7, 3, 64)])
def test_matches_tensorflow_first_draw(shape):
    tf = pytest.importorskip("tensorflow")
    with tf.Graph().as_default():
        op = tf.raw_ops.RandomUniform(shape=list(shape), dtype=tf.float32, seed=TF_DEFAULT_GRAPH_SEED, seed2=0)
        with tf.compat.v1.Session() as sess:
            expected = sess.run(op)
    np.testing.assert_array_equal(tf1_random_uniform(shape), expected)


def test_glorot_limits():
    k = tf1_glorot_uniform((3, 3, 64, 64))
    limit = np.sqrt(6 / (9 * 64 + 9 * 64))
    assert k.dtype == np.float32 and k.shape == (3, 3, 64, 64)
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.95 * limit
