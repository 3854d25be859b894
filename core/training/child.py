"""The training child process's side: load the data, run a session, report every step over a pipe.

Entry point :func:`run_child`, started by ``core.training.process.TrainProcess``.
No Qt: this runs in the child, and its first message (``ChildHello``) lists any
Qt modules loaded, so a test can hold it to that.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading

import numpy as np

from core.training.protocol import (
    ChildHello,
    Control,
    DatasetInfo,
    Event,
    MessageKind,
    TrainJob,
    TrainOutcome,
    loaded_qt_modules,
)

CHILD_NICENESS = 5  # below the UI, so the camera and the window stay smooth


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


def _portable_error(exc: BaseException) -> BaseException:
    """The exception itself if it pickles, else a RuntimeError with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class _PipeListener:
    """A training-session listener that sends each report to the parent as an :class:`Event`."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()  # the session's thread and the main thread both send
        self.probe = None  # a core.training.projection_probe.ProjectionProbe, once the data is loaded

    def send(self, kind: MessageKind, payload=None) -> None:
        with self.lock:
            self.conn.send(Event(kind, payload))

    def on_start(self, info):
        self.send(MessageKind.START, info)

    def on_batch(self, progress):
        self.send(MessageKind.BATCH, progress)

    def on_epoch(self, metrics):
        if self.probe is not None:
            metrics.projection = self.probe.project()
        self.send(MessageKind.EPOCH, metrics)

    def on_log(self, message):
        self.send(MessageKind.LOG, message)


class ControlRelay:
    """Hands the parent's control messages to the training session, losing none.

    Messages can arrive before the session exists (while the data loads); they
    wait and are replayed when it is attached.  One lock covers both sides, so
    a message that arrives while the session is being attached is either
    replayed by :meth:`attach` or delivered straight to the session: never
    dropped in between (a lost stop made the window wait for every epoch).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._session = None
        self._pending: list[Control] = []

    def deliver(self, msg: Control) -> None:
        with self._lock:
            if self._session is None:
                self._pending.append(msg)
            else:
                getattr(self._session, msg.value)()

    def attach(self, session) -> None:
        with self._lock:
            self._session = session
            for msg in self._pending:
                getattr(session, msg.value)()
            self._pending.clear()

    def listen(self, control) -> None:
        """Deliver what arrives on the ``control`` pipe until a stop (a closed pipe counts as one)."""
        while True:
            try:
                msg = control.recv()
            except (EOFError, OSError):
                msg = Control.STOP
            self.deliver(msg)
            if msg is Control.STOP:
                return


def _load(job: TrainJob, out: _PipeListener):
    """The session for ``job`` on its data, after telling the parent what was loaded."""
    from core.training.data import fine_tune_shape
    from core.training.projection_probe import ProjectionProbe
    from core.training.session import TrainingSession
    from core.training.stream_data import load_for_training

    size, classes = fine_tune_shape(job.initial_model)  # fine-tuning reads the data at the model's size
    # In memory, or streamed from disk when it is too big (or the settings say so): core.training.stream_data
    ds = load_for_training(job.source, job.settings, kind=job.kind, image_size=size, classes=job.classes or classes)
    session = TrainingSession(ds, job.settings, out, out=job.out, builder=job.builder,
                              initial_model=job.initial_model)
    ds = session.dataset  # as the session trains on it (a preset may move validation images to training)
    if job.max_per_class > 0:
        ds.train = ds.train.take(take_per_class(ds.train.y, job.max_per_class))
    out.send(MessageKind.LOG, ds.describe())
    for _, reason in ds.skipped[:5]:
        out.send(MessageKind.LOG, f"skipped: {reason}")
    picks = strip_indices(ds.val.y, ds.num_classes, job.strip_size)
    out.probe = probe = ProjectionProbe.for_split(session, ds.val, ds.num_classes)
    session.val_forward = probe.validation_probabilities if probe else None
    out.send(MessageKind.DATASET, DatasetInfo(
        list(ds.class_names),
        {"train": len(ds.train), "val": len(ds.val), "test": len(ds.test)},
        np.asarray(ds.val.x[picks]) if picks else np.zeros((0, 1, 1, 3), np.uint8),  # (read now if streamed)
        [int(ds.val.y[i]) for i in picks], picks,
        probe.thumbnails() if probe else None, probe.labels if probe else None,
    ))
    return session


def _train(job: TrainJob, out: _PipeListener, relay: ControlRelay) -> TrainOutcome | None:
    from core.device import import_backend_quietly
    from core.training.mistakes import misclassified

    out.send(MessageKind.LOG, f"{job.title}: loading {job.source} …")
    import_backend_quietly()
    import core.training.session  # noqa: F401  (imported before the hello, so it reports on the training code)

    out.send(MessageKind.HELLO, ChildHello(os.getpid(), loaded_qt_modules()))
    session = _load(job, out)
    relay.attach(session)
    if session.stop_requested:
        out.send(MessageKind.LOG, "stopped before training began")
        return None
    result = session.run()
    ds = session.dataset
    wrong = misclassified(ds.test.x, ds.test.y, result.test_predictions, list(ds.class_names))
    return TrainOutcome(result, list(ds.class_names), np.asarray(wrong.images), wrong.true, wrong.predicted)


def _compare(job, out: _PipeListener, relay: ControlRelay):
    """The residual-vs-plain experiment (``core.explain.compare``), reported like a training run."""
    from core.device import import_backend_quietly

    out.send(MessageKind.LOG, f"{job.title}: loading {job.source} …")
    import_backend_quietly()
    from core.explain.compare import CompareRun, load_compare_data

    out.send(MessageKind.HELLO, ChildHello(os.getpid(), loaded_qt_modules()))
    run = CompareRun(load_compare_data(job.source, job.settings), job.settings, out)
    relay.attach(run)
    if run.stop_requested:
        out.send(MessageKind.LOG, "stopped before training began")
        return None
    return run.run()


def run_child(job: TrainJob, events, control) -> None:
    """Entry point of the child process: ``events`` and ``control`` are its ends of the two pipes."""
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        try:
            os.nice(CHILD_NICENESS)
        except OSError:
            pass
    logging.basicConfig(level=logging.WARNING)
    out = _PipeListener(events)
    relay = ControlRelay()
    threading.Thread(target=relay.listen, args=(control,), name="train-control", daemon=True).start()
    from core.explain.compare import CompareJob

    try:
        out.send(MessageKind.FINISH, (_compare if isinstance(job, CompareJob) else _train)(job, out, relay))
    except BaseException as exc:  # everything goes back to the window as a message
        out.send(MessageKind.ERROR, _portable_error(exc))
        out.send(MessageKind.FINISH, None)
    finally:
        events.close()
        # The model and run card are saved; skip TensorFlow's slow (sometimes hanging) interpreter teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
