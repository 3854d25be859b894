"""The training process through its real pipes: a spawned child trains a small real model on tiny files."""

from __future__ import annotations

import json
import sys
import threading
import time

import numpy as np
import pytest

from core.training.child import ControlRelay
from core.training.presets import settings_for
from core.training.process import Control, MessageKind, TrainJob, TrainProcess
from core.training.session import TrainingSession, TrainSettings
from tests.conftest import tiny_builder, write_image

EVENT_TIMEOUT = 120  # seconds: a spawned child imports TensorFlow before its first message


def _class_folders(root, per_class: int = 10, classes: int = 3):
    rng = np.random.default_rng(0)
    for c in range(classes):
        for i in range(per_class):
            img = np.full((64, 64, 3), 40 + 80 * c, np.uint8) + rng.integers(0, 30, (64, 64, 3), dtype=np.uint8)
            write_image(root / str(c) / f"{i}.png", img)
    return root


def _job(tmp_path, **settings) -> TrainJob:
    data = _class_folders(tmp_path / "data")
    values = dict(epochs=3, batch_size=4, augment=False, val_split=0.15)
    values.update(settings)
    return TrainJob(str(data), TrainSettings(**values), tmp_path / "out.keras", kind="folders", builder=tiny_builder,
                    title="test")


def _next(proc: TrainProcess, timeout: float = EVENT_TIMEOUT):
    assert proc.poll(timeout), f"no message from the training child within {timeout} s"
    return proc.next_event()


def _until(proc: TrainProcess, want, seen: list):
    """Read events into ``seen`` until one satisfies ``want``; that one is returned."""
    while True:
        event = _next(proc)
        seen.append(event)
        if want(event):
            return event
        assert event.kind is not MessageKind.FINISH, f"the run finished first: {seen[-3:]}"


def _batches(events) -> int:
    return sum(e.kind is MessageKind.BATCH for e in events)


def _logs(events) -> list[str]:
    return [e.payload for e in events if e.kind is MessageKind.LOG]


def test_the_training_child_has_no_qt(tmp_path):
    assert "PySide6" in sys.modules, "the parent has Qt loaded (pytest-qt), so a leak through the job would show"
    seen: list = []
    with TrainProcess() as proc:
        proc.stop()  # before it starts: the child reports, loads, and ends without training
        proc.start(_job(tmp_path))
        hello = _until(proc, lambda e: e.kind is MessageKind.HELLO, seen).payload
        _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    assert hello.pid != 0 and hello.qt_modules == []


def test_stop_before_training_began_ends_without_a_model(tmp_path):
    seen: list = []
    job = _job(tmp_path)
    with TrainProcess() as proc:
        proc.stop()
        proc.start(job)
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    assert finish.payload is None
    assert "stopped before training began" in _logs(seen)
    assert _batches(seen) == 0 and not job.out.exists()
    assert [e.kind for e in seen if e.kind is MessageKind.DATASET], "the data was loaded and described first"


def test_pause_holds_the_child_and_resume_finishes_the_run(tmp_path):
    seen: list = []
    with TrainProcess() as proc:
        proc.start(_job(tmp_path))
        start = _until(proc, lambda e: e.kind is MessageKind.START, seen).payload
        _until(proc, lambda e: e.kind is MessageKind.BATCH, seen)
        proc.pause()
        _until(proc, lambda e: e.kind is MessageKind.LOG and e.payload == "paused", seen)
        held = _batches(seen)
        time.sleep(1.5)
        while proc.poll(0):  # anything sent while paused
            seen.append(proc.next_event())
        assert _batches(seen) == held, "batches went on while paused"
        proc.resume()
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    assert "resumed" in _logs(seen)
    assert finish.payload is not None and finish.payload.result.status == "completed"
    assert _batches(seen) == start.epochs * start.steps_per_epoch
    assert len([e for e in seen if e.kind is MessageKind.EPOCH]) == start.epochs


