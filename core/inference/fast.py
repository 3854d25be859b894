"""Fast per-frame inference for a loaded model (measured in ``bench/``; numbers in ``bench/README.md``).

* :func:`constant_forward`: the inference pass of a loaded model, with
  weights as graph constants and BatchNorm folded into the convolutions.
* :func:`lite_forward`: the per-frame (batch 1) pass of a loaded model: that
  same folded graph converted once to TensorFlow Lite and run by its XNNPACK
  CPU kernels, with the converted flatbuffer cached in the user folder.

TensorFlow-only: under another Keras backend :func:`lite_forward` returns None.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def _tensorflow_backend() -> bool:
    import keras

    return keras.backend.backend() == "tensorflow"


def _producer(tensor):
    return tensor._keras_history.operation


def _conv_bn_pairs(model) -> dict[str, str]:
    """``{conv name: bn name}`` for each Conv2D whose only consumer is a plain channels-last BatchNormalization."""
    from keras import layers

    pairs: dict[str, str] = {}
    for layer in model.layers:
        if type(layer) is not layers.BatchNormalization or layer.axis not in (-1, 3) or len(layer._inbound_nodes) != 1:
            continue
        if not (layer.center and layer.scale):
            continue
        node = layer._inbound_nodes[0]
        if len(node.input_tensors) != 1:
            continue
        conv = _producer(node.input_tensors[0])
        if type(conv) is not layers.Conv2D or conv.data_format != "channels_last" or conv.groups != 1:
            continue
        if len(conv._inbound_nodes) != 1 or len(conv._outbound_nodes) != 1:
            continue
        pairs[conv.name] = layer.name
    return pairs


def constant_forward(model):
    """``x -> model(x, training=False)`` with the weights baked in as constants and BatchNorm folded.

    TensorFlow only.  For a model whose weights no longer change (one loaded
    from a file): oneDNN reorders constant convolution filters once and caches
    them, where variable filters are reordered on every call, and each
    Conv2D -> BatchNormalization pair becomes one convolution with scaled
    kernels and a new bias (``gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta``),
    so Conv2D + BiasAdd (+ Add) + ReLU fuse into one kernel.  bench/infer.py
    measured the batch-1 forward pass at about 1.6x faster.  Later weight
    updates are not seen: never use it on a model that is being trained.
    Returns a ``tf.function`` taking float32 ``(N, H, W, C)``.
    """
    import numpy as np
    import tensorflow as tf

    values = {id(v): np.asarray(v.numpy(), dtype=np.float32) for v in model.variables}

    def f64(v):
        return values[id(v)].astype(np.float64)

    for conv_name, bn_name in _conv_bn_pairs(model).items():
        conv, bn = model.get_layer(conv_name), model.get_layer(bn_name)
        factor = f64(bn.gamma) / np.sqrt(f64(bn.moving_variance) + bn.epsilon)
        shift = f64(bn.beta) - f64(bn.moving_mean) * factor
        values[id(conv.kernel)] = (f64(conv.kernel) * factor).astype(np.float32)
        if conv.use_bias:
            values[id(conv.bias)] = (f64(conv.bias) * factor + shift).astype(np.float32)
            shift = np.zeros_like(shift)
        # The BatchNormalization that is left computes x + shift (exactly x when the conv has a bias).
        values[id(bn.gamma)] = np.ones_like(values[id(bn.gamma)])
        values[id(bn.beta)] = shift.astype(np.float32)
        values[id(bn.moving_mean)] = np.zeros_like(values[id(bn.moving_mean)])
        values[id(bn.moving_variance)] = np.full_like(values[id(bn.moving_variance)], 1.0 - bn.epsilon)
    trainable = [values[id(v)] for v in model.trainable_variables]
    non_trainable = [values[id(v)] for v in model.non_trainable_variables]
    h, w, c = model.input_shape[1:]

    @tf.function(input_signature=[tf.TensorSpec((None, h, w, c), tf.float32)], jit_compile=False)
    def forward(x):
        # tf.constant inside the trace puts Const nodes in the graph.
        y, _ = model.stateless_call([tf.constant(a) for a in trainable], [tf.constant(a) for a in non_trainable], x,
                                    training=False)
        return y

    return forward


INFERENCE_ENV = "HANDSIGN_INFERENCE"  # "tensorflow": never use the TensorFlow Lite path
LITE_CACHE_KEEP = 4  # converted models kept in the cache folder (about 94 MB each for ResNet-50)
LITE_CHECK_TOLERANCE = 1e-3  # largest probability difference accepted against the Keras model


class LiteForward:
    """A batch-1 forward pass run by a TensorFlow Lite interpreter (XNNPACK on CPU).

    Not thread-safe, like the Classifier that owns it.  Takes and returns
    float32 arrays shaped like the Keras model's input / output with batch 1.
    """

    def __init__(self, interpreter, source: str):
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        self._output = interpreter.get_output_details()[0]["index"]
        self.source = source  # "converted" or "cache"

    def __call__(self, x):
        import numpy as np

        self._interpreter.set_tensor(self._input, np.ascontiguousarray(x, dtype=np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


def lite_threads() -> int:
    """Interpreter threads: both cores of a 2-core machine, at most 4 (bench/infer.py)."""
    return max(1, min(4, os.cpu_count() or 1))


def _weights_key(model) -> str:
    import tensorflow as tf

    digest = hashlib.sha256()
    digest.update(f"tf {tf.__version__} input {tuple(model.input_shape[1:])}".encode())
    for v in model.variables:
        a = v.numpy()
        digest.update(f"{v.path} {a.dtype} {a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:32]


def _prune_cache(folder: Path, keep: int = LITE_CACHE_KEEP) -> None:
    files = sorted(folder.glob("*.tflite"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def _new_interpreter(blob: bytes, threads: int):
    import tensorflow as tf

    from core.device import quiet_stderr

    # "tf.lite.Interpreter is deprecated" (it is still what TF 2.21 ships), and the native
    # "INFO: Created TensorFlow Lite XNNPACK delegate" line, which would break the CLI's one-line errors.
    with warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=blob, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


def _convert(const_fn, input_shape) -> bytes:
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, *input_shape), tf.float32)])
    def batch_one(x):
        return const_fn(x)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([batch_one.get_concrete_function()], batch_one)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def lite_forward(model, const_fn, cache_dir: Path | None = None, *, threads: int | None = None):
    """The batch-1 forward pass of ``model`` through TensorFlow Lite, or ``None`` where it is unavailable.

    ``const_fn`` is :func:`constant_forward` of the model: it is what gets
    converted (BatchNorm folded, weights constant); it is traced only when
    converting.  The TensorFlow Lite pass is checked against the Keras model
    on a probe image before use.  ``cache_dir`` keeps the
    converted flatbuffer under a hash of the weights, so the next load of the
    same model skips the conversion (about 3 s); a cache that cannot be written
    only costs that time.  bench/infer.py measured the pass at about 2x faster
    than ``const_fn`` on this 2-core CPU, with the same probabilities.
    Falls back (returns ``None``, logged) on any failure: JAX backend, a
    TensorFlow without ``tf.lite``, ``HANDSIGN_INFERENCE=tensorflow``.
    """
    if not _tensorflow_backend() or os.environ.get(INFERENCE_ENV, "").strip().lower() == "tensorflow":
        return None
    try:
        import numpy as np

        input_shape = tuple(int(d) for d in model.input_shape[1:])
        threads = threads or lite_threads()
        cached = Path(cache_dir) / f"{_weights_key(model)}.tflite" if cache_dir else None
        probe = np.random.default_rng(0).random((1, *input_shape), dtype=np.float32)
        # The Keras model itself, eagerly (0.1 s): tracing const_fn would cost 2 s that a cache hit saves.
        expected = np.asarray(model(probe, training=False))
        forward = None
        if cached is not None and cached.is_file():
            try:
                forward = LiteForward(_new_interpreter(cached.read_bytes(), threads), "cache")
                if not np.allclose(forward(probe), expected, atol=LITE_CHECK_TOLERANCE):
                    log.warning("cached TensorFlow Lite model %s disagrees with the model; converting again", cached)
                    forward = None
                else:
                    os.utime(cached)
            except Exception as exc:  # unreadable or damaged cache entry: convert again
                log.warning("cached TensorFlow Lite model %s unusable (%s); converting again", cached, exc)
                forward = None
        if forward is None:
            blob = _convert(const_fn, input_shape)
            forward = LiteForward(_new_interpreter(blob, threads), "converted")
            got = forward(probe)
            if not np.allclose(got, expected, atol=LITE_CHECK_TOLERANCE):
                log.warning("TensorFlow Lite pass differs from TensorFlow by %.2g; not used",
                            float(np.abs(got - expected).max()))
                return None
            if cached is not None:
                try:
                    from core.model.files import atomic_write_bytes

                    atomic_write_bytes(cached, lambda tmp: tmp.write_bytes(blob))
                    _prune_cache(cached.parent)
                except OSError as exc:
                    log.info("TensorFlow Lite cache not written (%s)", exc)
        return forward
    except Exception as exc:
        log.warning("TensorFlow Lite path unavailable (%s: %s); using TensorFlow", type(exc).__name__, exc)
        return None
