"""A training session: Keras training steps with live progress, stop, pause and a run card.

The loop is the session's own (one ``core.training.step`` per batch: Keras's
``train_on_batch``, traced once for every batch size; batches made on a
background thread by ``core.training.batches``), not ``fit`` on a generator:
see :meth:`TrainingSession._fit` for why (measured in docs/model.md).  ``run``
reads as its steps: build or load the model, fit epoch by epoch (validating
and checkpointing after each), test, save.

Plain Python, no Qt.  A GUI worker, the CLI and the tests all drive it the same
way: build a :class:`TrainingSession`, pass a listener (any object with some of
the ``on_*`` methods of :class:`TrainingListener`), call :meth:`run` on the
thread that should do the work, and call :meth:`stop` / :meth:`pause` /
:meth:`resume` from any other thread.  A stop ends training within one batch.

Outputs: the best checkpoint (by validation accuracy) saved atomically while
training, the final model (best weights restored, unless the settings keep
the last epoch's: ``restore_best=False``) as ``.keras`` with its
metadata, and the run card as JSON next to it (also inside the model file).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.data.augment import LEVELS, AugmentConfig
from core.data.splits import Dataset
from core.errors import HandSignError
from core.model.files import ModelInfo, atomic_write_json, save_model
from core.training.batches import Batches, BatchFeeder
from core.training.loss import loss_floor
from core.training.metrics import classification_report
from core.training.progressive import SmallInputs
from core.training.reports import (
    BatchProgress,
    BestEpoch,
    EpochMetrics,
    RunStart,
    TrainingListener,
    TrainResult,
)
from core.training.run_card import new_run_card, record_failure
from core.training.schedule import epoch_sizes, learning_rate
from core.training.settings import TrainSettings
from core.training.shape_fit import shape_head_entries

log = logging.getLogger(__name__)


@dataclass
class _Throughput:
    """Training images per second, smoothed over half-second windows; restarted after a pause."""

    t0: float = field(default_factory=time.perf_counter)
    images: int = 0
    ips: float = 0.0

    def add(self, n: int, t_epoch: float) -> float:
        now = time.perf_counter()
        self.images += n
        elapsed = now - self.t0
        if elapsed > 0.5:
            inst = self.images / elapsed
            self.ips = inst if self.ips == 0 else 0.7 * self.ips + 0.3 * inst
            self.t0, self.images = now, 0
        return self.ips or (n / max(now - t_epoch, 1e-6))

    def restart(self) -> None:
        self.t0, self.images = time.perf_counter(), 0


@dataclass
class _Run:
    """What one run builds and keeps track of while it trains."""

    model: Any  # the model being trained (a bfloat16 copy where that is faster)
    plain_model: Any  # the float32 model that is tested and saved
    evaluator: Any  # core.inference.classifier.Classifier on ``model``
    batches: Batches
    card: dict[str, Any]
    history: list[EpochMetrics] = field(default_factory=list)
    best: BestEpoch = field(default_factory=BestEpoch)
    rate: _Throughput = field(default_factory=_Throughput)
    sizes: list[int | None] = field(default_factory=list)  # each epoch's image side (None: the dataset's)
    small: Any = None  # core.training.progressive.SmallInputs: the model on smaller images (same weights)

    @property
    def steps(self) -> int:
        return len(self.batches)

    def plain(self):
        """The float32 model with the trained weights."""
        if self.model is not self.plain_model:
            self.plain_model.set_weights(self.model.get_weights())
        return self.plain_model


def default_builder(input_shape, classes, settings: TrainSettings):
    from core.model.resnet import ResNet50

    return ResNet50(input_shape, classes, init=settings.init, bn_momentum=settings.bn_momentum,
                    zero_gamma=settings.zero_gamma)


class TrainingSession:
    def __init__(
        self,
        dataset: Dataset,
        settings: TrainSettings | None = None,
        listener: Any = None,
        *,
        out: str | Path | None = None,
        builder: Callable | None = None,
        initial_model: str | Path | None = None,
        verbose: int = 0,
        aug_cfg: AugmentConfig | None = None,
    ):
        settings = settings or TrainSettings()
        settings.validate()
        self.dataset = dataset.with_small_val(settings.val_per_class, settings.seed)
        self.settings = settings.for_images(len(self.dataset.train))
        self.listener = listener or TrainingListener()
        self.out = Path(out) if out else None
        self.builder = builder or default_builder
        self.initial_model = Path(initial_model) if initial_model else None
        self.verbose = verbose
        self.aug_cfg = aug_cfg
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self.model = None
        self.val_forward: Callable | None = None  # images -> probabilities, or None: the evaluator's (the probe's)

    # -- control, from any thread --------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._resume.set()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- helpers -----------------------------------------------------------------------
    def _emit(self, name: str, *args) -> None:
        fn = getattr(self.listener, name, None)
        if fn is not None:
            fn(*args)

    def _log(self, message: str) -> None:
        log.info(message)
        self._emit("on_log", message)

    @property
    def checkpoint_path(self) -> Path | None:
        return self.out.with_name(self.out.stem + ".best.keras") if self.out else None

    @property
    def run_card_path(self) -> Path | None:
        return self.out.with_suffix(".json") if self.out else None

    def _mark_checkpoint_stopped(self, epochs_done: int) -> None:
        """A stopped run's best checkpoint says so in its run card (it was saved saying "checkpoint")."""
        from core.errors import ModelFileError
        from core.model.files import read_info, update_run_card

        ck = self.checkpoint_path
        if ck is None or not ck.exists():
            return
        try:
            info = read_info(ck)
            if info is not None:
                update_run_card(ck, dict(info.run_card, status="stopped", stopped_after_epochs=epochs_done))
        except ModelFileError as exc:  # the checkpoint itself is still good; only its label is stale
            log.warning("could not mark the checkpoint as stopped: %s", exc)

    # -- the work ------------------------------------------------------------------------
    def run(self) -> TrainResult:
        """Train; blocks until done, stopped or failed.  Call on a worker thread.

        A failed run (any exception once the run card exists) writes its run card
        with ``status: "failed"`` and the error before the exception goes on.
        """
        import keras

        from core.device import device_scope
        from core.training.distribute import run_with_fit, uses_fit

        if uses_fit(self.settings, self.dataset):  # streamed from disk or over several devices: fit on tf.data
            return run_with_fit(self, build=self._load_or_build, emit=self._emit, info=self._info)
        s = self.settings
        if len(self.dataset.train) == 0:
            raise HandSignError(f"{self.dataset.source}: no training images")
        keras.utils.set_random_seed(s.seed)
        started = time.time()
        card = new_run_card(s, self.dataset, started, self.initial_model)
        try:
            with device_scope(s.device):
                run = self._prepare(card)
                self._announce(run)
                self._fit(run)
                status = self._finish_fit(run)
                test_report, test_pred = self._test(run)
                card["status"] = status
                card["duration_seconds"] = round(time.time() - started, 2)
                model_path = self._save(run)
        except Exception as exc:
            record_failure(card, exc, self.run_card_path)
            raise
        ck = self.checkpoint_path if self.checkpoint_path and self.checkpoint_path.exists() else None
        result = TrainResult(status, model_path, ck, card, test_report, test_pred, run.history)
        self._emit("on_finish", result)
        return result

    def _info(self, card: dict[str, Any] | None = None) -> ModelInfo:
        ds = self.dataset
        return ModelInfo(list(ds.class_names), ds.image_size, run_card=card)

    def _load_or_build(self):
        """The model to train: the initial model (fine-tuning) or a new one from the builder."""
        ds = self.dataset
        h, w = ds.image_size
        if not self.initial_model:
            return self.builder((h, w, 3), ds.num_classes, self.settings)
        from core.model.files import load_model

        model, info = load_model(self.initial_model)
        if info.class_names != list(ds.class_names) or tuple(info.input_size) != (h, w):
            raise HandSignError(
                f"cannot fine-tune {self.initial_model.name}: its classes {info.class_names} / size "
                f"{info.input_size} differ from the dataset's {ds.class_names} / {(h, w)}"
            )
        return model

    def _prepare(self, card: dict[str, Any]) -> _Run:
        """Build or load the model, pick its compute precision, make the batches, compile."""
        import keras

        from core.inference.classifier import Classifier
        from core.training.fast import fuse_adam, fuse_batchnorm, resolve_precision, with_precision
        from core.training.loss import training_loss
        from core.training.prebuild import build_for_training

        s, ds = self.settings, self.dataset
        model = plain_model = self._load_or_build()
        # Train a copy that computes in bfloat16 where that is faster; the float32
        # model (same weights, copied back) is what gets tested and saved.
        precision = card["precision"] = resolve_precision(s.precision, s.device)
        if precision != "float32":
            model = with_precision(model, precision)
        if s.fused_batchnorm:
            fuse_batchnorm(model)
        self.model = model
        aug_cfg = self.aug_cfg or LEVELS[s.augment_level]
        scenes = None
        if s.augment and s.backgrounds and aug_cfg.scene_prob > 0:
            from core.data.scenes import SceneBank

            scenes = SceneBank.from_folder(s.backgrounds)
            self._log(f"Backgrounds: {len(scenes) if scenes else 0} scene photos from {s.backgrounds}")
        batches = Batches(ds.train.x, ds.train.y, s.batch_size, s.augment, s.seed, aug_cfg, scenes, s.small_crop)
        lr = learning_rate(s, len(batches))
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=training_loss(s.label_smoothing),
                      metrics=["accuracy"])
        if s.fused_optimizer:
            fuse_adam(model.optimizer)
        build_for_training(model, ds.num_classes, s.label_smoothing)
        sizes = epoch_sizes(s, ds.image_size[0]) if ds.image_size[0] == ds.image_size[1] else [None] * s.epochs
        return _Run(model, plain_model, Classifier(model, self._info()), batches, card, sizes=sizes,
                    small=SmallInputs(model, ds.class_names))

    def _announce(self, run: _Run) -> None:
        s, ds = self.settings, self.dataset
        self._emit("on_start", RunStart(s.epochs, run.steps, len(ds.train), len(ds.val), s.device,
                                        list(ds.class_names)))
        self._log(f"training on {len(ds.train)} images, validating on {len(ds.val)}, {s.epochs} epochs of "
                  f"{run.steps} batches, device {s.device}")
        if s.label_smoothing:
            self._log(f"labels smoothed by {s.label_smoothing:g}: the training loss levels out near "
                      f"{loss_floor(len(ds.class_names), s.label_smoothing):.2f}, not 0")
        small = [size for size in run.sizes if size]
        if small:
            self._log(f"epochs 1-{len(small)} train on {small[0]}x{small[0]} images, the rest at "
                      f"{ds.image_size[0]}x{ds.image_size[1]} (progressive resizing)")

    def _fit(self, run: _Run) -> None:
        """Every epoch in turn, each followed by validation and the best checkpoint, until done or stopped.

        The training loop is ours, one step per batch (``core.training.step``), fed by a background
        thread.  ``fit`` on a Python generator wraps it in a prefetching tf.data pipeline,
        and deleting that pipeline's iterator at the end of a run often stalled for tens of
        seconds (TensorFlow's ~IteratorResource); it also ran the generator ahead across
        epoch boundaries, so each epoch's first batches came from the previous epoch's
        shuffle.  (docs/model.md, "Quick preset")
        """
        feeder = BatchFeeder(run.batches, self.settings.epochs, sizes=run.sizes)
        run.rate = _Throughput()
        try:
            for epoch in range(self.settings.epochs):
                t_epoch = time.perf_counter()
                loss, acc = self._fit_epoch(run, feeder, epoch, t_epoch, run.small.trainer(run.sizes[epoch]))
                if self._stop.is_set():
                    break  # a stopped epoch is partial: record nothing for it
                self._end_epoch(run, epoch, loss, acc, t_epoch)
        finally:
            feeder.close()

    def _fit_epoch(self, run: _Run, feeder: BatchFeeder, epoch: int, t_epoch: float,
                   model) -> tuple[float, float]:
        """One epoch's batches (or fewer, after a stop); the running mean loss and accuracy, as fit reports."""
        import keras

        from core.training.loss import labels_for
        from core.training.step import step_for

        train = step_for(model)  # one trace for full and short batches
        steps, classes, smoothing = run.steps, self.dataset.num_classes, self.settings.label_smoothing
        progbar = keras.utils.Progbar(steps, stateful_metrics=["loss", "accuracy"]) if self.verbose else None
        seen = 0
        loss_sum = acc_sum = 0.0
        loss = acc = math.nan
        for b in range(steps):
            xb, yb = feeder.get()
            logs = train(xb, labels_for(yb, classes, smoothing))
            n = len(yb)
            seen += n
            loss_sum += float(logs["loss"]) * n
            acc_sum += float(logs["accuracy"]) * n
            loss, acc = loss_sum / seen, acc_sum / seen
            if progbar is not None:
                progbar.update(b + 1, [("loss", loss), ("accuracy", acc)], finalize=b + 1 == steps)
            self._after_batch(run, epoch, b, n, loss, acc, t_epoch)
            if self._stop.is_set():
                break
        return loss, acc

    def _after_batch(self, run: _Run, epoch: int, batch: int, n: int, loss: float, acc: float,
                     t_epoch: float) -> None:
        """Report the batch, then wait here while paused (so a pause takes effect within one batch)."""
        s = self.settings
        ips = run.rate.add(n, t_epoch)
        done = epoch * run.steps + batch + 1
        eta = (run.steps * s.epochs - done) * s.batch_size / max(ips, 1e-6)
        self._emit("on_batch", BatchProgress(epoch + 1, s.epochs, batch + 1, run.steps, loss, acc, ips, eta))
        if not self._resume.is_set():
            self._log("paused")
            self._resume.wait()
            run.rate.restart()
            if not self._stop.is_set():
                self._log("resumed")

    def _validate(self, run: _Run, size: int | None = None) -> tuple[float | None, float | None, list[int] | None]:
        """Validation loss, accuracy and predicted classes (all None without a validation split).

        An epoch trained on smaller images (progressive resizing) is validated at that size.
        """
        val = self.dataset.val
        if not len(val):
            return None, None, None
        if size is not None:
            probs = run.small.probabilities(val.x, size)
        else:  # one pass with the projection's features, else the evaluator's
            probs = self.val_forward(val.x) if self.val_forward else None
        if probs is None:
            probs = run.evaluator.probabilities_in_batches(val.x)
        rep = classification_report(probs, val.y, list(self.dataset.class_names))
        return rep["loss"], rep["accuracy"], probs.argmax(axis=1).tolist()

    def _end_epoch(self, run: _Run, epoch: int, loss: float, acc: float, t_epoch: float) -> None:
        """Validate, record the epoch in the history and run card, keep the best checkpoint, report."""
        import keras

        val_size = None if self.settings.small_crop else run.sizes[epoch]  # crops: validated at full size
        val_loss, val_acc, val_pred = self._validate(run, val_size)
        cur_lr = float(keras.ops.convert_to_numpy(run.model.optimizer.learning_rate))
        m = EpochMetrics(epoch + 1, loss, acc, val_loss, val_acc, time.perf_counter() - t_epoch, cur_lr, val_pred)
        run.history.append(m)
        run.card["epochs"].append(m.card_entry())
        # Only full-size epochs compete for "best": a smaller-image epoch is validated at its own size.
        if val_size is None and run.best.beaten_by(m.score):
            run.best = BestEpoch(*m.score, run.model.get_weights(), epoch + 1)
            if self.checkpoint_path:
                ck = dict(run.card, status="checkpoint", best_epoch=epoch + 1)
                save_model(run.plain(), self.checkpoint_path, self._info(ck), weights_dtype=self.settings.weights_dtype)
        self._emit("on_epoch", m)
        self._log(m.log_line(self.settings.epochs))

    def _finish_fit(self, run: _Run) -> str:
        """After the last (or a stopped) epoch: the run's status, and the weights it keeps, in float32."""
        from core.inference.classifier import Classifier

        status = "completed"
        if self._stop.is_set():
            status = "stopped"
            self._log("stopped")
            self._mark_checkpoint_stopped(len(run.history))
        kept = "last"
        if self.settings.restore_best and run.best.weights is not None and len(self.dataset.val):
            run.model.set_weights(run.best.weights)
            kept = "best"
        run.card["best_epoch"] = run.best.epoch
        run.card["kept_weights"] = kept  # "best" (validation) epoch or "last" epoch
        if self.settings.refresh_batchnorm and status == "completed":  # on the training copy: fused, bfloat16
            from core.training.bn_refresh import refresh_logged

            run.card["batchnorm_recounted_over"] = refresh_logged(run.model, self.dataset.train.x, self.settings.seed,
                                                                  self._log)
        if run.model is not run.plain_model:  # test and save the float32 model users will run
            run.model = self.model = run.plain()
            run.evaluator = Classifier(run.model, self._info())
        return status

    def _test(self, run: _Run) -> tuple[dict[str, Any] | None, np.ndarray | None]:
        test = self.dataset.test
        if not len(test):
            return None, None
        probs = run.evaluator.probabilities_in_batches(test.x)
        report = classification_report(probs, test.y, list(self.dataset.class_names))
        run.card["test"] = {k: report[k] for k in ("accuracy", "loss", "n", "confusion_matrix")}
        self._log(f"test accuracy {report['accuracy']:.4f} (loss {report['loss']:.4f}, n {report['n']})")
        return report, probs.argmax(axis=1)

    def _save(self, run: _Run) -> Path | None:
        """The model (with its run card inside) and the run card beside it; None without ``out``."""
        if not self.out:
            return None
        extras = shape_head_entries(self.dataset, self.settings, self.initial_model, self._log)
        save_model(run.model, self.out, self._info(run.card), weights_dtype=self.settings.weights_dtype, extras=extras)
        atomic_write_json(self.run_card_path, run.card)
        self._log(f"saved {self.out}")
        return self.out
