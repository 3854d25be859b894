"""The residual-vs-plain experiment: the notebook's ResNet-50 and its plain twin, trained side by side.

:class:`CompareRun` trains both nets (:func:`core.model.plain.build_pair`: the
same layers less the shortcuts, the same initial weights) with the same
optimiser settings, on the same batches in the same shuffled order, one batch
of each in turn.  It reports to an injected listener, the same four calls the
training session makes (``on_start``, ``on_batch``, ``on_epoch``, ``on_log``),
so the training child process relays it unchanged (``core.training.child``)
and the CLI can run it in-process.  Per epoch it reports each net's training
loss and accuracy (the running means over the epoch, as Keras ``fit`` does),
its validation loss and accuracy on a held-out part of the training images
(inference mode), and the per-layer gradient norms on a fixed probe batch
(:mod:`core.explain.gradients`); the norms are also taken once before
training (epoch 0).  ``stop`` ends the run within one batch; ``pause`` and
``resume`` hold it between batches.  No Qt.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import HandSignError
from core.model.resnet import MAX_IDENTITY_BLOCKS

log = logging.getLogger(__name__)

NETS = ("residual", "plain")
# Chosen by measurement (docs/residual.md): the difference shows within 5 minutes on a 2-core CPU.
DEFAULT_EPOCHS = 3
DEFAULT_DEPTH: int | None = None  # the notebook's (2, 3, 5, 2) identity blocks
DEFAULT_TRAIN_IMAGES = 480
DEFAULT_BATCH_SIZE = 32


@dataclass
class CompareSettings:
    """One experiment's settings; :meth:`check` raises a one-line :class:`HandSignError` for bad values."""

    epochs: int = DEFAULT_EPOCHS
    depth: int | None = DEFAULT_DEPTH  # identity blocks per stage, at most the notebook's; None: all
    batchnorm: bool = True
    train_images: int = DEFAULT_TRAIN_IMAGES  # class-balanced pick of the training split; 0: all
    batch_size: int = DEFAULT_BATCH_SIZE
    lr: float = 1e-3  # Adam
    seed: int = 0
    val_split: float = 0.1  # of the training images, held out for val_accuracy
    probe_size: int = 32  # images in the fixed gradient-norm probe batch

    def check(self) -> CompareSettings:
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise HandSignError(f"epochs must be at least 1, got {self.epochs}")
        if self.depth is not None and (int(self.depth) != self.depth or not 0 <= self.depth <= MAX_IDENTITY_BLOCKS):
            raise HandSignError(f"depth must be from 0 to {MAX_IDENTITY_BLOCKS} identity blocks per stage "
                                f"(the notebook's ResNet-50 has at most {MAX_IDENTITY_BLOCKS}), got {self.depth}")
        if self.batch_size < 1:
            raise HandSignError(f"batch size must be at least 1, got {self.batch_size}")
        if self.train_images < 0:
            raise HandSignError(f"training images must be 0 (all) or more, got {self.train_images}")
        if not self.lr > 0:
            raise HandSignError(f"learning rate must be positive, got {self.lr}")
        if not 0.0 < self.val_split < 1.0:
            raise HandSignError(f"val_split must be a fraction between 0 and 1, got {self.val_split}")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class CompareJob:
    """The experiment for the training child process (``core.training.child`` runs it)."""

    source: str
    settings: CompareSettings
    title: str = "residual vs plain"


@dataclass
class CompareStart:
    layers: list[str]  # the plain net's conv layers, input to output (the residual net also has the shortcut convs)
    settings: dict
    train: int
    val: int
    steps_per_epoch: int


@dataclass
class CompareBatch:
    epoch: int  # 1-based
    batch: int  # 1-based
    steps: int
    loss: dict[str, float]  # per net: running mean over the epoch so far
    accuracy: dict[str, float]


@dataclass
class NetEpoch:
    loss: float | None  # None for epoch 0 (before training)
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    grad_norms: list[float]  # per layer of CompareStart.layers


@dataclass
class CompareEpoch:
    epoch: int  # 0: before training (gradient norms and validation only)
    nets: dict[str, NetEpoch]
    seconds: float  # since the run began


@dataclass
class NetHistory:
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # epochs + 1 rows: at the start, after each epoch


@dataclass
class CompareResult:
    layers: list[str]
    residual: NetHistory
    plain: NetHistory
    settings: dict
    seconds: float
    stopped: bool = False

    def to_json(self) -> dict:
        return {"layers": self.layers, "residual": dataclasses.asdict(self.residual),
                "plain": dataclasses.asdict(self.plain), "settings": self.settings,
                "seconds": round(self.seconds, 1), "stopped": self.stopped,
                "grad_norms_rows": "row 0 before training, row k after epoch k"}


def balanced_pick(y: np.ndarray, total: int, seed: int) -> np.ndarray:
    """Sorted indices of about ``total`` images, the same number per class (seeded); all when ``total`` <= 0."""
    if total <= 0 or total >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = max(1, total // len(classes))
    picks = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(picks))


def load_compare_data(source: str | Path, settings: CompareSettings):
    """The dataset at ``source`` at 64x64, its validation split held out of training, training images picked."""
    from core.data.datasets import load_dataset

    ds = load_dataset(source, (64, 64), val_split=settings.val_split, test_split=0.0, seed=settings.seed)
    if len(ds.train) == 0 or len(ds.val) == 0:
        raise HandSignError(f"{source}: needs training and validation images, found {len(ds.train)} and {len(ds.val)}")
    return dataclasses.replace(ds, train=ds.train.take(balanced_pick(ds.train.y, settings.train_images, settings.seed)))


