"""Training with Keras ``fit`` on ``tf.data``: streamed datasets, and data parallelism over devices or machines.

``TrainingSession.run`` hands a run here (:func:`uses_fit`) when its settings ask
for ``distribute`` or its dataset is streamed from disk (``core.data.stream``).
The engines are TensorFlow's and Keras's own, used as they are:

* one device, streamed data: the default strategy (on the settings' device);
* ``distribute`` on one machine: ``tf.distribute.MirroredStrategy`` over every local
  GPU (without a GPU, over every logical CPU device: how the tests run it);
* ``distribute`` with ``TF_CONFIG`` set: ``tf.distribute.MultiWorkerMirroredStrategy``,
  each worker reading its own shard of the training images;
* the JAX backend: ``keras.distribution.DataParallel`` over all its devices.

The model is built and compiled under the strategy's scope and trained with
``model.fit``.  Validation, the best checkpoint, the test and the saved model use
a plain float32 copy built outside the scope (weights copied after each epoch),
so the saved ``.keras`` file is like any other and every worker validates the
same weights without talking to the others.  Only the chief (task 0) writes files.
Progress, pause and stop reach the session's listener through a Keras callback;
a stop ends the run after the current batch (on one machine: a stop cannot
reach the other workers of a multi-machine run).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from core.data.stream import is_streamed
from core.errors import HandSignError
from core.training.reports import BatchProgress, BestEpoch, EpochMetrics, RunStart, TrainResult

log = logging.getLogger(__name__)


def uses_fit(settings, dataset) -> bool:
    """True when a run goes through this module rather than the session's own loop."""
    return bool(settings.distribute) or is_streamed(dataset)


