"""The shipped ResNet-50 exported in every format through ``handsign export`` (no --model): the parity targets
on all 120 SIGNS test images (docs/export.md)."""

from __future__ import annotations

import json

import pytest

from core.cli import main


@pytest.mark.slow
def test_shipped_model_exports_meet_the_parity_targets(signs_dir, tmp_path, capsys):
    parity = {}
    for fmt in ("onnx", "tflite", "tflite-int8", "saved_model"):
        assert main(["export", "--format", fmt, "--out", str(tmp_path / fmt), "--data", str(signs_dir)]) == 0, fmt
        parity[fmt] = json.loads((tmp_path / fmt / "parity.json").read_text())
    print(capsys.readouterr().out)
    for fmt in ("onnx", "tflite", "saved_model"):
        p = parity[fmt]
        assert (p["n"], p["agree"]) == (120, 120), (fmt, p)
        assert p["max_abs_diff_probability"] <= 1e-4, (fmt, p)
        assert p["export_accuracy"] == p["keras_accuracy"] == 1.0, (fmt, p)
    int8 = parity["tflite-int8"]
    assert int8["n"] == 120
    assert round(int8["export_accuracy"] * 120) >= round(int8["keras_accuracy"] * 120) - 1, int8
    float_size = (tmp_path / "tflite" / "model.tflite").stat().st_size
    int8_size = (tmp_path / "tflite-int8" / "model.tflite").stat().st_size
    assert int8_size <= 0.30 * float_size, (int8_size, float_size)
    print({fmt: p for fmt, p in parity.items()}, "sizes", float_size, int8_size)
