"""Faults: a camera that dies mid-stream, a full disk, a read-only folder, a kill -9 in the middle of a
save, a training stopped (or its window closed, or its process killed) in the middle of an epoch."""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from core.data.splits import Dataset, Split
from core.model.files import ModelInfo, load_model, read_info, save_model
from tests.conftest import REPO, listing, tiny_builder
from tests.gui.conftest import wait_for
from tests.robustness.conftest import error_lines, run_cli


def synthetic_dataset(n_per_class=24, classes=3, size=32, seed=0) -> Dataset:
    """Learnable little images: each class is a brighter square in its own corner."""
    rng = np.random.default_rng(seed)

    def split(n):
        x = rng.integers(0, 60, (n * classes, size, size, 3), dtype=np.uint8)
        y = np.repeat(np.arange(classes), n)
        for i, c in enumerate(y):
            r, col = divmod(int(c), 2)
            x[i, r * size // 2 : (r + 1) * size // 2, col * size // 2 : (col + 1) * size // 2] += 150
        return Split(x, y.astype(np.int64))

    return Dataset([f"c{i}" for i in range(classes)], split(n_per_class), split(6), split(6), "synthetic", "test")


def _no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------------------- stop mid-epoch


def test_stop_mid_epoch_leaves_a_checkpoint_that_loads_and_says_stopped(tmp_path):
    import threading

    from core.training.session import TrainingSession, TrainSettings

    class Listener:
        def __init__(self):
            self.epochs, self.batches = 0, 0
            self.batches_after_epoch = 0

        def on_epoch(self, m):
            self.epochs += 1

        def on_batch(self, p):
            self.batches += 1
            if self.epochs >= 2:
                self.batches_after_epoch += 1

    rec = Listener()
    out = tmp_path / "run.keras"
    session = TrainingSession(synthetic_dataset(), TrainSettings(epochs=200, batch_size=4, augment=False, seed=1), rec,
                              out=out, builder=tiny_builder)
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", session.run()), name="training")
    t.start()
    deadline = time.monotonic() + 120
    while rec.batches_after_epoch < 3 and time.monotonic() < deadline:  # in the middle of epoch 3
        time.sleep(0.005)
    session.stop()
    assert rec.batches_after_epoch >= 3, f"training did not reach epoch 3 within 120 s ({rec.epochs} epochs)"
    t.join(120)
    assert not t.is_alive()
    result = box["r"]
    assert result.status == "stopped"
    ck = result.checkpoint_path
    assert ck is not None and ck.exists()
    model, info = load_model(ck)  # the best checkpoint so far loads ...
    assert info.run_card["status"] == "stopped"  # ... and says the run was stopped
    assert info.run_card["best_epoch"] >= 1 and info.run_card["stopped_after_epochs"] >= 2
    x = synthetic_dataset().test.x[:2].astype(np.float32) / 255
    assert np.all(np.isfinite(np.asarray(model(x, training=False))))
    assert load_model(out)[1].run_card["status"] == "stopped"
    assert json.loads(out.with_suffix(".json").read_text())["status"] == "stopped"
    assert not _no_temp_files(tmp_path)


# ---------------------------------------------------------------------------------- kill -9 mid-save

SAVE_LOOP = """
import sys
from core.model.files import ModelInfo, save_model
from tests.conftest import tiny_builder
model = tiny_builder((64, 64, 3), 6)
print("ready", flush=True)
i = 2
while True:
    save_model(model, sys.argv[1], ModelInfo([str(c) for c in range(6)], (64, 64), run_card={"version": i}))
    i += 1
"""


def test_kill_9_in_the_middle_of_saves_never_breaks_the_model_file(tmp_path):
    """A process saving the model over and over is killed at random moments: the file always loads."""
    path = save_model(tiny_builder((64, 64, 3), 6), tmp_path / "m.keras",
                      ModelInfo([str(c) for c in range(6)], (64, 64), run_card={"version": 1}))
    rng = random.Random(7)
    versions, mid_save = [], 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(path)], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            # A saver stuck before its first save fails here, instead of blocking until the suite's timeout.
            assert select.select([proc.stdout], [], [], 120)[0], "the saving process was not ready within 120 s"
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.05, 0.8))
            mid_save += any(p.name.startswith(".") for p in tmp_path.iterdir())  # a save was under way
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        _, info = load_model(path)  # never a half-written file
        versions.append(info.run_card["version"])
    print(f"kill -9 at 6 random moments ({mid_save} with a save in flight): model versions {versions}, all load")
    assert versions[-1] >= 2  # saves did happen between the kills
    assert mid_save >= 1
    # A killed save leaves its temporary file behind (no process is left to delete it), never a damaged model.
    for p in tmp_path.iterdir():
        assert p.name == "m.keras" or p.name.startswith(".m.keras.") or p.name.startswith(".save-")