def cluster() -> tuple[int, int]:
    """(number of workers, this worker's index) from ``TF_CONFIG``; (1, 0) without it."""
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return 1, 0
    try:
        cfg = json.loads(text)
        return len(cfg["cluster"]["worker"]), int(cfg["task"]["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise HandSignError(f"TF_CONFIG is not a cluster description TensorFlow reads ({exc}); "
                            "see docs/distributed.md") from None


def make_strategy(distribute: bool):
    """The ``tf.distribute`` strategy for a run (see the module docstring); None under JAX."""
    import keras

    if keras.backend.backend() == "jax":
        if distribute:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        return None
    import tensorflow as tf

    if not distribute:
        return tf.distribute.get_strategy()
    if os.environ.get("TF_CONFIG"):
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def describe(strategy, distribute: bool) -> str:
    if strategy is None:
        return "keras.distribution.DataParallel" if distribute else "one device (JAX)"
    workers, _ = cluster()
    name = "MultiWorkerMirroredStrategy" if workers > 1 else type(strategy).__name__
    if name.startswith("_Default"):
        return "one device"
    return f"{name}: {strategy.num_replicas_in_sync} replicas" + (f" on {workers} workers" if workers > 1 else "")


def _progress_callback(run: FitRun):
    """A Keras callback that reports to ``run`` after every batch and epoch, and stops ``fit`` when asked."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            run.epoch_began(epoch)

        def on_train_batch_end(self, batch, logs=None):
            if run.batch_ended(batch, logs or {}):
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            run.epoch_ended(epoch, logs or {})

    return Progress()


class FitRun:
    """One run through ``fit``: what ``TrainingSession.run`` does, on a strategy and a tf.data pipeline.

    ``build`` makes the model to train (new or the fine-tuning start), ``emit``
    reports to the session's listener, ``info`` gives the model file's metadata.
    """

    def __init__(self, session, *, build, emit, info):
        self.session, self.build, self.emit, self.info = session, build, emit, info
        self.s, self.ds = session.settings, session.dataset
        self.workers, self.task = cluster()
        self.chief = self.task == 0
        self.history: list[EpochMetrics] = []
        self.best = BestEpoch()
        self.model = self.net = self.plain = None
        self.card: dict[str, Any] = {}
        self.steps = 1
        self._t_epoch = self._t_rate = time.perf_counter()
        self._seen = 0
        self._skipped = None
        self._classifier = None
        self.strategy = None

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        import keras

        from core.device import device_scope
        from core.training.run_card import new_run_card, record_failure

        s = self.s
        if len(self.ds.train) == 0:
            raise HandSignError(f"{self.ds.source}: no training images")
        keras.utils.set_random_seed(s.seed)
        started = time.time()
        self.card = new_run_card(s, self.ds, started, self.session.initial_model)
        try:
            strategy = make_strategy(s.distribute)
            scope = device_scope(s.device) if not s.distribute else _nothing()
            with scope:
                self._prepare(strategy)
                self._fit()
                status = self._finish()
                report, pred = self._test()
            self.card.update(status=status, duration_seconds=round(time.time() - started, 2))
            model_path = self._save()
        except Exception as exc:
            record_failure(self.card, exc, self.session.run_card_path if self.chief else None)
            raise
        ck = self.session.checkpoint_path
        ck = ck if self.chief and ck is not None and ck.exists() else None
        result = TrainResult(status, model_path, ck, self.card, report, pred, self.history)
        self.emit("on_finish", result)
        return result

    def _log(self, message: str) -> None:
        log.info(message)
        self.emit("on_log", message)

    def _prepare(self, strategy) -> None:
        """The model under the strategy's scope, compiled; its float32 twin outside it."""
        import keras

        from core.training.loss import training_loss

        s = self.s
        self.card["distribute"] = describe(strategy, s.distribute)
        self.card["streamed"] = is_streamed(self.ds)
        batches = max(1, math.ceil(len(self.ds.train) / s.batch_size))
        self.steps = max(1, len(self.ds.train) // s.batch_size) if self.workers > 1 else batches
        lr = s.learning_rate
        if s.schedule == "cosine":
            lr = keras.optimizers.schedules.CosineDecay(s.learning_rate, self.steps * s.epochs, alpha=0.01)
        with strategy.scope() if strategy is not None else _nothing():
            self.model = self._faster(self.build())
            if self.workers == 1:
                self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                                   loss=training_loss(s.label_smoothing), metrics=["accuracy"])
                if s.fused_optimizer and not s.distribute:
                    from core.training.fast import fuse_adam

                    fuse_adam(self.model.optimizer)
                from core.training.prebuild import build_for_training

                build_for_training(self.model, self.ds.num_classes, s.label_smoothing)
        self.net = self.model  # the network itself (self.model may wrap it for fit)
        if self.workers > 1:
            self.model = _multi_worker_trainer(self.net, strategy, lr, training_loss(s.label_smoothing))
        self.strategy = strategy
        self.plain = self.build()
        self.session.model = self.plain
        from core.inference.classifier import Classifier

        self._classifier = Classifier(self.plain, self.info())  # one forward function for every epoch
        self._log(f"training with fit on tf.data ({self.card['distribute']}; "
                  f"{'streamed from disk' if self.card['streamed'] else 'images in memory'})")

    def _faster(self, model):
        """On one device, the session's speed levers (bfloat16 where the CPU has it, fused BatchNorm); over
        several devices the plain model, whose variables the strategy mirrors as Keras made them."""
        self.card["precision"] = "float32"
        if self.s.distribute:
            return model
        from core.training.fast import fuse_batchnorm, resolve_precision, with_precision

        precision = self.card["precision"] = resolve_precision(self.s.precision, self.s.device)
        if precision != "float32":
            model = with_precision(model, precision)
        if self.s.fused_batchnorm:
            fuse_batchnorm(model)
        return model

    def _train_data(self):
        """The training batches: one pipeline, or (several workers) one shard per worker, repeated."""
        from core.data.augment import LEVELS
        from core.data.pipeline import BatchAugmenter, SkippedImages, split_dataset
        from core.training.loss import one_hot_pipeline

        s = self.s
        augmenter = None
        if s.augment:
            cfg = self.session.aug_cfg or LEVELS[s.augment_level]
            augmenter = BatchAugmenter(cfg, s.seed, self.steps * s.epochs, self._scenes(cfg))
        self._skipped = SkippedImages()
        kw = dict(shuffle_seed=s.seed, augmenter=augmenter, skipped=self._skipped)
        classes = self.ds.num_classes
        if self.workers == 1:
            return one_hot_pipeline(split_dataset(self.ds.train, s.batch_size, **kw), classes, s.label_smoothing)
        import tensorflow as tf

        # Each worker decodes only its own shard (every n-th image), repeated so that all workers take the same
        # number of steps; fit splits each worker's global-size batches between the replicas, so a step still
        # trains on batch_size images in all.  TensorFlow's own sharding would decode everything everywhere.
        data = split_dataset(self.ds.train, s.batch_size, repeat=True, drop_remainder=True,
                             shard=(self.workers, self.task), **kw)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return one_hot_pipeline(data.with_options(options), classes, s.label_smoothing)

    def _scenes(self, cfg):
        s = self.s
        if not (s.backgrounds and cfg.scene_prob > 0):
            return None
        from core.data.scenes import SceneBank

        return SceneBank.from_folder(s.backgrounds)

    def _fit(self) -> None:
        s, ds = self.s, self.ds
        self.emit("on_start", RunStart(s.epochs, self.steps, len(ds.train), len(ds.val), s.device,
                                       list(ds.class_names)))
        self._log(f"training on {len(ds.train)} images, validating on {len(ds.val)}, {s.epochs} epochs of "
                  f"{self.steps} batches")
        data = self._train_data()
        with warnings.catch_warnings():
            # The pipeline shuffles itself, and its length is unknown (unreadable images are dropped), so
            # fit's "shuffle is ignored" and "input ran out of data" warnings say nothing here.
            warnings.filterwarnings("ignore", message=".*(shuffle=True|ran out of data).*")
            with self.strategy.scope() if self.strategy is not None else _nothing():
                self.model.fit(data, epochs=s.epochs, steps_per_epoch=self.steps if self.workers > 1 else None,
                               callbacks=[_progress_callback(self)], verbose=1 if self.session.verbose else 0,
                               shuffle=False)

    # -- the callback's side ---------------------------------------------------------------------
    def epoch_began(self, epoch: int) -> None:
        self._t_epoch = self._t_rate = time.perf_counter()
        self._seen = 0

    def batch_ended(self, batch: int, logs: dict) -> bool:
        """Report the batch; wait while paused; True to stop."""
        s = self.s
        self._seen += s.batch_size
        elapsed = max(time.perf_counter() - self._t_rate, 1e-6)
        ips = self._seen / elapsed
        epoch = len(self.history)
        done = epoch * self.steps + batch + 1
        eta = (self.steps * s.epochs - done) * s.batch_size / max(ips, 1e-6)
        self.emit("on_batch", BatchProgress(epoch + 1, s.epochs, batch + 1, self.steps, float(logs.get("loss", 0.0)),
                                            float(logs.get("accuracy", 0.0)), ips, eta))
        if self.session.paused and not self.session.stop_requested:
            self._log("paused")
            while self.session.paused and not self.session.stop_requested:
                time.sleep(0.05)
            self._t_rate, self._seen = time.perf_counter(), 0
            if not self.session.stop_requested:
                self._log("resumed")
        return self.session.stop_requested

    def epoch_ended(self, epoch: int, logs: dict) -> None:
        """Validate the epoch's weights on the float32 twin, keep the best, record and report."""
        import keras

        for reason in self._skipped.drain() if self._skipped else []:
            self._log(f"skipped: {reason}")
        if self.session.stop_requested:
            return  # a stopped epoch is partial: record nothing for it
        self.plain.set_weights(self.net.get_weights())
        val_loss, val_acc, val_pred = self._validate()
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        m = EpochMetrics(epoch + 1, float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan)),
                         val_loss, val_acc, time.perf_counter() - self._t_epoch, lr, val_pred)
        self.history.append(m)
        self.card["epochs"].append(m.card_entry())
        if self.best.beaten_by(m.score):
            self.best = BestEpoch(*m.score, self.plain.get_weights(), epoch + 1)
            self._checkpoint(epoch + 1)
        self.emit("on_epoch", m)
        self._log(m.log_line(self.s.epochs))

    def _checkpoint(self, epoch: int) -> None:
        from core.model.files import save_model

        ck = self.session.checkpoint_path
        if ck and self.chief:
            card = dict(self.card, status="checkpoint", best_epoch=epoch)
            save_model(self.plain, ck, self.info(card), weights_dtype=self.s.weights_dtype)

    # -- after fit ---------------------------------------------------------------------------------
    def _probabilities(self, split) -> np.ndarray:
        """The float32 twin's probabilities over a split of any size, a batch of images in memory at a time."""
        from core.data.pipeline import images_in_batches

        parts = [self._classifier.probabilities(xb) for xb in images_in_batches(split.x, 128)]
        return np.concatenate(parts) if parts else np.zeros((0, self.ds.num_classes), np.float32)

    def _validate(self) -> tuple[float | None, float | None, list[int] | None]:
        from core.training.metrics import classification_report

        val = self.ds.val
        if not len(val):
            return None, None, None
        probs = self._probabilities(val)
        rep = classification_report(probs, val.y, list(self.ds.class_names))
        return rep["loss"], rep["accuracy"], probs.argmax(axis=1).tolist()

    def _finish(self) -> str:
        status = "completed"
        if self.session.stop_requested:
            status = "stopped"
            self._log("stopped")
        self.plain.set_weights(self.net.get_weights())
        kept = "last"
        if self.s.restore_best and self.best.weights is not None and len(self.ds.val):
            self.plain.set_weights(self.best.weights)
            kept = "best"
        self.card["best_epoch"] = self.best.epoch
        self.card["kept_weights"] = kept
        if self.s.refresh_batchnorm and status == "completed":
            self._log("BatchNorm statistics kept, not recounted: that is done only for images held in memory")
        self.session.model = self.plain
        return status

    def _test(self) -> tuple[dict[str, Any] | None, np.ndarray | None]:
        from core.training.metrics import classification_report

        test = self.ds.test
        if not len(test):
            return None, None
        probs = self._probabilities(test)
        report = classification_report(probs, test.y, list(self.ds.class_names))
        self.card["test"] = {k: report[k] for k in ("accuracy", "loss", "n", "confusion_matrix")}
        self._log(f"test accuracy {report['accuracy']:.4f} (loss {report['loss']:.4f}, n {report['n']})")
        return report, probs.argmax(axis=1)

    def _save(self) -> Path | None:
        from core.model.files import atomic_write_json, save_model
        from core.training.shape_fit import shape_head_entries

        out = self.session.out
        if not out:
            return None
        if not self.chief:
            self._log(f"worker {self.task}: the chief (worker 0) saves the model")
            return None
        extras = shape_head_entries(self.ds, self.s, self.session.initial_model, self._log)
        save_model(self.plain, out, self.info(self.card), weights_dtype=self.s.weights_dtype, extras=extras)
        atomic_write_json(self.session.run_card_path, self.card)
        self._log(f"saved {out}")
        return out


