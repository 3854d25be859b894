"""Model files: metadata round trip, atomic saves, damaged and unsafe files refused."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from core.errors import ModelFileError
from core.model.files import ModelInfo, load_model, read_info, save_model
from tests.conftest import tiny_builder


def test_round_trip_keeps_metadata_and_outputs(tmp_path):
    model = tiny_builder((64, 64, 3), 3)
    info = ModelInfo(["fist", "palm", "peace"], (64, 64), run_card={"seed": 7})
    path = save_model(model, tmp_path / "m.keras", info)
    loaded, got = load_model(path)
    assert got.class_names == ["fist", "palm", "peace"] and got.input_size == (64, 64) and got.run_card == {"seed": 7}
    x = np.random.default_rng(0).random((2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)), atol=1e-6)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_float16_storage_halves_the_file_and_loads_as_float32(tmp_path):
    model = tiny_builder((64, 64, 3), 6)
    info = ModelInfo([str(i) for i in range(6)], (64, 64))
    full = save_model(model, tmp_path / "f32.keras", info)
    half = save_model(model, tmp_path / "f16.keras", info, weights_dtype="float16")
    assert os.path.getsize(half) < 0.75 * os.path.getsize(full)
    loaded, _ = load_model(half)
    assert all(str(w.dtype) == "float32" for w in loaded.weights)
    x = np.random.default_rng(0).random((4, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)), atol=2e-3)


def test_float32_weights_are_stored_not_deflated_and_float16_ones_deflated(tmp_path):
    """A checkpoint is saved after most epochs: its 90 MB of weights are not recompressed (3.4 s
    for 8 % on ResNet-50, bench/save.py); the shipped float16 file stays deflated (small)."""
    model = tiny_builder((64, 64, 3), 6)
    info = ModelInfo([str(i) for i in range(6)], (64, 64), run_card={"seed": 1})
    for dtype, kind in (("float32", zipfile.ZIP_STORED), ("float16", zipfile.ZIP_DEFLATED)):
        path = save_model(model, tmp_path / f"{dtype}.keras", info, weights_dtype=dtype)
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            assert zf.getinfo("model.weights.h5").compress_type == kind, dtype
            assert len(names) == len(set(names)) and "handsign.json" in names
            assert zf.testzip() is None
        assert read_info(path).run_card == {"seed": 1}


def test_plain_keras_file_without_metadata_loads(tmp_path):
    model = tiny_builder((48, 48, 3), 4)
    path = tmp_path / "plain.keras"
    model.save(path)
    assert read_info(path) is None
    _, info = load_model(path)
    assert info.class_names == ["0", "1", "2", "3"] and info.input_size == (48, 48)


FULL_DISK_SCRIPT = """
import resource, signal, sys
from core.model.files import ModelInfo, save_model
from core.errors import ModelFileError
from tests.conftest import tiny_builder
model = tiny_builder((64, 64, 3), 6)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, like a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
try:
    save_model(model, sys.argv[1], ModelInfo([str(i) for i in range(6)], (64, 64), run_card={"version": 2}))
except ModelFileError as exc:
    print("refused:", exc)
    sys.exit(3)
