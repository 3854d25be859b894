"""The training child (the app's Train tab) with streaming on: it lists rather than loads the data, trains
through fit on tf.data, and sends the parent plain arrays (validation strip, projection thumbnails, mistakes)."""

from __future__ import annotations

import numpy as np

from core.training.process import MessageKind, TrainProcess
from tests.core.training.test_process import _batches, _job, _logs, _until


def test_a_streamed_job_trains_in_the_child_and_sends_arrays(tmp_path):
    seen: list = []
    job = _job(tmp_path, stream="on", find_hand=False, epochs=2, test_split=0.2)
    with TrainProcess() as proc:
        proc.start(job)
        info = _until(proc, lambda e: e.kind is MessageKind.DATASET, seen).payload
        start = _until(proc, lambda e: e.kind is MessageKind.START, seen).payload
        finish = _until(proc, lambda e: e.kind is MessageKind.FINISH, seen)
    assert any("streamed from disk" in line for line in _logs(seen))
    assert isinstance(info.strip_images, np.ndarray) and info.strip_images.dtype == np.uint8
    assert len(info.strip_images) == len(info.strip_labels) > 0
    outcome = finish.payload
    assert outcome is not None and outcome.result.status == "completed"
    assert outcome.result.run_card["streamed"] is True
    assert isinstance(outcome.wrong_images, np.ndarray)
    assert _batches(seen) == start.epochs * start.steps_per_epoch
    epochs = [e.payload for e in seen if e.kind is MessageKind.EPOCH]
    assert len(epochs) == 2 and all(m.val_accuracy is not None for m in epochs)
    assert job.out.exists()
