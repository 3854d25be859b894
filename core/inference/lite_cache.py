"""The cache of converted TensorFlow Lite models, keyed by the model file itself.

An entry is two files in the cache folder (``<cache>/tflite``): ``<key>.tflite``,
the converted flatbuffer, and ``<key>.json``, a sidecar saying that the
conversion was checked against the Keras model and what it was checked for.
The key is a hash of the model file's bytes and of :data:`CACHE_FORMAT`, so it
is computed from the file alone, without Keras; a model file that changes gets
a new key.

Only the full TensorFlow path (``core.inference.fast.lite_forward``) writes
entries, after its check passed.  The TensorFlow-free path
(``core.inference.lite``) reads only an entry whose sidecar names this very
file (size and hash), records a passed check, and whose flatbuffer still has
the recorded hash; anything else reads as "no entry", and the caller falls
back to the full path, which converts again and rewrites the entry.

A model file can also carry its conversion beside it (the shipped model: the
build writes ``handsign_resnet50.tflite`` and ``handsign_resnet50.tflite.json``
with ``python -m core.inference.prepare``): the same two files under
:func:`sibling_paths`, read with the same checks by :func:`read_checked_at`,
so a fresh user folder starts as fast as a warm one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from core.model.files import atomic_write_bytes, atomic_write_json

log = logging.getLogger(__name__)

CACHE_FORMAT = "handsign-tflite-cache/3"  # a change of entry layout or conversion recipe: new keys
CACHE_KEEP = 4  # entries kept (ResNet-50: about 24 MB each at dynamic int8, 94 MB in float32)
PROBE_SEED = 0  # the probe image: np.random.default_rng(PROBE_SEED).random((1, H, W, 3), float32)


@dataclass(frozen=True)
class ModelFileId:
    """Which model file an entry belongs to, and at which precision it is converted
    (``core.inference.precision``: each precision has its own entry)."""

    sha256: str
    size: int
    mtime_ns: int
    precision: str = "float32"

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{CACHE_FORMAT} {self.precision} {self.sha256}".encode()).hexdigest()[:32]


def model_file_id(path: str | os.PathLike, precision: str | None = None) -> ModelFileId:
    """Hash the model file (about 0.06 s for the 43 MB shipped model); ``OSError`` if unreadable.
    ``precision`` defaults to the one asked for (``core.inference.precision.inference_precision``)."""
    from core.inference.precision import inference_precision

    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        st = os.fstat(fh.fileno())
    return ModelFileId(digest, st.st_size, st.st_mtime_ns, precision or inference_precision())


def entry_paths(folder: Path, file_id: ModelFileId) -> tuple[Path, Path]:
    """``(flatbuffer, sidecar)`` paths of the entry for ``file_id``."""
    return Path(folder) / f"{file_id.key}.tflite", Path(folder) / f"{file_id.key}.json"


def store(folder: Path, file_id: ModelFileId, blob: bytes, *, check: dict) -> None:
    """Write a checked entry: the flatbuffer first, then the sidecar that vouches for it.

    ``check`` records the check that passed: ``tolerance``, ``max_difference``,
    ``probe_output`` (the Keras model's probabilities on the probe image, which
    the TensorFlow-free path compares its interpreter against) and
    ``converter``.  Raises ``OSError`` when the folder cannot be written.
    """
    flatbuffer, sidecar = entry_paths(folder, file_id)
    atomic_write_bytes(flatbuffer, lambda tmp: tmp.write_bytes(blob))
    atomic_write_json(sidecar, {
        "format": CACHE_FORMAT,
        "key": file_id.key,
        "model_file": {"sha256": file_id.sha256, "size": file_id.size, "mtime_ns": file_id.mtime_ns},
        "flatbuffer": {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)},
        "checked": True,
        **check,
    })
    prune(Path(folder))


def sibling_paths(model_path: str | os.PathLike) -> tuple[Path, Path]:
    """``(flatbuffer, sidecar)`` of the conversion shipped next to a model file: ``m.tflite``, ``m.tflite.json``."""
    flatbuffer = Path(model_path).with_suffix(".tflite")
    return flatbuffer, flatbuffer.with_name(flatbuffer.name + ".json")


def _read_sidecar_at(sidecar: Path, file_id: ModelFileId) -> dict | None:
    """The sidecar at ``sidecar`` if it vouches for exactly this file (format, key, hash, size), else None."""
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("no usable TensorFlow Lite cache sidecar %s (%s)", sidecar, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("key") != file_id.key:
        return None
    model = data.get("model_file")
    if (data.get("checked") is not True or not isinstance(model, dict)
            or model.get("sha256") != file_id.sha256 or model.get("size") != file_id.size):
        return None
    return data


def read_checked(folder: Path, file_id: ModelFileId) -> tuple[bytes, dict] | None:
    """``(flatbuffer bytes, sidecar)`` of a checked entry for exactly this model file, or None.

    The flatbuffer must have the hash its sidecar recorded: a damaged or
    replaced flatbuffer is never handed to the interpreter.
    """
    return read_checked_at(*entry_paths(folder, file_id), file_id)


def read_checked_at(flatbuffer: Path, sidecar: Path, file_id: ModelFileId) -> tuple[bytes, dict] | None:
    """:func:`read_checked` for an entry at explicit paths (a conversion beside the model, :func:`sibling_paths`)."""
    data = _read_sidecar_at(sidecar, file_id)
    if data is None:
        return None
    recorded = data.get("flatbuffer")
    try:
        blob = flatbuffer.read_bytes()
    except OSError:
        return None
    if not isinstance(recorded, dict) or hashlib.sha256(blob).hexdigest() != recorded.get("sha256"):
        log.info("cached TensorFlow Lite model %s does not match its sidecar; not used", flatbuffer)
        return None
    return blob, data


def write_entry_at(flatbuffer: Path, sidecar: Path, blob: bytes, data: dict) -> None:
    """Write a checked entry (``blob`` and its sidecar ``data``, as :func:`read_checked` returned them) at
    explicit paths: the flatbuffer first, then the sidecar that vouches for it.  ``OSError`` if unwritable."""
    atomic_write_bytes(flatbuffer, lambda tmp: tmp.write_bytes(blob))
    atomic_write_json(sidecar, data)


def touch(folder: Path, file_id: ModelFileId) -> None:
    """Mark an entry as just used (pruning keeps the most recently used)."""
    try:
        os.utime(entry_paths(folder, file_id)[0])
    except OSError:
        pass


def prune(folder: Path, keep: int = CACHE_KEEP) -> None:
    """Keep the ``keep`` most recently used entries (and drop sidecars left without a flatbuffer)."""
    files = sorted(folder.glob("*.tflite"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)
    for sidecar in folder.glob("*.json"):
        if not sidecar.with_suffix(".tflite").exists():
            sidecar.unlink(missing_ok=True)
