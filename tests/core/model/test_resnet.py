"""The notebook's ResNet-50: structure against the reference table, graded block outputs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from core.errors import ModelConfigError
from core.model.resnet import (
    MIN_INPUT_SIDE,
    ResNet50,
    apply_notebook_init,
    convolutional_block,
    identity_block,
)
from core.model.summary import summarize

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "resnet50_signs_summary.tsv"
AUTO_NAMED = ("InputLayer", "ZeroPadding2D", "Activation", "Add", "MaxPooling2D", "Flatten")


@pytest.fixture(scope="module")
def reference_rows():
    if not REFERENCE.exists():
        pytest.skip(f"reference table not found at {REFERENCE}")
    with REFERENCE.open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def summary():
    return summarize(ResNet50(input_shape=(64, 64, 3), classes=6))


def test_summary_matches_reference_row_by_row(reference_rows, summary):
    ours = summary["layers"]
    assert len(ours) == len(reference_rows) == 177
    ref_to_ours = {r["layer"]: o["name"] for r, o in zip(reference_rows, ours, strict=True)}
    for i, (ref, row) in enumerate(zip(reference_rows, ours, strict=True)):
        where = f"row {i} ({ref['layer']})"
        assert row["type"] == ref["type"], where
        if ref["type"] not in AUTO_NAMED:  # named by the notebook's convention: compare by name
            assert row["name"] == ref["layer"], where
        assert row["output_shape"] == ref["output_shape"], where
        assert row["params"] == int(ref["params"]), where
        inbound = [ref_to_ours[n] for n in ref["inbound"].split()] if ref["inbound"] else []
        assert row["connected_to"] == inbound, where


def test_totals(summary):
    assert summary["total_params"] == 23_600_006
    assert summary["trainable_params"] == 23_546_886
    assert summary["non_trainable_params"] == 53_120


def test_layer_type_counts(summary):
    from collections import Counter

    counts = Counter(r["type"] for r in summary["layers"])
    assert counts["Conv2D"] == 53 and counts["BatchNormalization"] == 53
    assert counts["Activation"] == 49 and counts["Add"] == 16


def _graded_output(block, **kwargs):
    import keras

    np.random.seed(1)
    x = np.random.randn(3, 4, 4, 6).astype("float32")
    inp = keras.Input((4, 4, 6))
    out = block(inp, 2, [2, 4, 6], 1, "a", init="notebook", **kwargs)
    model = keras.Model(inp, out)
    apply_notebook_init(model)
    return np.asarray(model(x, training=False))[1][1][0]


def test_identity_block_reproduces_notebook():
    expected = [0.94822985, 0.0, 1.16101444, 2.747859, 0.0, 1.36677003]
    np.testing.assert_allclose(_graded_output(identity_block), expected, atol=1e-6)


def test_convolutional_block_reproduces_notebook():
    expected = [0.09018463, 1.23489773, 0.46822017, 0.0367176, 0.0, 0.65516603]
    np.testing.assert_allclose(_graded_output(convolutional_block), expected, atol=1e-6)


def _block_model(block, zero_gamma):
    import keras

    inp = keras.Input((4, 4, 6))
    return keras.Model(inp, block(inp, 2, [2, 4, 6], 1, "a", init="he", zero_gamma=zero_gamma))


def test_zero_gamma_identity_block_starts_as_its_shortcut():
    x = np.random.default_rng(0).normal(size=(3, 4, 4, 6)).astype("float32")
    # relu(0 + x): the main path contributes nothing until training moves its last gamma.
    np.testing.assert_array_equal(np.asarray(_block_model(identity_block, True)(x, training=False)), np.maximum(x, 0))
    # without zero_gamma the main path does contribute (the check above can fail)
    assert not np.allclose(np.asarray(_block_model(identity_block, False)(x, training=False)), np.maximum(x, 0))


def test_zero_gamma_convolutional_block_starts_as_its_projection_shortcut():
    import keras

    x = np.random.default_rng(1).normal(size=(3, 4, 4, 6)).astype("float32")
    model = _block_model(convolutional_block, True)
    shortcut = keras.Sequential([model.get_layer("res1a_branch1"), model.get_layer("bn1a_branch1")])
    expected = np.maximum(np.asarray(shortcut(x, training=False)), 0)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, atol=1e-6)
    assert np.all(model.get_layer("bn1a_branch1").gamma.numpy() == 1)  # the shortcut's BatchNorm is left alone


def test_zero_gamma_changes_no_layer_or_parameter():
    plain, zero = ResNet50(), ResNet50(zero_gamma=True)

    def layout(model):  # layer kinds and weight shapes (automatic names such as activation_12 differ)
        return [(type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]

    assert layout(plain) == layout(zero)
    assert zero.count_params() == plain.count_params() == 23_600_006
    zeroed = [layer.name for layer in zero.layers if layer.name.startswith("bn") and not np.any(layer.gamma.numpy())]
    assert len(zeroed) == 16 and all(name.endswith("_branch2c") for name in zeroed)
    with pytest.raises(ModelConfigError, match="zero_gamma cannot be combined"):
        ResNet50(init="notebook", zero_gamma=True)


def test_other_sizes_and_class_counts():
    model = ResNet50(input_shape=(100, 100, 3), classes=10)
    assert model.output_shape == (None, 10)
    assert model.get_layer("fc10").count_params() == 2048 * 10 + 10
    out = np.asarray(model(np.zeros((2, 100, 100, 3), np.float32), training=False))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "shape, classes, message",
    [
        ((16, 16, 3), 6, "too small"),
        ((MIN_INPUT_SIDE - 1, 64, 3), 6, "too small"),
        ((64, 64, 3), 1, "at least 2"),
        ((64, 64), 6, "height, width, channels"),
        ((64, 64, 0), 6, "channel"),
    ],
)
def test_builder_rejects_impossible_configs(shape, classes, message):
    with pytest.raises(ModelConfigError, match=message):
        ResNet50(input_shape=shape, classes=classes)


def test_smallest_allowed_input_builds():
    model = ResNet50(input_shape=(MIN_INPUT_SIDE, MIN_INPUT_SIDE, 3), classes=2)
    assert model.get_layer("avg_pool").output.shape[1] == 1


def test_notebook_init_is_deterministic_and_layer_names_predictable():
    a = ResNet50(init="notebook")
    b = ResNet50(init="notebook")
    for name in ("conv1", "res3b_branch2b", "fc6"):
        np.testing.assert_array_equal(a.get_layer(name).get_weights()[0], b.get_layer(name).get_weights()[0])
    assert a.get_layer("bn5c_branch2c") is not None
