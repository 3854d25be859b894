"""``handsign predict`` and ``evaluate`` find the hand first: real processes, real models, real photos on disk.

A black frame and an empty (synthetic, cluttered) room are "no hand"; a Sign
Language Digits photo is a hand; a small hand in a 640x480 frame is found at
the frame's own size; ``--no-find-hand`` gives the output from before hand finding.
"""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from tests.conftest import write_image
from tests.core.test_cli import run
from tests.hand_frames import room as _room

NULL_PREDICTION = {"hand": False, "region": None, "presence": None, "top_class": None, "confidence": None,
                   "probabilities": None}
OLD_KEYS = {"file", "top_class", "confidence", "probabilities"}


def _shipped_model():
    from core.paths import shipped_model_path

    path = shipped_model_path()
    if not path.exists():
        pytest.skip(f"the shipped model {path} is not in this checkout")
    return path


def _sld_photos(sld_dir, cls: str, n: int, start: int = 0):
    photos = sorted((sld_dir / cls).glob("*.JPG"))[start:start + n]
    assert len(photos) == n
    return photos


def _frame_with_hand(photo, side: int = 160, seed: int = 10) -> np.ndarray:
    """A 640x480 room with the photo (hand and its own wall) ``side`` pixels high at the bottom left,
    mostly outside the frame's centre square."""
    from core.images import read_image

    frame = _room(seed=seed)
    frame[470 - side:470, 0:side] = cv2.resize(read_image(photo), (side, side), interpolation=cv2.INTER_AREA)
    return frame


def _json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_predict_says_no_hand_for_a_black_frame_and_an_empty_room_and_finds_the_hand_in_a_photo(
        tmp_path, tiny_model_file, sld_dir):
    black = write_image(tmp_path / "black.png", np.zeros((480, 640, 3), np.uint8))
    room = write_image(tmp_path / "room.jpg", _room(seed=5), quality=92)
    photo = _sld_photos(sld_dir, "2", 1)[0]
    rows = _json(run("predict", "--model", str(tiny_model_file), str(black), str(room), str(photo), "--json"))
    assert rows[0] == {"file": str(black), **NULL_PREDICTION}
    assert rows[1] == {"file": str(room), **NULL_PREDICTION}
    hand = rows[2]
    assert hand["file"] == str(photo) and hand["hand"] is True and hand["presence"] > 0.5
    x, y, w, h = hand["region"]
    assert w == h >= 50 and x >= 0 and y >= 0 and x + w <= 100 and y + h <= 100  # a square inside the 100x100 photo
    assert hand["top_class"] in [str(i) for i in range(6)]
    assert abs(sum(hand["probabilities"].values()) - 1) < 1e-3

    proc = run("predict", "--model", str(tiny_model_file), str(black), str(room), str(photo))
    assert proc.returncode == 0, proc.stderr  # a run that found no hand is still a successful run
    lines = proc.stdout.splitlines()
    assert lines[:2] == [f"{black}: no hand", f"{room}: no hand"]
    assert lines[2].startswith(f"{photo}: {hand['top_class']} (") and lines[2].endswith(f"hand at {x},{y} {w}x{h}")


def test_no_find_hand_gives_the_output_from_before_hand_finding(tmp_path, tiny_model_file, sld_dir):
    from core.inference.classifier import Classifier

    black = write_image(tmp_path / "black.png", np.zeros((480, 640, 3), np.uint8))
    photo = _sld_photos(sld_dir, "4", 1)[0]
    rows = _json(run("predict", "--model", str(tiny_model_file), str(black), str(photo), "--json", "--no-find-hand"))
    clf = Classifier.load(tiny_model_file)
    for row, path in zip(rows, (black, photo), strict=True):
        assert set(row) == OLD_KEYS  # no "hand", no "region"
        old = clf.classify_file(path)  # the centre square, as predict classified it before
        assert row["top_class"] == old.top_class  # the black frame too: classified, not "no hand"
        np.testing.assert_allclose([row["probabilities"][c] for c in clf.class_names], old.probabilities, atol=1e-4)
    proc = run("predict", "--model", str(tiny_model_file), str(black), "--no-find-hand")
    assert proc.returncode == 0 and "no hand" not in proc.stdout and "hand at" not in proc.stdout
    assert proc.stdout.startswith(f"{black}: {rows[0]['top_class']} (")


