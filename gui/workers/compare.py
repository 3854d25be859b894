"""The Qt relay of the residual-vs-plain experiment: :class:`CompareWorker`.

The experiment runs in the training child process (``core.training.child``
runs a ``core.explain.compare.CompareJob``) and sends the same kinds of
message as a training run, so this worker is a :class:`TrainWorker` whose
signals carry the experiment's payloads.
"""

from __future__ import annotations

from gui.workers.training import TrainWorker


class CompareWorker(TrainWorker):
    """Runs a ``CompareJob`` in a child process, on its own QThread.

    Signals (inherited): ``started`` (``CompareStart``), ``progress``
    (``CompareBatch``), ``epoch_ended`` (``CompareEpoch``; epoch 0 is before
    training), ``logged``, ``errored``, ``finished`` (``CompareResult``, or None
    after an error or a stop before training began).
    """
