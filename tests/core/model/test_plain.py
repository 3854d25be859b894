"""The plain twin: the residual model's layers less the shortcuts, and the pair's shared start."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.errors import ModelConfigError
from core.model.plain import build_pair, plain_twin
from core.model.resnet import ResNet50

AUTO_NAMED = ("InputLayer", "ZeroPadding2D", "Activation", "Add", "MaxPooling2D", "Flatten")

SHORTCUT_NAME = re.compile(r"^(res|bn)\d+a_branch1$")


def is_shortcut_layer(layer) -> bool:
    """The layers only the residual net has: each Add, and each shortcut conv ``res*a_branch1`` and its
    BatchNorm ``bn*a_branch1``."""
    return type(layer).__name__ == "Add" or bool(SHORTCUT_NAME.match(layer.name))


def _layer_list(model, drop_shortcuts=False):
    """(name, type) per layer; auto-generated names (global counters) stand as their type."""
    out = []
    for layer in model.layers:
        if drop_shortcuts and is_shortcut_layer(layer):
            continue
        kind = type(layer).__name__
        out.append((kind if kind in AUTO_NAMED else layer.name, kind))
    return out


@pytest.mark.parametrize("depth, batchnorm", [(None, True), (1, False)])
def test_plain_twin_is_the_residual_model_less_the_shortcuts(depth, batchnorm):
    residual = ResNet50(depth=depth, batchnorm=batchnorm)
    plain = plain_twin(depth=depth, batchnorm=batchnorm)
    assert _layer_list(plain) == _layer_list(residual, drop_shortcuts=True)
    dropped = [layer.name for layer in residual.layers if is_shortcut_layer(layer)]
    kinds = [type(layer).__name__ for layer in residual.layers if is_shortcut_layer(layer)]
    blocks = 16 if depth is None else 8
    assert kinds.count("Add") == blocks
    assert [n for n in dropped if n.startswith("res")] == ["res2a_branch1", "res3a_branch1", "res4a_branch1",
                                                           "res5a_branch1"]
    assert len([n for n in dropped if n.startswith("bn")]) == (4 if batchnorm else 0)
    assert not any(is_shortcut_layer(layer) for layer in plain.layers)


def test_notebook_model_unchanged_by_the_options():
    default, explicit = ResNet50(), ResNet50(depth=None, shortcuts=True, batchnorm=True)
    assert _layer_list(default) == _layer_list(explicit)
    assert default.count_params() == explicit.count_params() == 23_600_006


def test_options_depth_and_no_batchnorm():
    model = ResNet50(depth=0, batchnorm=False)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "BatchNormalization" not in kinds
    assert [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"][:5] == [
        "conv1", "res2a_branch2a", "res2a_branch2b", "res2a_branch2c", "res2a_branch1"]
    assert kinds.count("Conv2D") == 1 + 4 * 4  # the stem, then 4 convolutional blocks of 3 + 1 shortcut
    with pytest.raises(ModelConfigError, match="depth"):
        ResNet50(depth=6)
    with pytest.raises(ModelConfigError, match="depth"):
        ResNet50(depth=-1)


def test_pair_starts_from_the_same_weights():
    residual, plain = build_pair(depth=0, batchnorm=True, seed=3)
    for layer in (layer for layer in plain.layers if layer.weights):
        for a, b in zip(layer.get_weights(), residual.get_layer(layer.name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    again, _ = build_pair(depth=0, batchnorm=True, seed=3)
    np.testing.assert_array_equal(again.get_layer("conv1").get_weights()[0], residual.get_layer("conv1").get_weights()[0])


def test_without_batchnorm_the_scaled_branches_keep_the_residual_net_out_of_saturation():
    """He init alone blows the summed activations up until the softmax saturates (issue #15); the scale must not."""
    x = np.random.default_rng(0).random((8, 64, 64, 3), dtype=np.float32)
    residual, _ = build_pair(batchnorm=False, seed=0)
    probs = np.asarray(residual(x, training=False))
    assert np.isfinite(probs).all()
    assert probs.max() < 0.99, probs.max()
