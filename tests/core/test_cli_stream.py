"""``handsign train --stream`` and ``--distribute``, run as real subprocesses: the flags reach the run and its
card, the model loads, and bad data or a bad TF_CONFIG is still a one-line error."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from tests.conftest import write_image
from tests.core.test_cli import one_line_error, run


def _tree(root, n=6):
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        for i in range(n):
            write_image(root / cls / f"{i}.png", rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))
    return root


def test_stream_and_distribute_train_a_model_that_loads(tmp_path):
    from core.model.files import load_model

    data = _tree(tmp_path / "tree")
    (data / "b" / "broken.png").write_bytes(b"\x89PNG but not really")
    out = tmp_path / "m.keras"
    proc = run("train", "--data", str(data), "--epochs", "1", "--batch-size", "4", "--size", "40", "--stream",
               "--distribute", "--no-augment", "--out", str(out), env={"TF_CONFIG": None})
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["streamed"] is True and card["settings"]["stream"] == "on"
    assert card["distribute"] == "MirroredStrategy: 1 replicas" and card["settings"]["distribute"] is True
    assert card["status"] == "completed" and card["class_names"] == ["a", "b"]
    assert "broken.png" in proc.stdout + proc.stderr  # skipped, named
    model, info = load_model(out)
    assert info.class_names == ["a", "b"] and tuple(info.input_size) == (40, 40)


def test_no_stream_keeps_the_in_memory_loop(tmp_path):
    data = _tree(tmp_path / "tree", n=4)
    out = tmp_path / "m.keras"
    proc = run("train", "--data", str(data), "--epochs", "1", "--batch-size", "4", "--size", "40", "--no-stream",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert "streamed" not in card and card["settings"]["stream"] == "off"


def _bad_h5(path):
    with h5py.File(path, "w") as f:
        f["train_set_x"] = np.zeros((4, 8, 8, 3), np.uint8)
        f["labels"] = np.zeros(4, np.int64)
    return path


@pytest.mark.parametrize("case, message", [
    ("empty", "class folder 'c' is empty"),
    ("h5", "expected datasets 'train_set_x' and 'train_set_y'"),
    ("tf_config", "TF_CONFIG is not a cluster description"),
])
def test_bad_input_is_a_one_line_error_when_streaming(tmp_path, case, message):
    data = _tree(tmp_path / "tree", n=2)
    env = {"TF_CONFIG": None}
    if case == "empty":
        (data / "c").mkdir()
    elif case == "h5":
        data = _bad_h5(tmp_path / "train_signs.h5")
    else:
        env = {"TF_CONFIG": "{not json"}
    out = tmp_path / "m.keras"
    line = one_line_error(run("train", "--data", str(data), "--epochs", "1", "--size", "40", "--stream",
                              "--distribute", "--out", str(out), env=env))
    assert message in line
    assert not out.exists()