class _Net:
    """One of the two networks, its compiled model and its history."""

    def __init__(self, model, lr: float):
        import keras

        from core.training.prebuild import build_for_training
        from core.training.step import step_for

        model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        build_for_training(model, model.output_shape[-1])  # so each net's step is traced once, not twice
        self.model = model
        self._step = step_for(model)  # one trace for full and short batches alike
        self.history = NetHistory()

    def train_batch(self, x, y) -> tuple[float, float]:
        logs = self._step(x, y)  # this batch's values (it resets the metrics, as train_on_batch does)
        return logs["loss"], logs["accuracy"]

    def validate(self, x, y) -> tuple[float, float]:
        probs = np.asarray(self.model.predict(x, batch_size=64, verbose=0), dtype=np.float64)
        picked = np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)
        return float(-np.log(picked).mean()), float((probs.argmax(1) == y).mean())


class CompareRun:
    """Both networks' training on ``dataset`` (a :class:`core.data.splits.Dataset`), reported to ``listener``.

    ``stop``/``pause``/``resume`` may be called from any thread.
    """

    def __init__(self, dataset, settings: CompareSettings, listener=None):
        self.dataset = dataset
        self.settings = settings.check()
        self.listener = listener
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    # -- steering, from any thread -------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def _go_on(self) -> bool:
        self._running.wait()
        return not self._stop.is_set()

    def _tell(self, method: str, payload) -> None:
        if self.listener is not None:
            getattr(self.listener, method)(payload)

    # -- the run -------------------------------------------------------------------------
    def run(self) -> CompareResult:
        from core.explain.gradients import conv_names
        from core.model.plain import build_pair

        s, ds = self.settings, self.dataset
        t0 = time.perf_counter()
        x = ds.train.x.astype(np.float32) / 255.0
        y = ds.train.y.astype(np.int64)
        xv, yv = ds.val.x.astype(np.float32) / 255.0, ds.val.y.astype(np.int64)
        probe = balanced_pick(y, s.probe_size, s.seed + 1)
        self._tell("on_log", f"building both networks (depth {'notebook' if s.depth is None else s.depth}, "
                             f"BatchNorm {'on' if s.batchnorm else 'off'}) …")
        residual, plain = build_pair((64, 64, 3), ds.num_classes, depth=s.depth, batchnorm=s.batchnorm, seed=s.seed)
        nets = {"residual": _Net(residual, s.lr), "plain": _Net(plain, s.lr)}
        layers = conv_names(plain)
        steps = int(np.ceil(len(y) / s.batch_size))
        self._tell("on_start", CompareStart(layers, s.to_dict(), len(y), len(yv), steps))
        if self.stop_requested:  # while the nets were being built
            return CompareResult(layers, NetHistory(), NetHistory(), s.to_dict(), time.perf_counter() - t0, True)
        self._measure(nets, 0, (x[probe], y[probe]), (xv, yv), layers, None, t0)
        order = np.random.default_rng(s.seed)
        for epoch in range(1, s.epochs + 1):
            perm = order.permutation(len(y))  # one shuffled order per epoch, the same for both nets
            done = self._train_epoch(nets, epoch, x, y, perm, steps)
            if not done:
                break
            self._measure(nets, epoch, (x[probe], y[probe]), (xv, yv), layers, done, t0)
        return CompareResult(layers, nets["residual"].history, nets["plain"].history, s.to_dict(),
                             time.perf_counter() - t0, stopped=self.stop_requested)

    def _train_epoch(self, nets: dict[str, _Net], epoch: int, x, y, perm, steps: int) -> dict | None:
        """One epoch of both nets, batch by batch in turn; their mean (loss, accuracy) over it, None when stopped.

        The means are over every image seen this epoch, as Keras ``fit`` reports them
        (a training step itself gives the last batch's values only).
        """
        sums = {name: np.zeros(2) for name in nets}
        seen = 0
        bs = self.settings.batch_size
        for step in range(steps):
            idx = perm[step * bs:(step + 1) * bs]
            for name, net in nets.items():
                if not self._go_on():
                    return None
                sums[name] += len(idx) * np.array(net.train_batch(x[idx], y[idx]))
            seen += len(idx)
            means = {name: (float(v[0] / seen), float(v[1] / seen)) for name, v in sums.items()}
            self._tell("on_batch", CompareBatch(epoch, step + 1, steps, {n: v[0] for n, v in means.items()},
                                                {n: v[1] for n, v in means.items()}))
        return means

    def _measure(self, nets: dict[str, _Net], epoch: int, probe, val, layers: list[str], train, t0: float) -> None:
        """Validation and gradient norms of both nets; the epoch's report."""
        from core.explain.gradients import conv_names, gradient_norms

        report = {}
        for name, net in nets.items():
            keep = [i for i, n in enumerate(conv_names(net.model)) if n in layers]  # plain's layers, in its order
            norms = gradient_norms(net.model, *probe)[keep]
            by_name = dict(zip([conv_names(net.model)[i] for i in keep], norms.tolist(), strict=True))
            row = [by_name[n] for n in layers]
            val_loss, val_acc = net.validate(*val)
            loss, acc = train[name] if train else (None, None)
            h = net.history
            h.grad_norms.append(row)
            if train:
                h.loss.append(loss)
                h.accuracy.append(acc)
                h.val_loss.append(val_loss)
                h.val_accuracy.append(val_acc)
            report[name] = NetEpoch(loss, acc, val_loss, val_acc, row)
        self._tell("on_epoch", CompareEpoch(epoch, report, time.perf_counter() - t0))
