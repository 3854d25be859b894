"""``handsign predict`` with a warm cache: no TensorFlow, no Keras, same answers (real processes).

The first run of a model converts it through the full TensorFlow path, which
fills the cache; the next run must classify without importing TensorFlow or
Keras at all, and print what the full path printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, tiny_builder, write_image

HEAVY = ("tensorflow", "keras", "jax", "PySide6")
# Runs the real CLI in this process, then reports which heavy packages it loaded on stderr's last line.
WRAPPER = (
    "import json, sys\n"
    "from core.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
    "print('LOADED ' + json.dumps(heavy), file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def predict(*args, cache, timeout=600, env=None):
    """``handsign predict ARGS --json`` in a fresh process -> (results, heavy modules loaded, stderr).

    Hand finding is on unless ARGS say ``--no-find-hand``: its models run on LiteRT too."""
    extra, env = env or {}, dict(os.environ, HANDSIGN_CACHE=str(cache))
    env.pop("HANDSIGN_INFERENCE", None)
    env.pop("HANDSIGN_ENGINE", None)
    env.update(extra)
    proc = subprocess.run([sys.executable, "-c", WRAPPER, "predict", *map(str, args), "--json"], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("LOADED "), proc.stderr
    return json.loads(proc.stdout), json.loads(lines[-1][len("LOADED "):]), "\n".join(lines[:-1])


def _tensorflow_only():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the cache is filled by the TensorFlow Lite conversion")


def _probabilities(results):
    return np.array([[r["probabilities"][c] for c in sorted(r["probabilities"])] for r in results])


def test_a_warm_cache_predicts_without_importing_tensorflow_or_keras(tmp_path):
    from core.model.files import ModelInfo, save_model

    _tensorflow_only()
    model_file = save_model(tiny_builder((64, 64, 3), 6), tmp_path / "tiny.keras",
                            ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny"))
    rng = np.random.default_rng(0)
    images = [write_image(tmp_path / f"img{i}.png", rng.integers(0, 256, (90, 120, 3), dtype=np.uint8))
              for i in range(3)]
    cache = tmp_path / "cache"

    cold, cold_heavy, _ = predict("--model", model_file, *images, cache=cache)
    assert "tensorflow" in cold_heavy and "keras" in cold_heavy  # the full path: converts, fills the cache
    assert len(list((cache / "tflite").glob("*.json"))) == 1

    warm, warm_heavy, stderr = predict("--model", model_file, *images, cache=cache)
    assert warm_heavy == [], f"a warm predict imported {warm_heavy}"
    assert stderr == ""  # not even a native interpreter notice (the classifier's or the hand models')
    assert [r["file"] for r in warm] == [str(p) for p in images]
    assert [r["hand"] for r in warm] == [r["hand"] for r in cold] == [False] * 3  # noise: no hand, either way

    # The classifier itself, on the centre squares: the same probabilities without TensorFlow.
    cold, _, _ = predict("--model", model_file, *images, "--no-find-hand", cache=cache / "other")
    warm, warm_heavy, _ = predict("--model", model_file, *images, "--no-find-hand", cache=cache / "other")
    assert warm_heavy == []
    assert [r["top_class"] for r in warm] == [r["top_class"] for r in cold]
    np.testing.assert_allclose(_probabilities(warm), _probabilities(cold), atol=1e-4)


def test_the_shipped_model_agrees_with_the_full_path_on_signs_test_images(tmp_path, signs_dir):
    model_file = REPO / "assets" / "models" / "handsign_resnet50.keras"
    if not model_file.exists():
        pytest.skip("the shipped model is not in this checkout")
    _tensorflow_only()
    images = sorted((signs_dir / "test_signs").glob("*.jpg"))[::20][:6]
    assert len(images) == 6
    cache = tmp_path / "cache"
    # no --model: the shipped one.  HANDSIGN_ENGINE=keras: the full path even where the build has put the
    # checked conversion beside the model (python -m core.inference.prepare), which the next run may then use.
    full, full_heavy, _ = predict(*images, cache=cache, env={"HANDSIGN_ENGINE": "keras"})
    assert "tensorflow" in full_heavy
    lite, lite_heavy, _ = predict(*images, cache=cache)
    assert lite_heavy == []
    assert all(r["hand"] for r in lite) and [r["region"] for r in lite] == [r["region"] for r in full]
    np.testing.assert_allclose(_probabilities(lite), _probabilities(full), atol=1e-4)
    truth = [p.name.split("_")[0] for p in images]
    assert [r["top_class"] for r in lite] == truth


def test_a_damaged_model_file_is_refused_in_one_line_even_after_a_warm_run(tmp_path):
    """Its bytes no longer match the cache entry: the full loader runs and gives its one-line error."""
    from core.model.files import ModelInfo, save_model

    _tensorflow_only()
    model_file = save_model(tiny_builder((32, 32, 3), 2), tmp_path / "m.keras", ModelInfo(["a", "b"], (32, 32)))
    image = write_image(tmp_path / "x.png", np.zeros((40, 40, 3), np.uint8))
    cache = tmp_path / "cache"
    predict("--model", model_file, image, cache=cache)
    data = model_file.read_bytes()
    model_file.write_bytes(data[: len(data) // 2])
    env = dict(os.environ, HANDSIGN_CACHE=str(cache))
    proc = subprocess.run([sys.executable, "-m", "core", "predict", "--model", str(model_file), str(image)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 1
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("handsign: error: ") and "damaged or truncated" in lines[0], proc.stderr
