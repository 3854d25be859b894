"""The labels contract and the float32 copy an export needs, against hand-written expectations."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ModelFileError
from core.export.formats import FORMATS, ExportDependencyError, check_dependencies, float32_model, get_format
from core.export.labels import input_scale_offset, labels_contract
from core.model.files import ModelInfo
from tests.conftest import tiny_builder


def test_labels_contract_for_the_notebook_preprocessing():
    info = ModelInfo(["a", "b", "c"], (48, 40))
    assert labels_contract(info) == {"class_names": ["a", "b", "c"], "input": {
        "size": [48, 40], "channel_order": "RGB", "scale": 1 / 255, "offset": 0.0}}
    scale, offset = input_scale_offset(info.preprocessing)
    assert np.uint8(255) * scale + offset == pytest.approx(1.0)


def test_unknown_preprocessing_is_refused():
    with pytest.raises(ModelFileError, match="cannot export a model with preprocessing 'bgr_minus_mean'"):
        input_scale_offset("bgr_minus_mean")


def test_unknown_format_names_the_known_ones():
    with pytest.raises(Exception, match="unknown export format 'pt'; choose one of onnx, tflite, tflite-int8, saved_model"):
        get_format("pt")


def test_missing_module_is_one_line_with_the_install_hint(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ExportDependencyError) as err:
        check_dependencies(FORMATS["onnx"])
    assert str(err.value) == ("ONNX export needs onnxruntime, which is not installed; "
                              "install the export extras: pip install .[export]")
    check_dependencies(FORMATS["tflite"])  # TensorFlow's converter: nothing extra


def test_float32_model_keeps_a_float32_model_and_converts_a_mixed_one():
    import keras

    plain = tiny_builder((32, 32, 3), 4)
    assert float32_model(plain) is plain
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        mixed = tiny_builder((32, 32, 3), 4)
    finally:
        keras.config.set_dtype_policy("float32")
    assert mixed.layers[1].dtype_policy.name == "mixed_bfloat16"
    copy = float32_model(mixed)
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    x = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    for a, b in zip(copy.get_weights(), mixed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.asarray(copy(x, training=False)), np.asarray(mixed(x, training=False), dtype=np.float32),
                               atol=0.05)
    assert np.asarray(copy(x, training=False)).dtype == np.float32
