"""Saving a training checkpoint: ``core.model.files.save_model`` now against the save it replaced.

A run saves its best checkpoint after most epochs (the quick preset: 8 of 12 on
SIGNS), so the save is part of every epoch a class waits for.

* ``deflated`` (until 2026-12): Keras writes its archive, then every entry is read
  back and written into a new zip with ``ZIP_DEFLATED`` (ResNet-50's 94 MB of
  float32 weights compress by about 8 %, for about 3.4 s of one core).
* ``stored`` (now): Keras's own archive (weights stored) with ``handsign.json``
  appended.  Float16 files (the shipped model) are still deflated.

Both write the notebook's ResNet-50 (64x64x3, 6 classes, float32 weights)
atomically to the same folder, alternating, ``--rounds`` times each; the table
gives the medians and their ratio.  Run as ``python -m bench.save [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import RESULTS, cpu_model


def _deflated_save(model, path: Path, info) -> None:
    """The save until 2026-12: Keras's archive rewritten entry by entry with ZIP_DEFLATED."""
    from core.model.files import META_ENTRY, atomic_write_bytes

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".save-") as work:
            plain = Path(work) / "model.keras"
            model.save(plain)
            with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
                for item in zin.infolist():
                    zout.writestr(item.filename, zin.read(item.filename))
                zout.writestr(META_ENTRY, json.dumps(info.to_json(), indent=2, default=str))

    atomic_write_bytes(path, write)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from core.model.files import ModelInfo, load_model, save_model
    from core.model.resnet import ResNet50

    model = ResNet50((64, 64, 3), 6)
    info = ModelInfo([str(i) for i in range(6)], (64, 64))
    times: dict[str, list[float]] = {"deflated": [], "stored": []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-save-") as tmp:
        for _ in range(args.rounds):
            for name in times:
                path = Path(tmp) / f"{name}.keras"
                t0 = time.perf_counter()
                if name == "stored":
                    save_model(model, path, info)
                else:
                    _deflated_save(model, path, info)
                times[name].append(time.perf_counter() - t0)
                sizes[name] = path.stat().st_size
        load_model(Path(tmp) / "stored.keras")  # the new file loads
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["stored"] / med["deflated"]
    lines = ["# Checkpoint save: deflated rewrite (until 2026-12) vs Keras's stored archive (now)", "",
             f"CPU: {cpu_model()}, {os.cpu_count()} cores; ResNet-50 64x64x3, 6 classes, float32 weights; "
             f"{args.rounds} alternating rounds; `python -m bench.save --rounds {args.rounds}`.", "",
             "| save | median | file |", "| --- | --- | --- |"]
    lines += [f"| {k} | {med[k]:.2f} s | {sizes[k] / 1e6:.1f} MB |" for k in times]
    lines += ["", f"**stored / deflated: {ratio:.2f}x** (time), {sizes['stored'] / sizes['deflated']:.2f}x (size)", ""]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "save.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
