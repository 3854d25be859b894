"""The training child process: runs a ``core`` training session and reports over a pipe.

Why a process: building and tracing a Keras model runs long stretches of
TensorFlow C++ that hold Python's GIL (measured: 0.4 s for a small CNN, over
2 s for ResNet-50 on 2 cores), and no thread priority can give the UI thread a
lock another thread holds.  In its own process the training has its own GIL;
the UI thread only reads small messages.  No Qt here: this module is imported
in the child.

Messages child -> parent are ``(kind, payload)`` tuples: ``dataset``, ``start``,
``batch``, ``epoch``, ``log``, ``finish`` (a TrainOutcome), ``error`` (an
exception).  Messages parent -> child: ``"stop"``, ``"pause"``, ``"resume"``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class TrainJob:
    source: str
    settings: Any  # core.training.session.TrainSettings
    out: Path
    kind: str = "auto"
    classes: list[str] | None = None  # restrict a class-folder tree to these (fine-tuning)
    initial_model: Path | None = None
    max_per_class: int = 0  # 0: all training images
    builder: Callable | None = None  # None: the notebook's ResNet-50
    strip_size: int = 12
    title: str = "training"


@dataclass
class DatasetInfo:
    description: str
    class_names: list[str]
    counts: dict[str, int]
    strip_images: np.ndarray  # fixed validation images for the "network learning" strip
    strip_labels: list[int]
    strip_index: list[int]  # their positions in the validation split


@dataclass
class TrainOutcome:
    result: Any  # core.training.session.TrainResult
    class_names: list[str]
    wrong_images: np.ndarray
    wrong_true: list[str]
    wrong_pred: list[str]

    @property
    def test_accuracy(self) -> float | None:
        rep = self.result.test_report
        return None if rep is None else float(rep["accuracy"])


def take_per_class(y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first ``k`` examples of each class (all when ``k`` <= 0)."""
    if k <= 0:
        return np.arange(len(y))
    idx = [np.flatnonzero(y == c)[:k] for c in np.unique(y)]
    return np.sort(np.concatenate(idx)) if idx else np.arange(0)


def strip_indices(y: np.ndarray, n_classes: int, size: int) -> list[int]:
    """A fixed, class-balanced pick of validation images (round-robin over classes)."""
    per_class = [list(np.flatnonzero(y == c)) for c in range(n_classes)]
    out: list[int] = []
    while len(out) < size and any(per_class):
        for lst in per_class:
            if lst and len(out) < size:
                out.append(int(lst.pop(0)))
    return out


CHILD_NICENESS = 5  # below the UI, so the camera and the window stay smooth


def _portable_error(exc: BaseException) -> BaseException:
    """The exception itself if it pickles, else a RuntimeError with its message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class _PipeListener:
    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, kind, payload=None):
        with self.lock:
            self.conn.send((kind, payload))

    def on_start(self, info):
        self.send("start", info)

    def on_batch(self, progress):
        self.send("batch", progress)

    def on_epoch(self, metrics):
        self.send("epoch", metrics)

    def on_log(self, message):
        self.send("log", message)


def run_child(job, events, control) -> None:
    """Entry point of the child process."""
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        try:
            os.nice(CHILD_NICENESS)
        except OSError:
            pass
    logging.basicConfig(level=logging.WARNING)
    out = _PipeListener(events)
    session_box: dict = {}
    pending: list[str] = []

    def watch_control():
        while True:
            try:
                msg = control.recv()
            except (EOFError, OSError):
                msg = "stop"
            session = session_box.get("session")
            if session is None:
                pending.append(msg)
            elif msg == "stop":
                session.stop()
            elif msg == "pause":
                session.pause()
            elif msg == "resume":
                session.resume()
            if msg == "stop":
                return

    threading.Thread(target=watch_control, name="train-control", daemon=True).start()
    try:
        out.send("log", f"{job.title}: loading {job.source} …")
        from core.device import import_backend_quietly

        import_backend_quietly()
        from core.data.datasets import load_dataset
        from core.training.session import TrainingSession

        ds = load_dataset(job.source, kind=job.kind, val_split=job.settings.val_split, seed=job.settings.seed,
                          classes=job.classes)
        session = TrainingSession(ds, job.settings, out, out=job.out, builder=job.builder,
                                  initial_model=job.initial_model)
        ds = session.dataset  # as the session trains on it (a preset may move validation images to training)
        if job.max_per_class > 0:
            ds.train = ds.train.take(take_per_class(ds.train.y, job.max_per_class))
        out.send("log", ds.describe())
        for _, reason in ds.skipped[:5]:
            out.send("log", f"skipped: {reason}")
        picks = strip_indices(ds.val.y, ds.num_classes, job.strip_size)
        out.send("dataset", DatasetInfo(
            ds.describe(), list(ds.class_names),
            {"train": len(ds.train), "val": len(ds.val), "test": len(ds.test)},
            ds.val.x[picks] if picks else np.zeros((0, 1, 1, 3), np.uint8),
            [int(ds.val.y[i]) for i in picks], picks,
        ))
        if "stop" in pending:
            out.send("log", "stopped before training began")
            out.send("finish", None)
            return
        session_box["session"] = session
        for msg in pending:
            getattr(session, msg)()
        result = session.run()
        wrong_images = np.zeros((0,) + ds.test.x.shape[1:], np.uint8)
        wrong_true: list[str] = []
        wrong_pred: list[str] = []
        if result.test_predictions is not None:
            wrong = np.flatnonzero(result.test_predictions != ds.test.y)
            wrong_images = ds.test.x[wrong]
            wrong_true = [ds.class_names[int(ds.test.y[i])] for i in wrong]
            wrong_pred = [ds.class_names[int(result.test_predictions[i])] for i in wrong]
        out.send("finish", TrainOutcome(result, list(ds.class_names), wrong_images, wrong_true, wrong_pred))
    except BaseException as exc:  # everything goes back to the window as a message
        out.send("error", _portable_error(exc))
        out.send("finish", None)
    finally:
        events.close()
        # The model and run card are saved; skip TensorFlow's slow (sometimes hanging) interpreter teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
