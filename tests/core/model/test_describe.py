"""core.model.describe: the plain-data report the Model tab shows, from real Keras models."""

from __future__ import annotations

from pathlib import Path

from core.model.describe import ModelReport, describe_model
from core.model.files import ModelInfo
from tests.conftest import tiny_builder


def test_a_small_model_is_described_one_box_per_layer():
    model = tiny_builder((32, 32, 3), 4)
    info = ModelInfo(["a", "b", "c", "d"], (32, 32), architecture="", run_card={"seed": 3})
    report = describe_model(model, Path("/models/tiny.keras"), info)
    assert isinstance(report, ModelReport) and report.title == "tiny.keras"
    assert report.class_names == ["a", "b", "c", "d"] and report.input_size == (32, 32)
    assert report.architecture == model.name and report.run_card == {"seed": 3} and report.trained
    names = [layer["name"] for layer in report.summary["layers"]]
    assert [b.key for b in report.blocks] == names and all(b.kind == "layer" for b in report.blocks)
    assert report.summary["total_params"] == model.count_params()


def test_the_notebook_resnet_is_described_by_blocks():
    from core.model.resnet import ResNet50

    model = ResNet50()
    report = describe_model(model, None, ModelInfo([str(i) for i in range(6)], (64, 64)), trained=False)
    assert report.title.startswith("ResNet-50 (untrained") and not report.trained
    keys = [b.key for b in report.blocks]
    assert keys[0] == "stem" and keys[-1] == "head" and "3a" in keys
    assert sum(len(b.layers) for b in report.blocks) == len(report.summary["layers"])
