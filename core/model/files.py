"""Saving and loading Hand Sign Studio model files.

A model file is a normal Keras 3 ``.keras`` archive with one extra entry,
``handsign.json``, holding what is needed to use the model without flags:
class names, input size, the preprocessing scheme and the run card.  Keras
ignores the extra entry, so any Keras can still load the file.

Saves are atomic: the archive is written to a temporary file in the target
folder, flushed to disk and renamed over the target, so a crash, a full disk
or a kill mid-save leaves the previous file intact; the folder is then flushed
too, so a power cut cannot lose the rename itself.  Loads use Keras safe mode,
so a file carrying code (a ``Lambda`` layer) is refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ModelFileError
from core.images import PREPROCESSING

log = logging.getLogger(__name__)

META_ENTRY = "handsign.json"
FORMAT = "hand-sign-studio/1"


@dataclass
class ModelInfo:
    class_names: list[str]
    input_size: tuple[int, int]
    preprocessing: str = PREPROCESSING
    architecture: str = "ResNet50"
    run_card: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "class_names": list(self.class_names),
            "input_size": list(self.input_size),
            "preprocessing": self.preprocessing,
            "architecture": self.architecture,
            "run_card": self.run_card,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> ModelInfo:
        return ModelInfo(
            class_names=[str(c) for c in data["class_names"]],
            input_size=(int(data["input_size"][0]), int(data["input_size"][1])),
            preprocessing=str(data.get("preprocessing", PREPROCESSING)),
            architecture=str(data.get("architecture", "")),
            run_card=dict(data.get("run_card") or {}),
        )


STALE_TEMP_SECONDS = 3600


def sweep_stale_temps(path: Path, max_age: float = STALE_TEMP_SECONDS) -> int:
    """Remove what a killed save left next to ``path``: its ``.<name>.*.tmp`` files and
    ``.save-*`` folders older than ``max_age`` seconds (a live save is never that old)."""
    import time

    now, removed = time.time(), 0
    leftovers = list(path.parent.glob(f".{path.name}.*.tmp")) + list(path.parent.glob(".save-*"))
    for p in leftovers:
        try:
            if now - p.stat().st_mtime <= max_age:
                continue
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries (a rename into it) to disk.

    On POSIX a rename lives in the folder, not in the file: until the folder is
    fsynced, a power cut can bring back the old name.  Windows cannot open a
    folder for fsync (and NTFS journals the rename), so there it does nothing.
    """
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then atomically rename ``tmp_path`` onto ``path`` and flush the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; saved files get the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        fsync_dir(path.parent)
    except OSError as exc:  # the new file is in place; only its durability across a power cut is unknown
        log.warning("could not flush folder %s after saving %s: %s", path.parent, path.name, exc)


