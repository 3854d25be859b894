"""Build step: put a model file's checked TensorFlow Lite conversion beside it, so the app never waits for it.

``python -m core.inference.prepare [MODEL.keras ...]`` (default: the shipped
model) converts each model through the full path's own conversion and check
(``core.inference.fast.lite_forward``) and writes ``MODEL.tflite`` and
``MODEL.tflite.json`` next to it (``core.inference.lite_cache.sibling_paths``).
``core.inference.lite.open_lite_classifier`` reads that pair when the user's
cache has no entry, so the first launch of a fresh install classifies without
importing TensorFlow.  A model whose pair already vouches for its bytes is
skipped (``make run`` calls this every time; it costs a hash).

The shipped ResNet-50's flatbuffer is about 24 MB at the default dynamic-int8
precision (94 MB in float32, ``core.inference.precision``), more than the
repository's asset budget leaves, so it is built (``make venv``/``make run``,
the packaging spec), never committed (``.gitignore``).  The pair is for the
precision asked for when it was built; under another ``HANDSIGN_PRECISION`` the
app converts into the user's cache instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from core.errors import HandSignError
from core.inference import lite_cache

log = logging.getLogger(__name__)


def sibling_is_current(model_path: Path) -> bool:
    """True when the conversion beside ``model_path`` is checked for exactly this file's bytes and is intact.

    Reads the files only (no interpreter: a build environment may lack LiteRT); the app's
    ``open_lite_classifier`` also runs the recorded probe through LiteRT before trusting it."""
    try:
        file_id = lite_cache.model_file_id(model_path)
    except OSError:
        return False
    return lite_cache.read_checked_at(*lite_cache.sibling_paths(model_path), file_id) is not None


def prepare(model_path: Path) -> bool:
    """Write the checked conversion beside ``model_path``; False when it was already current.

    Raises ``HandSignError`` when the model cannot be converted or its
    conversion fails the check (nothing is written then)."""
    model_path = Path(model_path)
    if sibling_is_current(model_path):
        return False
    from core.device import import_backend_quietly

    import_backend_quietly()
    from core.inference.fast import constant_forward, lite_forward
    from core.model.files import load_model

    file_id = lite_cache.model_file_id(model_path)  # before loading: the key of the bytes that are loaded
    model, _ = load_model(model_path)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if lite_forward(model, constant_forward(model), folder, file_id=file_id) is None:
            raise HandSignError(f"{model_path}: could not be converted for TensorFlow Lite (see the log)")
        entry = lite_cache.read_checked(folder, file_id)
    if entry is None:
        raise HandSignError(f"{model_path}: the TensorFlow Lite conversion was not checked; nothing written")
    lite_cache.write_entry_at(*lite_cache.sibling_paths(model_path), *entry)
    if not sibling_is_current(model_path):
        raise HandSignError(f"{model_path}: the conversion written beside it does not open; check the folder")
    return True


def main(argv: list[str] | None = None) -> int:
    from core.paths import shipped_model_path

    p = argparse.ArgumentParser(prog="python -m core.inference.prepare", description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", type=Path, help="model files (default: the shipped model)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        for model in args.models or [shipped_model_path()]:
            if not model.is_file():
                raise HandSignError(f"{model}: no such model file")
            wrote = prepare(model)
            flatbuffer, _ = lite_cache.sibling_paths(model)
            print(f"{flatbuffer}: {'written' if wrote else 'up to date'}", flush=True)
    except (HandSignError, OSError) as exc:
        print(f"handsign: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