# ---------------------------------------------------------------------------------- full disk

FULL_DISK_TRAINING = """
import resource, signal, sys
from core.errors import HandSignError
from core.training.session import TrainingSession, TrainSettings
from tests.conftest import tiny_builder
from tests.robustness.test_faults import synthetic_dataset
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
try:
    TrainingSession(synthetic_dataset(8), TrainSettings(epochs=2, batch_size=8, augment=False), out=sys.argv[1],
                    builder=tiny_builder).run()
except HandSignError as exc:
    print("refused:", exc)
    sys.exit(3)
"""


def test_disk_full_while_training_saves_keeps_the_previous_model(tmp_path):
    path = save_model(tiny_builder((32, 32, 3), 3), tmp_path / "m.keras",
                      ModelInfo(["c0", "c1", "c2"], (32, 32), run_card={"version": 1}))
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_TRAINING, str(path)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr[-3000:]
    assert "could not save the model" in proc.stdout and "previous file is unchanged" in proc.stdout
    assert path.read_bytes() == before and load_model(path)[1].run_card == {"version": 1}
    assert not _no_temp_files(tmp_path)


# ---------------------------------------------------------------------------------- read-only folder


def _read_only_prefix():
    """Run a child without root's power to write anywhere, so a read-only folder is read-only to it."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only to the test")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--")


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    save_model(tiny_builder((32, 32, 3), 3), folder / "m.keras", ModelInfo(["c0", "c1", "c2"], (32, 32),
                                                                            run_card={"version": 1}))
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_save_into_a_read_only_folder_keeps_the_old_model_and_says_so(read_only_folder):
    script = (
        "import sys\n"
        "from core.model.files import ModelInfo, save_model\n"
        "from core.errors import ModelFileError\n"
        "from tests.conftest import tiny_builder\n"
        "try:\n"
        "    save_model(tiny_builder((32, 32, 3), 3), sys.argv[1], ModelInfo(['c0', 'c1', 'c2'], (32, 32)))\n"
        "except ModelFileError as exc:\n"
        "    print(exc); sys.exit(3)\n"
    )
    before = listing(read_only_folder)
    proc = subprocess.run([*_read_only_prefix(), sys.executable, "-c", script, str(read_only_folder / "m.keras")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr[-2000:]
    assert "could not save the model" in proc.stdout and "ermission denied" in proc.stdout
    assert listing(read_only_folder) == before
    assert load_model(read_only_folder / "m.keras")[1].run_card == {"version": 1}


def test_cli_train_into_a_read_only_folder_fails_before_training(read_only_folder, tmp_path):
    from tests.conftest import write_image

    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        for i in range(6):
            write_image(tmp_path / "data" / c / f"{i}.png", rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    before = listing(read_only_folder)
    t0 = time.monotonic()
    proc = run_cli("train", "--data", tmp_path / "data", "--epochs", "1", "--out", read_only_folder / "m.keras",
                   prefix=_read_only_prefix())
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("handsign: error: cannot write the model to") and "choose another --out" in lines[0]
    assert "epoch" not in proc.stdout  # it did not train first and fail at the end
    assert listing(read_only_folder) == before
    print(f"read-only --out refused after {time.monotonic() - t0:.1f} s")


# ---------------------------------------------------------------------------------- GUI faults


class _Flaky:
    """A webcam that delivers ``good`` frames and then raises (unplugged mid-stream)."""

    name = "camera 0"
    is_live = True
    fps = 30.0

    def __init__(self, good):
        self.good, self.n = good, 0

    def open(self):
        pass

    def read(self):
        self.n += 1
        time.sleep(0.01)
        if self.good is not None and self.n > self.good:
            raise OSError("VIDIOC_DQBUF: No such device")
        return True, np.full((120, 160, 3), (self.n * 7) % 255, np.uint8)

    def close(self):
        pass


def test_camera_that_raises_mid_stream_shows_a_message_and_retry_recovers(make_window, qtbot, good_model):
    made = []

    def factory(index):
        made.append(_Flaky(15 if not made else None))  # the first one dies, the one after Retry works
        return made[-1]

    win = make_window(model_path=good_model, camera_factory=factory)
    c = win.classify
    c.start_camera(0)
    wait_for(qtbot, lambda: "stopped delivering frames" in win.classify_tab.banner.text(), timeout=20_000)
    assert "No such device" in win.classify_tab.banner.text()
    assert win.classify_tab.banner.button.text() == "Retry" and not win.frames.running
    shown = c.results_shown
    win.classify_tab.banner.button.click()  # Retry
    wait_for(qtbot, lambda: c.results_shown > shown + 5, timeout=20_000)
    assert not win.classify_tab.banner.isVisible() and win.frames.running and len(made) == 2


def test_save_as_onto_a_full_disk_keeps_the_old_file_and_says_so(make_window, qtbot, tmp_path, good_model,
                                                                   monkeypatch):
    import errno

    import core.model.files
    from core.training.process import TrainOutcome
    from core.training.session import TrainResult

    win = make_window()
    tab = win.train_tab
    target = tmp_path / "mine.keras"
    shutil.copy(good_model, target)
    before = target.read_bytes()
    card = {"status": "completed"}
    tab.outcome = TrainOutcome(TrainResult("completed", good_model, None, card), ["0"], np.zeros((0, 64, 64, 3)), [], [])

    def copy_then_disk_full(src, dst):
        with open(src, "rb") as a, open(dst, "wb") as b:
            b.write(a.read(5000))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(core.model.files.shutil, "copyfile", copy_then_disk_full)
    assert tab.save_model_as(target) is None
    assert "No space left on device" in tab.banner.text() and "could not save" in tab.banner.text()
    assert target.read_bytes() == before and load_model(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.keras"]
    monkeypatch.undo()
    assert tab.save_model_as(tmp_path / "again.keras") == tmp_path / "again.keras"  # and it still works


def _gui_training(win, signs_dir, epochs):
    tab = win.train_tab
    tab.builder = tiny_builder
    tab.dataset_combo.setCurrentIndex(tab.dataset_combo.findData("signs"))
    tab.epochs.setValue(epochs)
    tab.batch_size.setValue(8)
    tab.learning_rate.setValue(0.003)
    tab.augment.setChecked(False)
    tab.max_per_class.setValue(12)
    tab.seed.setValue(3)
    assert tab.start_training()
    return tab


def _mid_epoch_training(qtbot, win, signs_dir):
    """A long GUI training, past its first epoch (a checkpoint exists) and two batches into the next."""
    tab = _gui_training(win, signs_dir, epochs=300)
    wait_for(qtbot, lambda: tab.epochs_seen >= 1, timeout=120_000)
    seen = tab.batches_seen
    wait_for(qtbot, lambda: tab.batches_seen >= seen + 2, timeout=30_000)
    return tab


def test_closing_the_window_mid_epoch_keeps_a_checkpoint_that_says_stopped(make_window, qtbot, signs_dir,
                                                                            good_model):
    from core.paths import models_dir

    win = make_window(model_path=good_model)
    _mid_epoch_training(qtbot, win, signs_dir)
    win.close()
    wait_for(qtbot, lambda: win.closed_cleanly, timeout=120_000)
    checkpoints = list(models_dir().glob("run-*.best.keras"))
    assert len(checkpoints) == 1
    _, info = load_model(checkpoints[0])
    assert info.run_card["status"] == "stopped" and info.run_card["best_epoch"] >= 1
    final = checkpoints[0].with_name(checkpoints[0].name.replace(".best.keras", ".keras"))
    assert read_info(final).run_card["status"] == "stopped"


def test_training_process_killed_mid_epoch_is_a_message_and_the_checkpoint_loads(make_window, qtbot, signs_dir,
                                                                                 good_model):
    from core.paths import models_dir

    win = make_window(model_path=good_model)
    tab = _mid_epoch_training(qtbot, win, signs_dir)
    os.kill(tab.worker.process.pid, signal.SIGKILL)
    wait_for(qtbot, lambda: not tab.running, timeout=60_000)
    assert "ended unexpectedly" in tab.banner.text() and tab.start_button.isEnabled()
    checkpoints = list(models_dir().glob("run-*.best.keras"))
    assert len(checkpoints) == 1
    _, info = load_model(checkpoints[0])  # killed: no chance to relabel it, but it loads
    assert info.run_card["status"] == "checkpoint"
    # The app goes on: classify with the model it had.
    assert win.classify.model_ready and win.classify.model_path == good_model


def test_an_unwritable_user_folder_still_classifies_and_says_nothing_will_be_saved(make_window, qtbot, tmp_path,
                                                                                    monkeypatch, good_model, signs_dir):
    from tests.gui.conftest import signs_test_images

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the user folder's parent should be")  # mkdir fails even for root
    monkeypatch.setenv("HANDSIGN_HOME", str(blocker / "HandSignStudio"))
    win = make_window(model_path=good_model)
    assert win.user_dir_problem and "cannot be written" in win.user_dir_problem
    box = win.user_dir_box
    assert box is not None and box.isVisible() and not box.isModal()
    assert win.user_dir_label.isVisible() and "nothing will be saved" in win.user_dir_label.text()
    box.grab().save(str(tmp_path / "unwritable-user-folder.png"))
    c = win.classify
    c.open_paths(signs_test_images(signs_dir, 1)[:2])
    wait_for(qtbot, lambda: c.results_shown > 0)
    assert win.user_dir_label.isVisible()  # still there after the status messages of loading and classifying
    win.grab().save(str(tmp_path / "unwritable-user-folder-window.png"))
    assert blocker.read_text() == "a file where the user folder's parent should be"
