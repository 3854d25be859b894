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
    """``handsign ARGS`` in a real process; ``env`` values of None remove that variable."""
    full_env = dict(os.environ, **(env or {}))
    full_env = {k: v for k, v in full_env.items() if v is not None}
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
    assert rep["n"] == 120 and set(rep) >= {"accuracy", "loss", "n", "per_class", "confusion_matrix", "no_hand"}
    assert np.array(rep["confusion_matrix"]).sum() + rep["no_hand"] == 120
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
    assert card["input_size"] == [64, 64]  # the default --size


@pytest.mark.parametrize(
    "args, message",
    [
        (("predict", "--model", "/nonexistent/m.keras", "x.jpg"), "no such model file"),
        (("summary", "--model", "/nonexistent/m.keras"), "no such model file"),
        (("plot", "--out", "/tmp/arch.gif"), "writes .png or .svg"),
        (("train", "--data", "/nonexistent/data", "--epochs", "1"), "no such dataset"),
    ],
)
def test_failures_are_one_line(args, message):
    line = one_line_error(run(*args))
    assert message in line


def tiny_tree(root, classes=("a", "b"), n=6, size=64):
    rng = np.random.default_rng(0)
    for cls in classes:
        for i in range(n):
            write_image(root / cls / f"{i}.png", rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
    return root


@pytest.mark.parametrize(
    "flag, message",
    [
        (("--epochs", "0"), "epochs must be at least 1, got 0"),
        (("--device", "tpu:0"), "unknown device 'tpu:0': use 'cpu' or 'gpu:N'"),
    ],
)
def test_bad_train_flags_are_one_line_errors_on_a_real_dataset(tmp_path, flag, message):
    """The dataset is fine, so the flag itself is what fails; nothing is written."""
    data = tiny_tree(tmp_path / "tree")
    out = tmp_path / "out" / "m.keras"
    line = one_line_error(run("train", "--data", str(data), *flag, "--out", str(out)))
    assert message in line
    assert not out.exists() and not out.with_suffix(".json").exists()


def _train(data, out, *flags):
    proc = run("train", "--data", str(data), "--epochs", "1", "--batch-size", "4", "--size", "40", "--out", str(out),
               *flags)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.with_suffix(".json").read_text())


def test_train_flags_reach_the_run_and_its_card(tmp_path):
    """--schedule, --warmup-epochs, --label-smoothing, --refresh-batchnorm, --augment/--no-augment, --augment-level, --size,
    --seed and --init-model
    each change what the card records (against the preset's own value), a repeated seed repeats the run, and
    --init-model starts from that model.
    The full ResNet-50 at 40 x 40 (the smallest side it takes is 37) on 8 training images."""
    from core.model.files import load_model, read_info

    data = tiny_tree(tmp_path / "tree")
    # The standard preset is cosine with augmentation: both flags turn that around.
    a = _train(data, tmp_path / "a" / "m.keras", "--schedule", "constant", "--no-augment", "--seed", "3")
    assert a["status"] == "completed" and a["settings"]["preset"] == "standard"
    assert a["settings"]["schedule"] == "constant" and a["settings"]["augment"] is False
    assert a["settings"]["seed"] == a["seed"] == 3
    assert a["input_size"] == [40, 40] and read_info(tmp_path / "a" / "m.keras").input_size == (40, 40)
    assert a["epochs"][0]["learning_rate"] == pytest.approx(a["settings"]["learning_rate"])
    assert "initial_model" not in a

    again = _train(data, tmp_path / "again" / "m.keras", "--schedule", "constant", "--no-augment", "--seed", "3")
    assert [e["loss"] for e in again["epochs"]] == [e["loss"] for e in a["epochs"]]
    assert again["test"] == a["test"]
    other = _train(data, tmp_path / "other" / "m.keras", "--schedule", "constant", "--no-augment", "--seed", "5")
    assert other["epochs"][0]["loss"] != a["epochs"][0]["loss"]  # the seed is used, not only recorded

    # The quick preset is without augmentation; a learning rate of 1e-9 keeps the weights where they started.
    b = _train(data, tmp_path / "b" / "m.keras", "--preset", "quick", "--schedule", "cosine", "--augment",
               "--augment-level", "camera", "--seed", "4", "--lr", "1e-9", "--warmup-epochs", "0.5",
               "--label-smoothing", "0.25", "--refresh-batchnorm",
               "--init-model", str(tmp_path / "a" / "m.keras"))
    assert b["settings"]["preset"] == "quick" and b["settings"]["augment"] is True
    assert a["settings"]["augment_level"] == "basic" and b["settings"]["augment_level"] == "camera"
    assert b["settings"]["schedule"] == "cosine" and b["seed"] == 4
    assert a["settings"]["warmup_epochs"] == 0 and b["settings"]["warmup_epochs"] == 0.5
    assert a["settings"]["label_smoothing"] == 0 and b["settings"]["label_smoothing"] == 0.25
    assert a["settings"]["refresh_batchnorm"] is False and "batchnorm_recounted_over" not in a
    assert b["settings"]["refresh_batchnorm"] is True and b["batchnorm_recounted_over"] > 0
    assert b["initial_model"] == str(tmp_path / "a" / "m.keras")
    start, _ = load_model(tmp_path / "a" / "m.keras")
    tuned, _ = load_model(tmp_path / "b" / "m.keras")
    kernel = next(i for i, w in enumerate(start.weights) if w.path.endswith("kernel"))
    np.testing.assert_allclose(np.asarray(tuned.weights[kernel]), np.asarray(start.weights[kernel]), atol=1e-6)


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


@pytest.mark.parametrize("split, n", [("test", 120), ("val", 216), ("train", 864), ("all", 1200)])
def test_evaluate_split_scores_that_split(tiny_model_file, signs_dir, split, n):
    # Which images are scored, not how: centre squares, without the hand finder's ~10 ms an image.
    args = ["evaluate", "--model", str(tiny_model_file), "--data", str(signs_dir), "--json", "--no-find-hand"]
    proc = run(*args, *([] if split == "test" else ["--split", split]))  # test is the default
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["split"] == split and rep["n"] == n and np.array(rep["confusion_matrix"]).sum() == n


def test_evaluate_without_data_uses_handsign_data(tiny_model_file, signs_dir):
    proc = run("evaluate", "--model", str(tiny_model_file), "--json", env={"HANDSIGN_DATA": str(signs_dir.parent)})
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["data"] == str(signs_dir.parent / "signs") and rep["n"] == 120


def test_evaluate_without_data_or_model_uses_the_user_folder_and_the_shipped_model(tmp_path, signs_dir):
    """No HANDSIGN_DATA: the dataset comes from <user folder>/datasets/signs (a link to the shared SIGNS here);
    no --model: the model the app ships."""
    from core.paths import shipped_model_path

    shipped_model = shipped_model_path()
    if not shipped_model.exists():
        pytest.skip(f"the shipped model {shipped_model} is not there yet (it is trained separately)")
    home = tmp_path / "home"
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "signs").symlink_to(signs_dir, target_is_directory=True)
    proc = run("evaluate", "--json", env={"HANDSIGN_DATA": None, "HANDSIGN_HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["data"] == str(home / "datasets" / "signs") and rep["n"] == 120
    assert rep["model"] == str(shipped_model)
    assert rep["accuracy"] > 0.9  # the shipped model, not an untrained one