def test_stop_while_paused_ends_the_run_and_saves_it(tmp_path):
    seen: list = []
    job = _job(tmp_path, epochs=200)
    with TrainProcess() as proc:
        proc.start(job)
        _until(proc, lambda e: e.kind is MessageKind.EPOCH, seen)  # one epoch done: a checkpoint exists
        proc.pause()
        _until(proc, lambda e: e.kind is MessageKind.LOG and e.payload == "paused", seen)
        proc.stop()
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    outcome = finish.payload
    assert outcome is not None and outcome.result.status == "stopped"
    assert "resumed" not in _logs(seen)
    assert job.out.exists() and json.loads(job.out.with_suffix(".json").read_text())["status"] == "stopped"
    assert len(outcome.wrong_true) == len(outcome.wrong_pred) == len(outcome.wrong_images)


def test_a_stop_as_the_child_registers_its_session_is_not_lost(tmp_path):
    """The stop is sent the moment the child says hello: while it loads data and attaches its session."""
    seen: list = []
    with TrainProcess() as proc:
        proc.start(_job(tmp_path, epochs=500))
        _until(proc, lambda e: e.kind is MessageKind.HELLO, seen)
        proc.stop()
        t0 = time.monotonic()
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    assert time.monotonic() - t0 < EVENT_TIMEOUT
    assert finish.payload is None or finish.payload.result.status == "stopped"
    assert _batches(seen) <= 1, "training went on after the stop"


def _tiny_session() -> TrainingSession:
    from core.data.splits import Dataset, Split

    split = Split(np.zeros((4, 8, 8, 3), np.uint8), np.array([0, 1, 0, 1]))
    return TrainingSession(Dataset(["a", "b"], split, Split.empty((8, 8)), Split.empty((8, 8)), "mem", "folders"),
                           settings_for("quick"), builder=tiny_builder)


@pytest.mark.parametrize("first", ["deliver", "attach"])
def test_the_control_relay_hands_over_a_stop_in_either_order(first):
    relay, session = ControlRelay(), _tiny_session()
    steps = {"deliver": lambda: relay.deliver(Control.STOP), "attach": lambda: relay.attach(session)}
    steps[first]()
    steps["attach" if first == "deliver" else "deliver"]()
    assert session.stop_requested


def test_the_control_relay_never_loses_a_stop_sent_during_the_hand_over():
    for _ in range(300):
        relay, session = ControlRelay(), _tiny_session()
        relay.deliver(Control.PAUSE)
        go = threading.Barrier(2)

        def send_stop(relay=relay, go=go):
            go.wait()
            relay.deliver(Control.STOP)

        sender = threading.Thread(target=send_stop)
        sender.start()
        go.wait()
        relay.attach(session)
        sender.join(10)
        assert session.stop_requested and session.paused is False  # stop also releases a pause


def test_the_child_fine_tunes_at_the_starting_models_size(tmp_path):
    """The app's "Fine-tune on my samples" runs in this child: a model trained at 40 x 40 is fine-tuned on
    samples read at 40 x 40 (read at the default 64 x 64 the session refused: "size differ")."""
    from core.model.files import ModelInfo, read_info, save_model

    start = tmp_path / "small.keras"
    save_model(tiny_builder((40, 40, 3), 3), start, ModelInfo(["0", "1", "2"], (40, 40), architecture="tiny"))
    data = _class_folders(tmp_path / "samples", per_class=6)
    job = TrainJob(str(data), TrainSettings(epochs=1, batch_size=4, augment=False, val_split=0.15),
                   tmp_path / "tuned.keras", kind="folders", initial_model=start, title="fine-tuning")
    with TrainProcess() as proc:
        proc.start(job)
        seen: list = []
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    errors = [e.payload for e in seen if e.kind is MessageKind.ERROR]
    assert finish.payload is not None and not errors, errors
    assert tuple(read_info(tmp_path / "tuned.keras").input_size) == (40, 40)
