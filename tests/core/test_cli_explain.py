"""``handsign explain``, run as a real subprocess: its JSON contract, its PNGs, and each bad input as one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import write_image
from tests.core.test_cli import one_line_error, run

FIELDS = {"file", "class", "class_name", "layer", "heatmap", "deletion_drop", "random_drop"}


@pytest.fixture
def two_signs(signs_dir):
    files = sorted((signs_dir / "test_signs").glob("*.jpg"))
    return [next(f for f in files if f.name.startswith("2_")), next(f for f in files if f.name.startswith("5_"))]


def test_json_contract_pngs_and_a_no_hand_row(tmp_path, two_signs):
    from PIL import Image

    blank = write_image(tmp_path / "wall.png", np.full((120, 160, 3), 200, np.uint8))
    out = tmp_path / "maps"
    proc = run("explain", *map(str, two_signs), str(blank), "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["file"] for r in rows] == [str(p) for p in two_signs] + [str(blank)]
    for row, want in zip(rows[:2], (2, 5), strict=True):
        assert set(row) >= FIELDS
        assert row["class"] == want and row["class_name"] == str(want)  # the shipped model gets these right
        assert row["layer"] == "stage 4 (res4f, 4x4)"
        heat = np.array(row["heatmap"])
        assert heat.shape == (4, 4) and np.isfinite(heat).all() and heat.min() >= 0 and heat.max() <= 1
        assert -1 <= row["random_drop"] <= 1 and -1 <= row["deletion_drop"] <= 1
        png = Image.open(row["png"])
        assert png.size == (256 * 2 + 8, 256)
    assert (out / f"{two_signs[0].stem}_heatmap.png").is_file()
    assert rows[2]["class"] is None and rows[2]["heatmap"] is None  # no hand: said in its row, the batch goes on


def test_class_and_layer_choice(tmp_path, two_signs):
    proc = run("explain", str(two_signs[0]), "--out", str(tmp_path), "--json", "--class", "4", "--layer", "stage3",
               "--no-find-hand")
    assert proc.returncode == 0, proc.stderr
    (row,) = json.loads(proc.stdout)
    assert row["class"] == 4 and row["layer"] == "stage 3 (res3d, 8x8)"
    assert np.array(row["heatmap"]).shape == (8, 8)


def test_not_an_image_is_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    line = one_line_error(run("explain", str(bad), "--out", str(tmp_path / "o")))
    assert "notes.png" in line


@pytest.mark.parametrize("wanted", ["9", "seven"])
def test_a_class_that_does_not_exist(tmp_path, two_signs, wanted):
    line = one_line_error(run("explain", str(two_signs[0]), "--out", str(tmp_path), "--class", wanted))
    assert f"class '{wanted}' does not exist" in line and "0, 1, 2, 3, 4, 5" in line


def test_a_model_without_that_layer(tmp_path, two_signs):
    line = one_line_error(run("explain", str(two_signs[0]), "--out", str(tmp_path), "--layer", "res6a"))
    assert "no layer 'res6a'" in line and "stage4" in line and "res4f" in line


def test_an_out_dir_that_cannot_be_written(tmp_path, two_signs):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = one_line_error(run("explain", str(two_signs[0]), "--out", str(blocker / "maps")))
    assert "cannot write to" in line
