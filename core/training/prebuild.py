"""Create a compiled model's training state before its first step, so that step is traced once.

Keras 3 on TensorFlow, without a distribution strategy, creates the optimizer's
slots (Adam's two per weight: 428 variables for ResNet-50), the loss tracker
and the metrics' variables lazily, inside the first traced training step.
Variables born inside a ``tf.function`` make TensorFlow trace that function a
second time, so a run's first step traced ResNet-50's forward and backward pass
twice: 16.7 s on a 2-core AMD EPYC, about an epoch of the quick preset.
Created first, from one batch's shapes, the same state costs about 1.1 s and
the first step 6.3 s (``python -m bench.first_step``; docs/model.md, "One
trace per run").  The same variables are created either way,
with the same initial values, so training is unchanged.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


def build_for_training(model, classes: int, label_smoothing: float = 0.0) -> bool:
    """Create ``model``'s optimizer, loss and metric variables now; True if all of them were built.

    ``model`` is compiled with :func:`core.training.loss.training_loss` for ``label_smoothing``;
    its labels are made as the run feeds them (:func:`core.training.loss.labels_for`): only
    shapes and dtypes are used.  On a Keras without the symbolic build the optimizer alone is
    built (the metrics then still trace twice); a failure only logs, since Keras builds the
    rest on the first step as before.
    """
    from core.training.loss import labels_for

    x = np.zeros((1, *model.input_shape[1:]), dtype="float32")
    y = labels_for(np.zeros(1, dtype="int32"), classes, label_smoothing)
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