def _multi_worker_trainer(model, strategy, lr, loss):
    """``model`` inside a Keras model that ``fit`` can train under MultiWorkerMirroredStrategy.

    Two gaps in Keras 3's fit on that strategy (keras-team/keras#20585), both bridged without
    touching the training maths:

    * fit reduces each step's logs over the workers with a mean along axis 0, which fails on
      scalars: this model's ``train_step`` returns each log with shape (1,) (Keras's own step);
    * fit first averages an input batch over the workers to build the metrics, which the strategy
      cannot do: the model forgets its strategy, so that build waits for the first traced step,
      and fit runs under the strategy's scope (``FitRun._fit``).

    The weights are ``model``'s own; only ``model`` is copied out and saved.
    """
    import keras
    import tensorflow as tf

    class MultiWorkerTrainer(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, x, training=False):
            return self.inner(x, training=training)

        def train_step(self, data):
            logs = super().train_step(data)
            return {k: tf.reshape(v, [1]) for k, v in logs.items()}

    with strategy.scope():
        trainer = MultiWorkerTrainer(model)
        trainer.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss, metrics=["accuracy"])
    trainer._distribute_strategy = None
    return trainer


def _nothing():
    import contextlib

    return contextlib.nullcontext()


def run_with_fit(session, *, build, emit, info) -> TrainResult:
    """Train ``session`` (a ``TrainingSession``) through ``fit``; see the module docstring."""
    return FitRun(session, build=build, emit=emit, info=info).run()
