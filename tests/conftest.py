"""Shared fixtures: the data folder, small real models, and a thread-leak guard."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "datasets"


def data_root() -> Path | None:
    env = os.environ.get("HANDSIGN_DATA")
    for cand in ([Path(env)] if env else []) + [SHARED_DATA]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def datasets() -> Path:
    root = data_root()
    if root is None:
        pytest.skip("datasets not found: set HANDSIGN_DATA to the folder holding signs/ (e.g. ../shared/datasets)")
    return root


@pytest.fixture(scope="session")
def signs_dir(datasets) -> Path:
    d = datasets / "signs"
    if not (d / "test_signs").is_dir():
        pytest.skip(f"SIGNS not found under {datasets}")
    return d


@pytest.fixture(scope="session")
def sld_dir(datasets) -> Path:
    d = datasets / "sign-language-digits"
    if not d.is_dir():
        pytest.skip(f"Sign Language Digits not found under {datasets}")
    return d


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache folder for the whole session: a model converted for TensorFlow Lite once is reused."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch, shared_cache):
    """Every test gets its own user folder, so nothing touches the real one (the rebuildable
    cache is shared by the session: see ``shared_cache``)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HANDSIGN_HOME", str(home))
    monkeypatch.setenv("HANDSIGN_CACHE", str(shared_cache))
    return home


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail a test that leaves a Python thread running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"


def tiny_builder(input_shape, classes, settings=None):
    """A small real Keras CNN with BatchNorm, for fast training tests."""
    import keras
    from keras import layers

    inp = keras.Input(shape=tuple(input_shape))
    x = layers.Conv2D(16, 3, strides=2, padding="same")(inp)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inp, out, name="tiny")


@pytest.fixture
def tiny_model_file(tmp_path):
    """A saved tiny 6-class model with Hand Sign Studio metadata."""
    from core.model.files import ModelInfo, save_model

    model = tiny_builder((64, 64, 3), 6)
    path = tmp_path / "tiny.keras"
    save_model(model, path, ModelInfo([str(i) for i in range(6)], (64, 64), architecture="tiny"))
    return path


def listing(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` with its size and mtime: compared before and after to prove nothing was written."""
    out = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            continue
        for p in sorted(folder.rglob("*")):
            st = p.lstat()
            out[str(p)] = (st.st_size, st.st_mtime_ns) if p.is_file() else (-1, 0)
    return out


def write_image(path: Path, array: np.ndarray, **save_kwargs) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **save_kwargs)
    return path


_EXIT_STATUS = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without interpreter finalisation once pytest has reported.

    Finalising PySide6 6.12 and TensorFlow objects together intermittently aborts
    with "Fatal Python error: none_dealloc" after every test has passed (a C
    extension's reference-count bug; the app avoids it the same way, see
    ``gui.app.exit_without_finalizing``).  The exit status is pytest's own.
    """
    if "PySide6" in sys.modules:
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS["code"])
