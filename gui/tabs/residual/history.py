"""What the Residual vs plain tab draws: both networks' curves and gradient norms as the run reports them.

Qt-free bookkeeping; the view draws it.  Each net's :class:`NetCurves` also
has ``loss``, ``accuracy`` and ``grad_norms`` per epoch, what
``core.explain.verdict.verdict`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.explain.compare import NETS


@dataclass
class NetCurves:
    batch_x: list[float] = field(default_factory=list)  # in epochs: batch k of n in epoch e at e - 1 + k / n
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # row 0 before training, then one per epoch


class CompareHistory:
    """One run: the conv layer names, and per net (``residual``, ``plain``) its curves."""

    def __init__(self):
        self.layers: list[str] = []
        self.nets = {name: NetCurves() for name in NETS}
        self.epochs_planned = 0

    @property
    def batches_seen(self) -> int:
        return len(self.nets["residual"].batch_x)

    @property
    def epochs_seen(self) -> int:
        return len(self.nets["residual"].epochs)

    def add_start(self, start) -> None:
        self.layers = list(start.layers)
        self.epochs_planned = int(start.settings["epochs"])

    def add_batch(self, b) -> None:
        x = (b.epoch - 1) + b.batch / max(1, b.steps)
        for name, net in self.nets.items():
            net.batch_x.append(x)
            net.batch_loss.append(b.loss[name])
            net.batch_accuracy.append(b.accuracy[name])

    def add_epoch(self, e) -> None:
        for name, net in self.nets.items():
            report = e.nets[name]
            net.grad_norms.append(list(report.grad_norms))
            if e.epoch > 0:
                net.epochs.append(e.epoch)
                net.loss.append(report.loss)
                net.accuracy.append(report.accuracy)
                net.val_accuracy.append(report.val_accuracy)