def test_predict_finds_a_small_hand_off_centre_in_a_640x480_frame(tmp_path, tiny_model_file, sld_dir):
    frame = write_image(tmp_path / "frame.png", _frame_with_hand(_sld_photos(sld_dir, "3", 1)[0]))
    row = _json(run("predict", "--model", str(tiny_model_file), str(frame), "--json"))[0]
    assert row["hand"] is True
    x, y, w, h = row["region"]
    assert x + w / 2 < 160 and 310 < y + h / 2 < 470  # on the pasted photo (x 0-160, y 310-470), not the centre
    assert 60 < w < 300


def _tree_with_a_blank(root, sld_dir):
    """Two SLD photos per class 0-5, and one blank grey image filed under class 3."""
    for cls in "012345":
        for photo in _sld_photos(sld_dir, cls, 2):
            (root / cls).mkdir(parents=True, exist_ok=True)
            shutil.copy(photo, root / cls / photo.name)
    return write_image(root / "3" / "blank.png", np.full((100, 100, 3), 128, np.uint8))


def test_evaluate_counts_a_blank_image_as_no_hand_and_wrong(tmp_path, tiny_model_file, sld_dir):
    blank = _tree_with_a_blank(tmp_path / "tree", sld_dir)
    png = tmp_path / "errors.png"
    args = ("evaluate", "--model", str(tiny_model_file), "--data", str(tmp_path / "tree"))
    rep = _json(run(*args, "--json", "--errors-png", str(png)))
    assert rep["n"] == 13 and rep["no_hand"] == 1
    assert rep["per_class"]["3"] == {**rep["per_class"]["3"], "n": 3, "no_hand": 1}
    assert all(rep["per_class"][c]["no_hand"] == 0 for c in "01245")
    assert np.array(rep["confusion_matrix"]).sum() == 12  # the blank is in no column
    correct = sum(pc["correct"] for pc in rep["per_class"].values())
    assert rep["accuracy"] == pytest.approx(correct / 13) and correct <= 12
    assert {"file": str(blank), "true": "3", "predicted": None, "confidence": None, "hand": False,
            "region": None} in rep["misclassified"]
    assert all(m["hand"] is True and m["predicted"] is not None for m in rep["misclassified"] if m["file"] != str(blank))
    assert png.read_bytes().startswith(b"\x89PNG")

    text = run(*args)
    assert text.returncode == 0, text.stderr
    assert "no hand found in 1 of 13 images (counted wrong" in text.stdout
    assert "/3, 1 no hand)" in text.stdout and "hands found and cropped" in text.stdout

    old = _json(run(*args, "--json", "--no-find-hand"))
    assert "no_hand" not in old and np.array(old["confusion_matrix"]).sum() == 13
    assert all(set(m) == {"file", "true", "predicted", "confidence"} for m in old["misclassified"])


def test_evaluate_finds_small_hands_in_640x480_frames_before_shrinking_them(tmp_path, sld_dir):
    """The hands sit mostly outside the centre square and are 160 px high: searched at 64x64 (or as the
    centre square) they are lost; searched at 640x480 the shipped model reads most of them."""
    model = _shipped_model()
    for cls in "012345":
        for k, photo in enumerate(_sld_photos(sld_dir, cls, 2, start=3)):
            write_image(tmp_path / "frames" / cls / f"{k}.png", _frame_with_hand(photo, seed=10 + k))
    args = ("evaluate", "--model", str(model), "--data", str(tmp_path / "frames"), "--json")
    rep = _json(run(*args))
    assert rep["n"] == 12 and rep["no_hand"] <= 2
    assert rep["accuracy"] >= 0.6
    centre = _json(run(*args, "--no-find-hand"))
    assert centre["accuracy"] < rep["accuracy"] - 0.3


@pytest.mark.parametrize("data", ["signs", "signs/test_signs.h5"])
def test_signs_test_stays_perfect_with_hand_finding(signs_dir, data):
    """120/120 on SIGNS test with the shipped model: from the JPEG files and from the HDF5 arrays."""
    model = _shipped_model()
    rep = _json(run("evaluate", "--model", str(model), "--data", str(signs_dir.parent / data), "--json"))
    assert rep["n"] == 120 and rep["no_hand"] == 0 and rep["accuracy"] == 1.0, rep["misclassified"]