"""


def test_failed_save_leaves_previous_file_intact(tmp_path):
    """A save that runs out of space (file-size limit) must not touch the existing model."""
    import subprocess
    import sys

    from tests.conftest import REPO

    model = tiny_builder((64, 64, 3), 6)
    info = ModelInfo([str(i) for i in range(6)], (64, 64), run_card={"version": 1})
    path = save_model(model, tmp_path / "m.keras", info)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "could not save" in proc.stdout and "previous file is unchanged" in proc.stdout
    assert path.read_bytes() == before
    assert load_model(path)[1].run_card == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"], "temporary files left behind"


def test_save_into_a_read_only_target_is_a_clear_error(tmp_path, tiny_model_file):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    model, info = load_model(tiny_model_file)
    with pytest.raises(ModelFileError, match="could not save"):
        save_model(model, blocker / "m.keras", info)


def test_truncated_file_is_refused(tmp_path, tiny_model_file):
    data = tiny_model_file.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        load_model(cut)


def test_garbage_and_missing_and_wrong_suffix(tmp_path):
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelFileError, match="not a valid"):
        load_model(junk)
    with pytest.raises(ModelFileError, match="no such model"):
        load_model(tmp_path / "missing.keras")
    legacy = tmp_path / "old.h5"
    legacy.write_bytes(b"x")
    with pytest.raises(ModelFileError, match="legacy HDF5"):
        load_model(legacy)
    zipped = tmp_path / "other.keras"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ModelFileError, match="not a Keras model archive"):
        load_model(zipped)


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    import keras

    inp = keras.Input((8, 8, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inp)
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(2, activation="softmax")(x)
    path = tmp_path / "lambda.keras"
    keras.Model(inp, out).save(path)
    with pytest.raises(ModelFileError, match="refused"):
        load_model(path)


def test_model_of_another_shape_is_refused(tmp_path):
    import keras

    inp = keras.Input((10,))
    model = keras.Model(inp, keras.layers.Dense(3)(inp))
    path = tmp_path / "vector.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="not an image classifier"):
        load_model(path)


def test_class_count_mismatch_is_refused(tmp_path):
    model = tiny_builder((64, 64, 3), 3)
    path = save_model(model, tmp_path / "m.keras", ModelInfo(["a", "b"], (64, 64)))
    with pytest.raises(ModelFileError, match="2 class names but the model has 3"):
        load_model(path)


def test_save_sweeps_what_a_killed_save_left_behind(tmp_path):
    """A save killed mid-way leaves its temporary file; the next save removes stale ones only."""
    model = tiny_builder((64, 64, 3), 6)
    info = ModelInfo([str(i) for i in range(6)], (64, 64))
    target = tmp_path / "m.keras"
    stale_file = tmp_path / ".m.keras.abc123.tmp"
    stale_dir = tmp_path / ".save-xyz"
    fresh_file = tmp_path / ".m.keras.live99.tmp"
    stale_file.write_bytes(b"partial")
    stale_dir.mkdir()
    (stale_dir / "model.keras").write_bytes(b"partial")
    fresh_file.write_bytes(b"a save in progress")
    old = 10_000.0
    os.utime(stale_file, (old, old))
    os.utime(stale_dir, (old, old))
    save_model(model, target, info)
    assert not stale_file.exists() and not stale_dir.exists()
    assert fresh_file.exists(), "a recent temporary file may belong to a save in progress"
    assert load_model(target)[1].class_names == info.class_names


def _record_fsyncs(monkeypatch, target=None):
    """Record what each ``os.fsync`` flushes (a folder or a file, and whether ``target`` was in place yet),
    then really flush it: a power cut cannot be simulated, so the calls are the evidence."""
    import stat

    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        mode = os.fstat(fd).st_mode
        calls.append(("dir" if stat.S_ISDIR(mode) else "file", os.fstat(fd).st_ino,
                      target.read_bytes() if target is not None and target.exists() else None))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


@pytest.mark.skipif(os.name == "nt", reason="Windows cannot open a folder to flush it")
def test_fsync_dir_flushes_the_real_folder(tmp_path, monkeypatch):
    from core.model.files import fsync_dir

    calls = _record_fsyncs(monkeypatch)
    fsync_dir(tmp_path)
    assert [(kind, ino) for kind, ino, _ in calls] == [("dir", tmp_path.stat().st_ino)]
    with pytest.raises(OSError):
        fsync_dir(tmp_path / "missing")


@pytest.mark.skipif(os.name == "nt", reason="Windows cannot open a folder to flush it")
def test_atomic_write_flushes_the_file_then_the_folder_after_the_rename(tmp_path, monkeypatch):
    from core.model.files import atomic_write_bytes

    target = tmp_path / "sub" / "card.json"
    target.parent.mkdir()
    target.write_bytes(b"old")
    calls = _record_fsyncs(monkeypatch, target)
    atomic_write_bytes(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    # The temporary file is flushed while the old file is still in place; then the folder holding the
    # renamed file is flushed, after the rename (the new bytes are already under the target's name).
    assert calls == [("file", calls[0][1], b"old"), ("dir", target.parent.stat().st_ino, b"new")]


def test_a_folder_that_cannot_be_flushed_still_saves(tmp_path, monkeypatch, caplog):
    """Some file systems refuse to fsync a folder: the file is in place, so the save succeeds with a warning."""
    import core.model.files as files

    def refuse(folder):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(files, "fsync_dir", refuse)
    files.atomic_write_json(tmp_path / "card.json", {"a": 1})
    assert (tmp_path / "card.json").read_text() == '{\n  "a": 1\n}\n'
    assert "could not flush folder" in caplog.text
