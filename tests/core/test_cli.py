"""The ``handsign`` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, write_image


def run(*args, env=None, timeout=600):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def one_line_error(proc):
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("handsign: error: ")
    return lines[0]


def test_summary_json_contract():
    proc = run("summary", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["total_params"] == 23_600_006
    assert data["trainable_params"] == 23_546_886 and data["non_trainable_params"] == 53_120
    assert len(data["layers"]) == 177
    first = data["layers"][2]
    assert set(first) >= {"name", "type", "output_shape", "params", "connected_to"}
    assert first["name"] == "conv1" and first["params"] == 9472 and first["output_shape"] == "(None, 32, 32, 64)"


def test_summary_table_text():
    proc = run("summary")
    assert proc.returncode == 0
    assert "Total params: 23,600,006" in proc.stdout and "res5c_branch2c" in proc.stdout


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_without_graphviz(tmp_path, suffix):
    out = tmp_path / f"arch{suffix}"
    proc = run("plot", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"Stage 5" in data


def test_predict_and_evaluate_json(tmp_path, tiny_model_file, signs_dir):
    images = sorted((signs_dir / "test_signs").glob("*.jpg"))[:3]
    proc = run("predict", "--model", str(tiny_model_file), *map(str, images), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["file"] for r in rows] == list(map(str, images))
    for r in rows:
        assert set(r) >= {"file", "top_class", "confidence", "probabilities"}
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-3

    png = tmp_path / "errors.png"
    proc = run("evaluate", "--model", str(tiny_model_file), "--data", str(signs_dir), "--json", "--errors-png", str(png))
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["n"] == 120 and set(rep) >= {"accuracy", "loss", "n", "per_class", "confusion_matrix"}
    assert np.array(rep["confusion_matrix"]).sum() == 120
    assert png.read_bytes().startswith(b"\x89PNG")


def test_evaluate_class_folders_ignores_unknown_classes(tmp_path, tiny_model_file):
    rng = np.random.default_rng(0)
    for cls in ("0", "3", "extra"):
        for i in range(2):
            write_image(tmp_path / "tree" / cls / f"{i}.png", rng.integers(0, 255, (80, 80, 3), dtype=np.uint8))
    proc = run("evaluate", "--model", str(tiny_model_file), "--data", str(tmp_path / "tree"))
    assert proc.returncode == 0, proc.stderr
    assert "ignored folders (not classes of the model): extra" in proc.stdout
    assert "n 4" in proc.stdout


def test_train_cli_writes_model_and_run_card(tmp_path, signs_dir):
    # A tiny real run of the full ResNet-50 on the SIGNS test split as a stand-in training set.
    out = tmp_path / "cli.keras"
    proc = run("train", "--data", str(signs_dir / "test_signs.h5"), "--epochs", "1", "--batch-size", "40",
               "--val-split", "0.25", "--out", str(out))
    # test_signs.h5 has no train split: that must be a clear error, not a crash.
    line = one_line_error(proc)
    assert "no training images" in line
    sub = tmp_path / "sub"
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        for i in range(12):
            write_image(sub / cls / f"{i}.png", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    proc = run("train", "--data", str(sub), "--epochs", "1", "--batch-size", "8", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1/1" in proc.stdout and "saved" in proc.stdout
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["class_names"] == ["a", "b"] and card["status"] == "completed"


@pytest.mark.parametrize(
    "args, message",
    [
        (("predict", "--model", "/nonexistent/m.keras", "x.jpg"), "no such model file"),
        (("summary", "--model", "/nonexistent/m.keras"), "no such model file"),
        (("plot", "--out", "/tmp/arch.gif"), "writes .png or .svg"),
        (("train", "--data", "/nonexistent/data", "--epochs", "1"), "no such dataset"),
        (("train", "--epochs", "0", "--data", "/nonexistent"), "no such dataset"),
        (("train", "--device", "tpu:0", "--data", "/nonexistent"), "no such dataset"),
    ],
)
def test_failures_are_one_line(args, message):
    line = one_line_error(run(*args))
    assert message in line


def test_usage_error_is_one_line():
    proc = run("predict")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_predict_bad_image_is_reported_and_nonzero(tmp_path, tiny_model_file):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    good = write_image(tmp_path / "good.png", np.zeros((70, 90, 3), np.uint8))
    proc = run("predict", "--model", str(tiny_model_file), str(good), str(bad), "--json")
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert rows[0]["file"] == str(good) and "top_class" in rows[0]
    assert "bad.jpg" in rows[1]["error"]
    assert "bad.jpg" in proc.stderr


def test_unsafe_model_is_refused(tmp_path):
    import keras

    inp = keras.Input((64, 64, 3))
    x = keras.layers.Lambda(lambda t: t + 1.0)(inp)
    out = keras.layers.Dense(6, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    path = tmp_path / "evil.keras"
    keras.Model(inp, out).save(path)
    line = one_line_error(run("summary", "--model", str(path)))
    assert "refused" in line
