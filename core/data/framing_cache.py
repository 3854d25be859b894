"""The hand's square for every image of a streamed dataset, found once and remembered on disk.

Hand finding costs far more than decoding (a palm detector and a landmark
model per photo), so a streamed run does not repeat it every epoch: before the
split, :func:`frame_split` runs the framing once per image and stores each
image's square (or "none": the centre square) in a JSON file in the cache
folder (``core.paths.cache_dir() / "framing"``, one file per folder and hand
finder version, ``core.hands.version``), keyed by the file's path,
size and modification time (an HDF5 row: the file's and the row number).  The
next run over the same files reads the squares back and finds no hand again.
Images that cannot be read are skipped here with a warning, as the in-memory
path skips them.  The cache holds 4 integers per image, not pixels.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from core.data.splits import Split
from core.errors import DataError
from core.hands.version import finder_version
from core.images import Region

log = logging.getLogger(__name__)

SAVE_EVERY = 2000  # new squares between saves, so an interrupted first pass keeps its work


def _key(src, i: int) -> str:
    path = src.files[i] if src.h5 is None else src.h5[0]
    st = os.stat(path)
    return f"{path}|{st.st_size}|{st.st_mtime_ns}" + ("" if src.h5 is None else f"#{src.h5[1]}#{i}")


def cache_file(split: Split) -> Path:
    """One cache file per set of source files (their common folder names it)."""
    from core.paths import cache_dir

    names = sorted({src.files[0] if src.h5 is None else src.h5[0] for src, _ in split.x.items[:1]})
    tag = hashlib.blake2b("|".join(str(Path(n).parent) for n in names).encode(), digest_size=8).hexdigest()
    return cache_dir() / "framing" / f"{tag}-{finder_version()}.json"  # a changed finder starts a new file


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save(path: Path, table: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(table))
        os.replace(tmp, path)
    except OSError as exc:  # the cache is an optimisation: a read-only cache folder costs speed, not the run
        log.warning("could not save the framing cache %s: %s", path, exc)


def frame_split(split: Split, framing, skipped: list) -> Split:
    """``split`` with each image's square set on its source (cached or found now); unreadable images dropped."""
    if not len(split):
        return split
    path = cache_file(split)
    table = _load(path)
    keep: list[int] = []
    new = found = 0
    for k, (src, i) in enumerate(split.x.items):
        key = _key(src, i)
        if key not in table:
            try:
                region = framing(src.read_full(i))
            except DataError as exc:
                log.warning("skipping %s", exc)
                skipped.append((src.name(i), str(exc)))
                continue
            table[key] = None if region is None else [region.x, region.y, region.w, region.h]
            new += 1
            if new % SAVE_EVERY == 0:
                _save(path, table)
        box = table[key]
        src.regions[i] = None if box is None else Region(*box)
        found += box is not None
        keep.append(k)
    if new:
        _save(path, table)
    log.info("framing: hand found in %d of %d images (%d looked at now, the rest from %s)", found, len(keep), new,
             path)
    return split.take(np.asarray(keep, np.int64)) if len(keep) < len(split) else split
