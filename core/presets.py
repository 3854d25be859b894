"""Named training settings.

* ``quick``: the classroom demo: about 2-3 minutes on a 2-core CPU, visibly
  learning (0.92 SIGNS test accuracy measured; the 0.97 target is open).
* ``standard``: a sensible default for a new dataset.
* ``notebook``: the notebook's own run (2 epochs, batch 32, Adam 1e-3, He init
  swapped for nothing else; BatchNorm momentum 0.99 as in Keras 2) to show its
  BatchNorm lag.
"""

from __future__ import annotations

import dataclasses

from core.errors import HandSignError
from core.training import TrainSettings

PRESETS: dict[str, dict] = {
    # Measured on this 2-core CPU (`handsign train --preset quick --data signs`): 2 min 17 s end to
    # end, test accuracy 0.917 (best validation epoch 7).  With the basic augmentation 12 epochs
    # reached only 0.84; lr 1e-3 for 13 epochs reached 0.88.  The 0.97 target is not met yet.
    "quick": dict(epochs=10, batch_size=32, learning_rate=2e-3, schedule="cosine", augment=False, val_split=0.15),
    "standard": dict(epochs=30, batch_size=32, learning_rate=1e-3, schedule="cosine", augment=True, val_split=0.15),
    "ship": dict(epochs=40, batch_size=32, learning_rate=1e-3, schedule="cosine", augment=True,
                 augment_level="studio", val_split=0.15, weights_dtype="float16"),
    "notebook": dict(epochs=2, batch_size=32, learning_rate=1e-3, schedule="constant", augment=False, val_split=0.0,
                     init="glorot", bn_momentum=0.99),
}


def settings_for(preset: str = "standard", **overrides) -> TrainSettings:
    if preset not in PRESETS:
        raise HandSignError(f"unknown preset {preset!r}: use one of {', '.join(sorted(PRESETS))}")
    values = dict(PRESETS[preset], preset=preset)
    values.update({k: v for k, v in overrides.items() if v is not None})
    fields = {f.name for f in dataclasses.fields(TrainSettings)}
    unknown = set(values) - fields
    if unknown:
        raise HandSignError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return TrainSettings(**values)