def atomic_write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    atomic_write_bytes(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _halve_weights(h5_path: Path) -> None:
    """Store float32 weights as float16 (Keras casts back to the variable dtype on load)."""
    import h5py
    import numpy as np

    out = h5_path.with_suffix(".f16.h5")
    with h5py.File(h5_path, "r") as src, h5py.File(out, "w") as dst:

        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                if getattr(data, "dtype", None) == np.float32:
                    data = data.astype(np.float16)
                dst.create_dataset(name, data=data)
                for k, v in obj.attrs.items():
                    dst[name].attrs[k] = v
            else:
                grp = dst.require_group(name)
                for k, v in obj.attrs.items():
                    grp.attrs[k] = v

        for k, v in src.attrs.items():
            dst.attrs[k] = v
        src.visititems(copy)
    os.replace(out, h5_path)


def save_model(model, path: str | os.PathLike, info: ModelInfo, *, weights_dtype: str = "float32",
               extras: dict[str, bytes] | None = None) -> Path:
    """Save ``model`` with ``info`` (and ``extras``: more archive entries, e.g. the hand-shape head) to
    ``path`` (``.keras``) atomically.

    ``weights_dtype="float16"`` halves the file (ResNet-50: 94 MB -> 47 MB).
    Raises :class:`ModelFileError` if the target cannot be written; the old file
    is then untouched.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelFileError(f"{path}: model files must end in .keras")

    meta = json.dumps(info.to_json(), indent=2, default=str)
    entries = {META_ENTRY: meta, **(extras or {})}

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".save-") as work:
            plain = Path(work) / "model.keras"
            model.save(plain)
            if weights_dtype == "float16":
                _write_halved(plain, tmp, Path(work), entries)
            else:  # Keras's own archive (weights stored, not deflated: 0.5 s, not 4) plus our entries
                with zipfile.ZipFile(plain, "a", zipfile.ZIP_DEFLATED) as zf:
                    for name, data in entries.items():
                        zf.writestr(name, data)
                os.replace(plain, tmp)

    try:
        atomic_write_bytes(path, write)
    except OSError as exc:
        raise ModelFileError(f"could not save the model to {path}: {exc.strerror or exc}; the previous file is unchanged") from None
    return path


def _write_halved(plain: Path, tmp: Path, work: Path, entries: dict[str, str | bytes]) -> None:
    """``plain``'s archive with float16 weights, deflated (the shipped model's small file), plus ``entries``."""
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "model.weights.h5":
                h5 = work / "model.weights.h5"
                h5.write_bytes(data)
                _halve_weights(h5)
                data = h5.read_bytes()
            zout.writestr(item.filename, data)
        for name, data in entries.items():
            zout.writestr(name, data)


def read_info(path: str | os.PathLike) -> ModelInfo | None:
    """The ``handsign.json`` of a model file, or None for a plain Keras file (the whole archive checked)."""
    path = Path(path)
    _check_archive(path)
    return read_metadata(path)


def read_metadata(path: str | os.PathLike) -> ModelInfo | None:
    """The ``handsign.json`` entry alone, or None for a plain Keras file; no Keras, no archive check.

    For a file already known to be good (``core.inference.lite`` has matched its
    hash); anything else goes through :func:`read_info`.  Raises
    :class:`ModelFileError` (or ``zipfile.BadZipFile`` / ``OSError``) when unreadable.
    """
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        if META_ENTRY not in zf.namelist():
            return None
        try:
            return ModelInfo.from_json(json.loads(zf.read(META_ENTRY)))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ModelFileError(f"{path}: its {META_ENTRY} is damaged ({exc})") from None


def _check_archive(path: Path) -> None:
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder; give a .keras model file")
    if path.suffix.lower() in (".h5", ".hdf5"):
        raise ModelFileError(f"{path}: legacy HDF5 models are not supported; use a .keras model file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: not a valid .keras model file (damaged or truncated: {exc})") from None
    if bad is not None:
        raise ModelFileError(f"{path}: damaged model file (entry {bad} fails its checksum)")
    if "config.json" not in names or "model.weights.h5" not in names:
        raise ModelFileError(f"{path}: not a Keras model archive (no config.json / model.weights.h5)")


def load_model(path: str | os.PathLike):
    """Load a ``.keras`` model in Keras safe mode.  Returns ``(model, ModelInfo)``.

    Plain Keras classifiers without ``handsign.json`` load too; their classes are
    named ``0..N-1`` and their input size comes from the model.
    """
    path = Path(path)
    info = read_info(path)
    import keras

    caught: list = []
    try:
        # Keras warns (several lines on stderr) about parts of a bad file it skips; the
        # error below says it in one line, so keep the warnings for the log only.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for bad archives
        if "safe_mode" in str(exc) or "Lambda" in str(exc) or "unsafe" in str(exc).lower():
            raise ModelFileError(
                f"{path}: refused: the model contains code (e.g. a Lambda layer), which safe mode does not load"
            ) from None
        raise ModelFileError(f"{path}: could not load the model ({_load_failure_reason(exc)})") from None
    finally:
        for w in caught:
            log.info("loading %s: %s", path, w.message)
    in_shape = getattr(model, "input_shape", None)
    out_shape = getattr(model, "output_shape", None)
    if isinstance(in_shape, list) or isinstance(out_shape, list) or in_shape is None or out_shape is None:
        raise ModelFileError(f"{path}: not an image classifier (it needs exactly one input and one output)")
    if len(in_shape) != 4 or in_shape[-1] != 3 or len(out_shape) != 2 or not out_shape[-1]:
        raise ModelFileError(
            f"{path}: not an image classifier Hand Sign Studio can use (input {in_shape}, output {out_shape}; "
            "expected (None, H, W, 3) -> (None, classes))"
        )
    n_classes = int(out_shape[-1])
    if info is None:
        if not in_shape[1] or not in_shape[2]:
            raise ModelFileError(f"{path}: the model's input size is not fixed ({in_shape})")
        info = ModelInfo([str(i) for i in range(n_classes)], (int(in_shape[1]), int(in_shape[2])), architecture=model.name)
    if len(info.class_names) != n_classes:
        raise ModelFileError(f"{path}: {len(info.class_names)} class names but the model has {n_classes} outputs")
    if info.preprocessing != PREPROCESSING:
        raise ModelFileError(f"{path}: unknown preprocessing {info.preprocessing!r}")
    return model, info


def update_run_card(path: str | os.PathLike, run_card: dict[str, Any]) -> Path:
    """Replace the run card stored inside a model file, atomically (the weights are copied as they are)."""
    path = Path(path)
    info = read_info(path)
    if info is None:
        raise ModelFileError(f"{path}: not a Hand Sign Studio model file (no {META_ENTRY})")
    info.run_card = dict(run_card)
    return replace_entries(path, {META_ENTRY: json.dumps(info.to_json(), indent=2, default=str)})


def replace_entries(path: str | os.PathLike, entries: dict[str, str | bytes | None]) -> Path:
    """Write ``entries`` into a model file's archive, atomically (None removes one); the rest is copied as it is."""
    path = Path(path)
    _check_archive(path)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                if item.filename not in entries:
                    zout.writestr(item, zin.read(item.filename))
            for name, data in entries.items():
                if data is not None:
                    zout.writestr(name, data)

    try:
        atomic_write_bytes(path, write)
    except OSError as exc:
        raise ModelFileError(f"could not update {path}: {exc.strerror or exc}; the previous file is unchanged") from None
    return path


def read_entry(path: str | os.PathLike, name: str) -> bytes | None:
    """One archive entry of a model file, or None when it has none; ``ModelFileError`` when unreadable."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read(name) if name in zf.namelist() else None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: cannot read its {name} ({exc})") from None


def _load_failure_reason(exc: Exception) -> str:
    """One readable line from Keras's (often many-line) loading error."""
    text = str(exc)
    m = re.search(r"Could not locate (class|function) '([^']+)'", text)
    if m:
        return f"it needs the {m.group(1)} '{m.group(2)}', which is not part of Keras (custom code this app does not load)"
    m = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))", text)
    if m:
        return f"its weights do not match its layers (a layer needs {m.group(1)}, the file holds {m.group(2)})"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(first) > 200:
        first = first[:200].rsplit(" ", 1)[0] + " …"
    return f"{type(exc).__name__}: {first.rstrip(':')}"


def copy_model(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Atomically copy a model file (e.g. "Save as…")."""
    dst = Path(dst)
    try:
        atomic_write_bytes(dst, lambda tmp: shutil.copyfile(src, tmp))
    except OSError as exc:
        raise ModelFileError(f"could not save the model to {dst}: {exc.strerror or exc}") from None
    return dst
