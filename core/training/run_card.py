"""The run card: the JSON record of one training run (settings, data, versions, epochs, test, status).

A session starts it with :func:`new_run_card`, adds to it as it trains, and
saves it beside the model (and inside it).  A run that fails still leaves its
card, saying so: :func:`record_failure`.
"""

from __future__ import annotations

import dataclasses
import logging
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.model.files import atomic_write_json

log = logging.getLogger(__name__)


def library_versions() -> dict[str, str]:
    import keras

    versions = {"python": platform.python_version(), "keras": keras.__version__, "numpy": np.__version__}
    try:
        backend = keras.backend.backend()
        versions["backend"] = backend
        if backend == "tensorflow":
            import tensorflow as tf

            versions["tensorflow"] = tf.__version__
        elif backend == "jax":
            import jax

            versions["jax"] = jax.__version__
    except Exception:  # pragma: no cover - informational only
        pass
    return versions


def new_run_card(settings, dataset, started: float, initial_model: Path | None = None) -> dict[str, Any]:
    """The card of a run that is starting: ``settings`` (TrainSettings) on ``dataset`` at ``started`` (epoch s)."""
    ds = dataset
    card: dict[str, Any] = {
        "status": "running",
        "settings": dataclasses.asdict(settings),
        "dataset": {"source": ds.source, "kind": ds.kind, "train": len(ds.train), "val": len(ds.val),
                    "test": len(ds.test), "skipped_files": len(ds.skipped)},
        "class_names": list(ds.class_names),
        "input_size": list(ds.image_size),
        "seed": settings.seed,
        "device": settings.device,
        "versions": library_versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "epochs": [],
    }
    if initial_model:
        card["initial_model"] = str(initial_model)
    return card


def record_failure(card: dict[str, Any], exc: BaseException, path: Path | None) -> None:
    """Mark ``card`` failed with the error and write it to ``path`` (atomically), so it never claims "running"."""
    card["status"] = "failed"
    card["error"] = f"{type(exc).__name__}: {exc}"
    if path is None:
        return
    try:
        atomic_write_json(path, card)
    except OSError as write_error:  # the run's own error matters more; the caller raises it next
        log.warning("could not write the failed run's card %s: %s", path, write_error)
