"""A training session: Keras training steps with live progress, stop, pause and a run card.

The loop is the session's own (``train_on_batch`` per batch, batches made on a
background thread), not ``fit`` on a generator: see :class:`_Feeder` and the
comment in :meth:`TrainingSession.run` for why (measured in docs/model.md).

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

import dataclasses
import logging
import math
import platform
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.data.augment import BASIC, LEVELS, AugmentConfig, augment_batch, foreground_masks
from core.data.datasets import Dataset
from core.errors import HandSignError
from core.images import scale
from core.model.files import ModelInfo, atomic_write_json, save_model
from core.training.metrics import classification_report

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    schedule: str = "cosine"  # "constant" or "cosine" (decays to 1 % over the run)
    augment: bool = True
    augment_level: str = "basic"  # "basic" (framing, light) or "studio" (+ backgrounds, colour, camera)
    val_split: float = 0.15
    # > 0: move all but this many validation images per class into training (Dataset.with_small_val):
    # the quick preset learns from 1,020 SIGNS images instead of 864 and still draws a validation curve.
    val_per_class: int = 0
    # True: the final model gets the weights of the best validation epoch; False: the last epoch's
    # (the end of the cosine schedule; a small validation set picks a mid-run epoch by noise).
    restore_best: bool = True
    seed: int = 0
    device: str = "cpu"
    init: str = "he"
    bn_momentum: float = 0.9
    # Each residual block starts as its shortcut (gamma 0 in its last BatchNorm; core.model.resnet.ResNet50):
    # the quick preset at 10 epochs scored 0.9625 instead of 0.935 on SIGNS test over seeds 0-3.
    zero_gamma: bool = False
    weights_dtype: str = "float32"  # "float16" halves the saved file
    # Compute dtype while training: "auto" = mixed_bfloat16 on a CPU with bf16 units (about 1.3x
    # faster there, same accuracy; see bench/README.md), else float32.  Saved models are float32.
    precision: str = "auto"
    fused_batchnorm: bool = True  # TensorFlow's fused BatchNorm kernel while training (same maths; core.training.fast)
    fused_optimizer: bool = True  # TensorFlow's fused Adam update kernel (same maths; core.training.fast.fuse_adam)
    preset: str = ""

    def validate(self) -> None:
        if self.epochs < 1:
            raise HandSignError(f"epochs must be at least 1, got {self.epochs}")
        if self.val_per_class < 0:
            raise HandSignError(f"validation images per class must be 0 (keep the split) or more, got {self.val_per_class}")
        if self.batch_size < 1:
            raise HandSignError(f"batch size must be at least 1, got {self.batch_size}")
        if not (0 < self.learning_rate < 10):
            raise HandSignError(f"learning rate must be a small positive number, got {self.learning_rate}")
        if self.augment_level not in LEVELS:
            raise HandSignError(f"augment level must be one of {', '.join(LEVELS)}, got {self.augment_level!r}")
        if self.precision not in ("auto", "float32", "mixed_bfloat16"):
            raise HandSignError(f"precision must be 'auto', 'float32' or 'mixed_bfloat16', got {self.precision!r}")
        if self.schedule not in ("constant", "cosine"):
            raise HandSignError(f"schedule must be 'constant' or 'cosine', got {self.schedule!r}")


@dataclass
class BatchProgress:
    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch
    batches: int
    loss: float
    accuracy: float
    images_per_second: float
    eta_seconds: float
    global_step: int = 0


@dataclass
class EpochMetrics:
    epoch: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float
    learning_rate: float
    val_predictions: list[int] | None = None  # predicted class of each validation image


@dataclass
class TrainResult:
    status: str  # "completed", "stopped" or "failed"
    model_path: Path | None
    checkpoint_path: Path | None
    run_card: dict[str, Any]
    test_report: dict[str, Any] | None = None
    test_predictions: np.ndarray | None = None
    history: list[EpochMetrics] = field(default_factory=list)


class TrainingListener:
    """All methods optional; they are called on the training thread."""

    def on_start(self, info: dict[str, Any]) -> None: ...
    def on_batch(self, progress: BatchProgress) -> None: ...
    def on_epoch(self, metrics: EpochMetrics) -> None: ...
    def on_log(self, message: str) -> None: ...
    def on_finish(self, result: TrainResult) -> None: ...


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


class _Batches:
    """Shuffled, optionally augmented batches of uint8 images, scaled to [0, 1]."""

    def __init__(self, x, y, batch_size, augment: bool, seed: int, aug_cfg: AugmentConfig | None = None):
        self.x, self.y, self.batch_size, self.augment = x, y, batch_size, augment
        self.rng = np.random.default_rng(seed)
        self.aug_cfg = aug_cfg or AugmentConfig()
        # Foreground masks for background replacement, computed once per run.
        self.masks = foreground_masks(x) if augment and self.aug_cfg.background_prob > 0 else None
        self.order = self.rng.permutation(len(y))
        self.progress = 0.0  # fraction of the run done, for the augmentation curriculum

    def __len__(self):
        return max(1, math.ceil(len(self.y) / self.batch_size))

    def batch(self, i):
        idx = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        xb = self.x[idx]
        if self.augment and self.masks is not None:
            # Curriculum: a from-scratch ResNet-50 barely learns when every image gets the
            # strong studio changes from the start (train accuracy 0.46 after 15 epochs on
            # SIGNS, against 0.99 without).  Start with a quarter of each batch, reach all
            # of it half-way through the run; the rest gets the basic changes.
            share = min(1.0, 0.25 + 1.5 * self.progress)
            strong = self.rng.random(len(idx)) < share
            xb = xb.copy()
            if strong.any():
                xb[strong] = augment_batch(xb[strong], self.rng, self.aug_cfg, self.masks[idx][strong])
            if (~strong).any():
                xb[~strong] = augment_batch(xb[~strong], self.rng, BASIC)
        elif self.augment:
            xb = augment_batch(xb, self.rng, self.aug_cfg)
        return scale(xb), self.y[idx]

    def reshuffle(self, progress: float = 0.0):
        self.progress = progress
        self.order = self.rng.permutation(len(self.y))


class _Feeder:
    """Makes the run's batches on a background thread, a few ahead of the training step.

    Epoch by epoch, in order: each epoch reshuffles (and advances the augmentation
    curriculum) before its first batch is made, so every epoch sees every image once.
    One thread draws from the run's random generator, so a seed gives the same batches.
    """

    def __init__(self, batches: _Batches, epochs: int, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(batches, epochs), name="handsign-batches",
                                        daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, batches: _Batches, epochs: int) -> None:
        try:
            for epoch in range(epochs):
                batches.reshuffle(epoch / max(1, epochs))
                for i in range(len(batches)):
                    if not self._put(("batch", batches.batch(i))):
                        return
        except BaseException as exc:  # handed to the training thread, which raises it
            self._put(("error", exc))

    def get(self):
        kind, item = self._queue.get()
        if kind == "error":
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=10)


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
        self.settings = settings or TrainSettings()
        self.settings.validate()
        self.dataset = dataset.with_small_val(self.settings.val_per_class, self.settings.seed)
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
        """Train; blocks until done, stopped or failed.  Call on a worker thread."""
        import keras

        from core.device import device_scope
        from core.inference.classifier import Classifier

        s = self.settings
        ds = self.dataset
        if len(ds.train) == 0:
            raise HandSignError(f"{ds.source}: no training images")
        keras.utils.set_random_seed(s.seed)
        h, w = ds.image_size
        n_classes = ds.num_classes
        started = time.time()
        history: list[EpochMetrics] = []
        card: dict[str, Any] = {
            "status": "running",
            "settings": dataclasses.asdict(s),
            "dataset": {
                "source": ds.source,
                "kind": ds.kind,
                "train": len(ds.train),
                "val": len(ds.val),
                "test": len(ds.test),
                "skipped_files": len(ds.skipped),
            },
            "class_names": list(ds.class_names),
            "input_size": [h, w],
            "seed": s.seed,
            "device": s.device,
            "versions": library_versions(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "epochs": [],
        }
        if self.initial_model:
            card["initial_model"] = str(self.initial_model)

        with device_scope(s.device):
            if self.initial_model:
                from core.model.files import load_model

                model, info = load_model(self.initial_model)
                if info.class_names != list(ds.class_names) or tuple(info.input_size) != (h, w):
                    raise HandSignError(
                        f"cannot fine-tune {self.initial_model.name}: its classes {info.class_names} / size "
                        f"{info.input_size} differ from the dataset's {ds.class_names} / {(h, w)}"
                    )
            else:
                model = self.builder((h, w, 3), n_classes, s)
            # Train a copy that computes in bfloat16 where that is faster; the float32
            # model (same weights, copied back) is what gets tested and saved.
            from core.training.fast import fuse_adam, fuse_batchnorm, resolve_precision, with_precision

            precision = card["precision"] = resolve_precision(s.precision, s.device)
            plain_model = model
            if precision != "float32":
                model = with_precision(model, precision)
            if s.fused_batchnorm:
                fuse_batchnorm(model)

            def plain():
                if model is not plain_model:
                    plain_model.set_weights(model.get_weights())
                return plain_model

            self.model = model
            batches = _Batches(ds.train.x, ds.train.y, s.batch_size, s.augment, s.seed,
                               self.aug_cfg or LEVELS[s.augment_level])
            steps = len(batches)
            total_steps = steps * s.epochs
            if s.schedule == "cosine":
                lr = keras.optimizers.schedules.CosineDecay(s.learning_rate, total_steps, alpha=0.01)
            else:
                lr = s.learning_rate
            model.compile(
                optimizer=keras.optimizers.Adam(learning_rate=lr),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            if s.fused_optimizer:
                fuse_adam(model.optimizer)
            evaluator = Classifier(model, ModelInfo(list(ds.class_names), (h, w)))
            self._emit(
                "on_start",
                {"epochs": s.epochs, "steps_per_epoch": steps, "train": len(ds.train), "val": len(ds.val),
                 "device": s.device, "class_names": list(ds.class_names)},
            )
            self._log(f"training on {len(ds.train)} images, validating on {len(ds.val)}, {s.epochs} epochs of {steps} batches, device {s.device}")

            best = {"acc": -1.0, "loss": math.inf, "weights": None, "epoch": 0}
            status = "completed"
            rate = {"t0": time.perf_counter(), "images": 0, "ips": 0.0}

            def batch_end(epoch, batch, n, loss, acc, t_epoch):
                now = time.perf_counter()
                rate["images"] += n
                elapsed = now - rate["t0"]
                if elapsed > 0.5:
                    inst = rate["images"] / elapsed
                    rate["ips"] = inst if rate["ips"] == 0 else 0.7 * rate["ips"] + 0.3 * inst
                    rate["t0"], rate["images"] = now, 0
                done = epoch * steps + batch + 1
                ips = rate["ips"] or (n / max(now - t_epoch, 1e-6))
                eta = (total_steps - done) * s.batch_size / max(ips, 1e-6)
                self._emit("on_batch", BatchProgress(epoch + 1, s.epochs, batch + 1, steps, loss, acc, ips, eta, done))
                if not self._resume.is_set():
                    self._log("paused")
                    self._resume.wait()
                    rate["t0"], rate["images"] = time.perf_counter(), 0
                    if not self._stop.is_set():
                        self._log("resumed")

            def epoch_end(epoch, loss, acc, t_epoch):
                val_loss = val_acc = None
                val_pred = None
                if len(ds.val):
                    probs = np.concatenate(
                        [evaluator.probabilities(ds.val.x[i : i + 128]) for i in range(0, len(ds.val), 128)]
                    )
                    rep = classification_report(probs, ds.val.y, list(ds.class_names))
                    val_loss, val_acc = rep["loss"], rep["accuracy"]
                    val_pred = probs.argmax(axis=1).tolist()
                cur_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
                m = EpochMetrics(epoch + 1, loss, acc, val_loss, val_acc, time.perf_counter() - t_epoch, cur_lr, val_pred)
                history.append(m)
                card["epochs"].append({k: v for k, v in dataclasses.asdict(m).items() if k != "val_predictions"})
                key_acc = val_acc if val_acc is not None else m.accuracy
                key_loss = val_loss if val_loss is not None else m.loss
                if key_acc > best["acc"] or (key_acc == best["acc"] and key_loss < best["loss"]):
                    best.update(acc=key_acc, loss=key_loss, weights=model.get_weights(), epoch=epoch + 1)
                    if self.checkpoint_path:
                        ck = dict(card, status="checkpoint", best_epoch=epoch + 1)
                        save_model(plain(), self.checkpoint_path,
                                   ModelInfo(list(ds.class_names), (h, w), run_card=ck), weights_dtype=s.weights_dtype)
                self._emit("on_epoch", m)
                msg = f"epoch {epoch + 1}/{s.epochs}: loss {m.loss:.4f} acc {m.accuracy:.4f}"
                if val_acc is not None:
                    msg += f"  val_loss {val_loss:.4f} val_acc {val_acc:.4f}"
                self._log(msg + f"  ({m.seconds:.1f} s)")

            # The training loop is ours, one ``train_on_batch`` per batch, fed by a background
            # thread.  ``fit`` on a Python generator wraps it in a prefetching tf.data pipeline,
            # and deleting that pipeline's iterator at the end of a run stalled for about 45 s in
            # 7 of 10 quick-preset runs (TensorFlow's ~IteratorResource); it also ran the
            # generator ahead across epoch boundaries, so each epoch's first batches came from
            # the previous epoch's shuffle.  (docs/model.md, "Quick preset")
            feeder = _Feeder(batches, s.epochs)
            try:
                for epoch in range(s.epochs):
                    t_epoch = time.perf_counter()
                    progbar = keras.utils.Progbar(steps, stateful_metrics=["loss", "accuracy"]) if self.verbose else None
                    seen = 0
                    loss_sum = acc_sum = 0.0
                    for b in range(steps):
                        xb, yb = feeder.get()
                        logs = model.train_on_batch(xb, yb, return_dict=True)
                        n = len(yb)
                        seen += n
                        loss_sum += float(logs["loss"]) * n
                        acc_sum += float(logs["accuracy"]) * n
                        loss, acc = loss_sum / seen, acc_sum / seen  # running means over the epoch, as fit reports
                        if progbar is not None:
                            progbar.update(b + 1, [("loss", loss), ("accuracy", acc)], finalize=b + 1 == steps)
                        batch_end(epoch, b, n, loss, acc, t_epoch)
                        if self._stop.is_set():
                            break
                    if self._stop.is_set():
                        break  # a stopped epoch is partial: record nothing for it
                    epoch_end(epoch, loss, acc, t_epoch)
            except Exception:
                card["status"] = "failed"
                raise
            finally:
                feeder.close()
            if self._stop.is_set():
                status = "stopped"
                self._log("stopped")
                self._mark_checkpoint_stopped(len(history))
            kept = "last"
            if s.restore_best and best["weights"] is not None and len(ds.val):
                model.set_weights(best["weights"])
                kept = "best"
            card["best_epoch"] = best["epoch"]
            card["kept_weights"] = kept  # "best" (validation) epoch or "last" epoch
            if model is not plain_model:  # test and save the float32 model users will run
                model = self.model = plain()
                evaluator = Classifier(model, ModelInfo(list(ds.class_names), (h, w)))
            test_report = None
            test_pred = None
            if len(ds.test):
                probs = np.concatenate([evaluator.probabilities(ds.test.x[i : i + 128]) for i in range(0, len(ds.test), 128)])
                test_report = classification_report(probs, ds.test.y, list(ds.class_names))
                test_pred = probs.argmax(axis=1)
                card["test"] = {k: test_report[k] for k in ("accuracy", "loss", "n", "confusion_matrix")}
                self._log(f"test accuracy {test_report['accuracy']:.4f} (loss {test_report['loss']:.4f}, n {test_report['n']})")
            card["status"] = status
            card["duration_seconds"] = round(time.time() - started, 2)
            model_path = None
            if self.out:
                save_model(model, self.out, ModelInfo(list(ds.class_names), (h, w), run_card=card), weights_dtype=s.weights_dtype)
                atomic_write_json(self.run_card_path, card)
                model_path = self.out
                self._log(f"saved {self.out}")
            ck = self.checkpoint_path if self.checkpoint_path and self.checkpoint_path.exists() else None
            result = TrainResult(status, model_path, ck, card, test_report, test_pred, history)
        self._emit("on_finish", result)
        return result
