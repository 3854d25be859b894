"""Create a compiled model's training state before its first step, so that step is traced once.

Keras 3 on TensorFlow, without a distribution strategy, creates the optimizer's
slots (Adam's two per weight: 428 variables for ResNet-50), the loss tracker
and the metrics' variables lazily, inside the first traced training step.
Variables born inside a ``tf.function`` make TensorFlow trace that function a
second time, so a run's first step traced ResNet-50's forward and backward pass
twice: 19.5 s on a 2-core AMD EPYC, about as long as a whole epoch of the quick
preset.  Created first, from one batch's shapes, the same state costs about
1.3 s and the first step 7.8 s (``bench/first_step.py``; numbers in
``docs/model.md``, "Quick preset").  The same variables are created either way,
with the same initial values, so training is unchanged.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


def build_for_training(model, labels: np.ndarray) -> bool:
    """Create ``model``'s optimizer, loss and metric variables now; True if all of them were built.

    ``model`` is compiled; ``labels`` is one batch's labels as the run will feed them
    (class indices, or one-hot rows under label smoothing): only shapes and dtypes are
    used.  On a Keras without the symbolic build the optimizer alone is built (the
    metrics then still trace twice); a failure only logs, since Keras builds the rest
    on the first step as before.
    """
    x = np.zeros((1, *model.input_shape[1:]), dtype="float32")
    y = np.asarray(labels)[:1]
    try:
        symbolic = getattr(model, "_symbolic_build", None)  # what Keras itself does under a strategy
        if symbolic is not None:
            symbolic(data_batch=(x, y, None))
        elif model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    except Exception as exc:  # noqa: BLE001 - an optimisation only: Keras builds on the first step instead
        log.warning("could not build the training state before the first step (%s): it is traced twice", exc)
        return False
    optimizer = model.optimizer
    return symbolic is not None and (optimizer is None or optimizer.built)
