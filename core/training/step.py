"""One training step for every batch size of a run, traced once.

``model.train_on_batch`` traces its step for each batch shape it meets, so a
run whose images do not divide into full batches traces ResNet-50's forward
and backward pass a second time for the short last batch: 6-7 s once a run on
a 2-core AMD EPYC, a tenth of a fine-tune (docs/model.md, "One trace per run").
On TensorFlow :func:`step_for` traces ``model.train_step`` once, for a batch
dimension of any size (the shapes a ``fit`` on a ``tf.data`` pipeline traces
with), and does what ``train_on_batch`` does around it: reset the metrics, run
the step, return its logs as floats.  Other backends get ``train_on_batch``.
The formulas are the same; the rounding is not quite (TensorFlow may pick
other kernels for an open batch size), so a seed's losses differ from
``train_on_batch``'s in the sixth digit and drift apart through a run.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

Step = Callable[[np.ndarray, np.ndarray], dict[str, float]]

_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its step


def step_for(model) -> Step:
    """``model``'s training step on one batch ``(x, y)``: the batch's loss and metrics, as floats.

    The same function for the same model, so a run traces it once.  ``model`` must be
    compiled; build its training state first (:func:`core.training.prebuild.build_for_training`),
    else TensorFlow traces the first call twice, as it does for ``train_on_batch``.
    """
    step = _steps.get(model)
    if step is None:
        import keras

        one_trace = keras.backend.backend() == "tensorflow" and not model.run_eagerly
        step = _steps[model] = _OneTrace(model) if one_trace else _OnBatch(model)
    return step


class _OnBatch:
    """Keras's own ``train_on_batch``."""

    def __init__(self, model):
        self._model = weakref.ref(model)  # the cache is keyed by the model: do not keep it alive

    def __call__(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        return self._model().train_on_batch(x, y, return_dict=True)


class _OneTrace:
    """``train_on_batch`` for TensorFlow with the batch dimension left open in the traced signature."""

    def __init__(self, model):
        self._model = weakref.ref(model)  # the cache is keyed by the model: do not keep it alive
        self._fn = None

    def __call__(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        model = self._model()
        if self._fn is None:
            self._fn = self._traced(self._model, x, y, jit_compile=model.jit_compile is True)
        model.reset_metrics()
        logs = self._fn(x, y)
        return {name: float(value) for name, value in logs.items()}

    @staticmethod
    def _traced(model_ref, x: np.ndarray, y: np.ndarray, jit_compile: bool):
        import tensorflow as tf

        def spec(a: np.ndarray):
            a = np.asarray(a)
            return tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype))

        def one_step(xb, yb):  # through the weak reference: the traced function must not keep the model alive
            return model_ref().train_step((xb, yb))

        return tf.function(one_step, input_signature=[spec(x), spec(y)], jit_compile=jit_compile)
