"""What changes over a training run: the learning rate per step and the image size per epoch.

* :func:`learning_rate` gives the optimizer's learning rate (a number or a Keras
  schedule): constant, or cosine decay to 1 % of the peak, optionally after a
  linear warm-up from a tenth of it.
* :func:`epoch_sizes` gives each epoch's training image side under progressive
  resizing (``small_size`` for the first ``small_epochs`` epochs, then the
  dataset's own size); the last epoch is always at full size, so the model ends
  trained at the size it is tested and saved at.
"""

from __future__ import annotations

from core.training.settings import TrainSettings

WARMUP_START = 0.1  # a warm-up starts at this share of the peak learning rate
COSINE_FLOOR = 0.01  # cosine decay ends at this share of the peak


def learning_rate(settings: TrainSettings, steps_per_epoch: int):
    """The learning rate for ``keras.optimizers.Adam``: a float, or a schedule over all the run's steps."""
    import keras

    s = settings
    total = max(1, steps_per_epoch * s.epochs)
    if s.schedule != "cosine":
        return s.learning_rate
    warmup = min(total - 1, round(s.warmup_epochs * steps_per_epoch))
    if warmup <= 0:
        return keras.optimizers.schedules.CosineDecay(s.learning_rate, total, alpha=COSINE_FLOOR)
    return keras.optimizers.schedules.CosineDecay(
        s.learning_rate * WARMUP_START, total - warmup, alpha=COSINE_FLOOR,
        warmup_target=s.learning_rate, warmup_steps=warmup)


def epoch_sizes(settings: TrainSettings, full_size: int) -> list[int | None]:
    """Each epoch's training image side: ``settings.small_size`` early on, None for the dataset's ``full_size``."""
    s = settings
    last = s.epochs if s.small_crop else s.epochs - 1  # a shrunk run ends at full size; a cropped one may not
    small = min(s.small_epochs, last) if 0 < s.small_size < full_size else 0
    return [s.small_size if epoch < small else None for epoch in range(s.epochs)]
