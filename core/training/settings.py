"""The settings of one training run (:class:`TrainSettings`), checked before anything is built.

Named sets of them are in ``core.training.presets``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from core.data.augment import LEVELS
from core.device import parse_device
from core.errors import HandSignError
from core.model.resnet import MIN_INPUT_SIDE


@dataclass
class TrainSettings:
    """Everything a run needs to know besides its data; :meth:`validate` checks it with one-line errors."""

    epochs: int = 10
    # > 0: a bigger training set gets fewer epochs, so the run takes about this many batches and no
    # more epochs than ``epochs`` (the fine-tune preset: 10 samples a class or 40, about the same wait).
    max_steps: int = 0
    batch_size: int = 32
    learning_rate: float = 1e-3
    schedule: str = "cosine"  # "constant" or "cosine" (decays to 1 % over the run)
    # Cosine only: the learning rate rises linearly from a tenth of ``learning_rate`` over this many
    # epochs, then decays (core.training.schedule).
    warmup_epochs: float = 0.0
    # > 0: each label is trained as (1 - this) on its class and the rest spread over the others
    # (core.training.loss); it lifted the quick preset's short runs (docs/model.md, "Quick preset").
    label_smoothing: float = 0.0
    # Progressive resizing: the first ``small_epochs`` epochs train on images shrunk to ``small_size``
    # pixels a side (same weights: the network is convolutional up to its 2x2 average pool); the rest,
    # and validation, test and the saved model, are at the dataset's size.  0: off.
    small_size: int = 0
    small_epochs: int = 0
    # Progressive resizing by cropping: the small epochs take a random ``small_size`` square of each
    # image instead of shrinking it, so the hand keeps the scale it has at full size; these epochs are
    # validated at full size, and every epoch may be small (the model is still tested and saved at 64).
    small_crop: bool = False
    augment: bool = True
    # "light", "basic" (framing, light), "camera" (+ hue, saturation, gamma, noise), "studio" (+ new walls,
    # smaller hands, grayscale) or "rooms" (+ real photos)
    augment_level: str = "basic"
    val_split: float = 0.15
    # A class-folder tree without its own splits gives this fraction of each class to test ...
    test_split: float = 0.15
    # ... unless its smallest class has fewer images than this (0: always split): a handful of
    # collected samples should be learnt from, not set aside (the finetune preset).
    min_class_images_for_test: int = 0
    # > 0: move all but this many validation images per class into training (Dataset.with_small_val):
    # the quick preset learns from more SIGNS images and still draws a validation curve (docs/model.md).
    val_per_class: int = 0
    # True: the final model gets the weights of the best validation epoch; False: the last epoch's
    # (the end of the cosine schedule; a small validation set picks a mid-run epoch by noise).
    restore_best: bool = True
    seed: int = 0
    device: str = "cpu"
    init: str = "he"
    bn_momentum: float = 0.9
    # Each residual block starts as its shortcut (gamma 0 in its last BatchNorm; core.model.resnet.ResNet50):
    # it lifted the quick preset's SIGNS test accuracy (docs/model.md, "Quick preset").
    zero_gamma: bool = False
    # After the last epoch, recount every BatchNorm layer's statistics over the training images at the
    # final weights (core.training.bn_refresh), instead of keeping the moving average of the last batches.
    refresh_batchnorm: bool = False
    weights_dtype: str = "float32"  # "float16" halves the saved file
    # Compute dtype while training: "auto" = mixed_bfloat16 on a CPU with bf16 units (faster there,
    # same accuracy; numbers in bench/README.md), else float32.  Saved models are float32.
    precision: str = "auto"
    fused_batchnorm: bool = True  # TensorFlow's fused BatchNorm kernel while training (same maths; core.training.fast)
    fused_optimizer: bool = True  # TensorFlow's fused Adam update kernel (same maths; core.training.fast.fuse_adam)
    # Crop every training image to the square the hand finder puts around its hand (core.hands.framing),
    # so training sees hands framed as the app and `handsign predict` show them to the model.
    find_hand: bool = True
    # Keep the hand finder's answer for each image on disk (core.training.hand_cache), so a dataset is
    # searched for hands once, not on every run.
    hand_cache: bool = True
    # Learn the hand-shape head (core.hands.shape: a second opinion from the hand's 21 landmarks) after the
    # run and save it inside the model file (core.training.shape_fit).
    shape_head: bool = False
    # A folder of photographs without hands (tools/backgrounds.py) for the "rooms" augmentation to put
    # behind the hand; empty: synthetic backgrounds only.
    backgrounds: str = ""
    preset: str = ""
    # Read the training data from disk through tf.data (core.data.stream): "auto" when the decoded images
    # would not fit the memory budget, "on" / "off" to force it.  Streamed runs train with fit
    # (core.training.distribute).
    stream: str = "auto"
    # Data-parallel over all local GPUs (MirroredStrategy), or across machines with TF_CONFIG
    # (MultiWorkerMirroredStrategy); core.training.distribute, docs/distributed.md.
    distribute: bool = False

    def for_images(self, n_train: int) -> TrainSettings:
        """These settings for a training set of ``n_train`` images: fewer epochs where ``max_steps`` says so."""
        if self.max_steps <= 0 or n_train <= 0:
            return self
        steps = math.ceil(n_train / self.batch_size)
        epochs = max(1, min(self.epochs, math.ceil(self.max_steps / steps)))
        return self if epochs == self.epochs else replace(self, epochs=epochs)

    def validate(self) -> None:
        if self.epochs < 1:
            raise HandSignError(f"epochs must be at least 1, got {self.epochs}")
        if self.max_steps < 0:
            raise HandSignError(f"the most batches of a run must be 0 (no limit) or more, got {self.max_steps}")
        if not 0.0 <= self.test_split < 1.0:
            raise HandSignError(f"test split must be a fraction from 0 up to 1, got {self.test_split}")
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
        if self.stream not in ("auto", "on", "off"):
            raise HandSignError(f"stream must be 'auto', 'on' or 'off', got {self.stream!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise HandSignError(f"label smoothing must be a fraction from 0 up to 1, got {self.label_smoothing}")
        if self.warmup_epochs < 0:
            raise HandSignError(f"warm-up epochs must be 0 or more, got {self.warmup_epochs}")
        if self.small_epochs < 0 or (self.small_epochs and self.small_size < MIN_INPUT_SIDE):
            raise HandSignError(f"progressive resizing needs 0 or more small epochs at {MIN_INPUT_SIDE} pixels or "
                                f"more, got {self.small_epochs} at {self.small_size}")
        parse_device(self.device)  # a misspelt device is a usage error, not a failed run
