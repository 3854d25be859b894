"""GUI fixtures: a real MainWindow offscreen, small real models, video files written by the test."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import tiny_builder


@pytest.fixture
def make_window(qtbot):
    """Create real main windows; each is closed at the end of the test and its threads waited for.

    The windows are deliberately not registered with ``qtbot.addWidget``: pytest-qt would close and
    delete them before this fixture's teardown, while a training may still be stopping.
    """
    from gui.main_window import MainWindow

    made = []

    def make(*, model_path=None, start_source=False, background=True, wait_model=True, size=(1400, 900), **kw):
        win = MainWindow(model_path=None if model_path is None else str(model_path), start_source=start_source, **kw)
        if size:
            win.resize(*size)
        win.show()
        made.append(win)
        if background:
            win.start_background()
            if wait_model and model_path is not None:
                qtbot.waitUntil(lambda: bool(win.classify.model_ready or win.model_error), timeout=60_000)
                assert win.model_error is None, win.model_error
        return win

    yield make
    for win in made:
        close_window(qtbot, win)
    # Free the windows now, while Qt is fully alive, rather than in the interpreter's final GC.
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    for win in made:
        win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    made.clear()
    gc.unfreeze()  # the window froze the heap as the app does (gui.threads.freeze_heap); a test session
    gc.collect()  # collects it again, so one test's garbage is not kept for the rest of the run


@pytest.fixture
def app_heap():
    """Call it to freeze the heap as the app does after its start-up (``gui.threads.freeze_heap``), for a
    tab tested without its window; the heap is collected again afterwards, as ``make_window`` does."""
    import gc

    from gui.threads import freeze_heap

    yield freeze_heap
    gc.unfreeze()
    gc.collect()


@pytest.fixture
def lone_tab(qtbot):
    """A real ClassifyTab offscreen with its controller and a frame service, but no inference worker."""
    from gui.sources import FrameService
    from gui.tabs.classify import ClassifyTab

    frames = FrameService()
    tab = ClassifyTab(frames)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    yield tab
    frames.shutdown()


def close_window(qtbot, win, timeout=120_000):
    if not win.closed_cleanly:
        win.close()
        qtbot.waitUntil(lambda: win.closed_cleanly, timeout=timeout)


@pytest.fixture(scope="session")
def signs_model(tmp_path_factory, signs_dir) -> Path:
    """A small CNN trained for real on SIGNS (a few seconds): stands in for the shipped model in tests."""
    from core.data.datasets import load_dataset
    from core.training.session import TrainingSession, TrainSettings

    ds = load_dataset(signs_dir, val_split=0.15, seed=0)
    out = tmp_path_factory.mktemp("signs_model") / "tiny_signs.keras"
    settings = TrainSettings(epochs=14, batch_size=32, learning_rate=3e-3, augment=False, seed=0)
    result = TrainingSession(ds, settings, out=out, builder=tiny_builder).run()
    assert result.model_path == out and out.exists()
    return out


@pytest.fixture
def shipped_model() -> Path:
    from core.paths import shipped_model_path

    path = shipped_model_path()
    if not path.exists():
        pytest.skip(f"the shipped model {path} is not there yet (it is trained separately); "
                    "test_classify_signs_images_with_a_trained_model covers the same path with a model trained here")
    return path


def signs_test_images(signs_dir: Path, per_class: int) -> list[Path]:
    files = sorted((signs_dir / "test_signs").glob("*.jpg"))
    out = []
    for c in range(6):
        out += [f for f in files if f.name.startswith(f"{c}_")][:per_class]
    return out


@pytest.fixture
def signs_video(tmp_path, signs_dir) -> tuple[Path, list[int]]:
    """An MJPG video written by the test: SIGNS test images, a few frames each, 320x240 with a border."""
    import cv2

    from core.images import read_image
    from tools.videos import write_test_video

    frames, labels = [], []
    for path in signs_test_images(signs_dir, 1):
        img = cv2.resize(read_image(path), (200, 200), interpolation=cv2.INTER_AREA)
        frame = np.full((240, 320, 3), 40, np.uint8)
        frame[20:220, 60:260] = img
        for _ in range(4):
            frames.append(frame)
            labels.append(int(path.name.split("_")[0]))
    return write_test_video(tmp_path / "signs.avi", frames, fps=24), labels


@pytest.fixture
def tiny_signs_tree(tmp_path, signs_dir) -> Path:
    """A small class-folder tree (copied from SIGNS into tmp): 12 images per class."""
    root = tmp_path / "tree"
    for c in range(6):
        (root / str(c)).mkdir(parents=True)
    for f in signs_test_images(signs_dir, 12):
        shutil.copy(f, root / f.name.split("_")[0] / f.name)
    return root


def wait_for(qtbot, cond, timeout=30_000):
    # bool(): pytest-qt treats a callback returning None as "assertion style" and stops at once.
    qtbot.waitUntil(lambda: bool(cond()), timeout=timeout)


def settle(qtbot, seconds: float):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(20)
