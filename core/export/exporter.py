"""One export, start to end: load the model, write it in a format, check it in its runtime, write the folder.

The CLI (``handsign export``) and the app (File → Export…) both call
:func:`export_model`; ``progress`` receives one line per step.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import HandSignError
from core.export.formats import ExportFormat, check_dependencies, float32_model, get_format, write_model
from core.export.labels import labels_contract
from core.export.parity import keras_probabilities, parity_images, parity_report
from core.export.readme import readme_text
from core.export.runtimes import load_runtime, predict_in_batches
from core.export.webcam import webcam_script

log = logging.getLogger(__name__)


@dataclass
class ExportResult:
    folder: Path
    format: ExportFormat
    model_path: Path  # the exported model's file or folder
    parity: dict


def export_model(model_path: str | os.PathLike, format_name: str, out_dir: str | os.PathLike, *,
                 data: str | None = None, progress: Callable[[str], None] = lambda _line: None) -> ExportResult:
    """Export ``model_path`` as ``format_name`` into the folder ``out_dir`` (created if needed).

    ``data`` is the dataset for parity and int8 calibration (default: SIGNS in the data folder).
    Raises :class:`HandSignError` subclasses with one-line reasons.
    """
    from core.model.files import load_model

    fmt = get_format(format_name)
    check_dependencies(fmt)
    out = _prepare_folder(Path(out_dir).expanduser())
    progress(f"Loading {Path(model_path).name}…")
    model, info = load_model(model_path)
    labels = labels_contract(info)
    model = float32_model(model)
    progress("Reading images for the parity check…")
    images = parity_images(info.input_size, list(info.class_names), data)
    scale, offset = labels["input"]["scale"], labels["input"]["offset"]
    test_x = images.test.astype("float32") * scale + offset
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as work:
        progress(f"Exporting {fmt.title}…")
        written = _write(model, fmt, Path(work) / fmt.model_name, images.calibration.astype("float32") * scale + offset)
        progress(f"Checking the export in {fmt.runtime}…")
        predict, runtime = load_runtime(fmt, written)
        report = parity_report(keras_probabilities(model, test_x), predict_in_batches(predict, test_x), images.labels,
                               runtime=runtime, source=images.source)
        report["format"] = fmt.name
        target = out / fmt.model_name
        _remove(target)
        os.replace(written, target)
    progress("Writing labels.json, README.md, webcam.py and parity.json…")
    _write_text(out / "labels.json", json.dumps(labels, indent=2) + "\n")
    _write_text(out / "parity.json", json.dumps(report, indent=2) + "\n")
    _write_text(out / "webcam.py", webcam_script(fmt))
    _write_text(out / "README.md", readme_text(fmt, labels, report, Path(model_path).name))
    return ExportResult(out, fmt, target, report)


def _prepare_folder(out: Path) -> Path:
    from core.paths import write_problem

    if out.exists() and not out.is_dir():
        raise HandSignError(f"{out}: is a file; give a folder to export into")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HandSignError(f"cannot create the export folder {out}: {exc.strerror or exc}") from None
    reason = write_problem(out)
    if reason is not None:
        raise HandSignError(f"cannot write the export to {out}: {reason}; choose another folder")
    return out


def _write(model, fmt: ExportFormat, target: Path, calibration) -> Path:
    """The export itself; a converter's long failure becomes one line (its first), and the log keeps the rest."""
    try:
        return write_model(model, fmt, target, calibration)
    except (ImportError, ValueError, RuntimeError, TypeError) as exc:
        log.exception("%s export failed", fmt.name)
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise HandSignError(f"{fmt.title} export failed: {first[:300]}") from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _write_text(path: Path, text: str) -> None:
    from core.model.files import atomic_write_bytes

    atomic_write_bytes(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
