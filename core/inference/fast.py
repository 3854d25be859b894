"""Fast per-frame inference for a loaded model (measured in ``bench/``; numbers in ``bench/README.md``).

* :func:`constant_forward`: the inference pass of a loaded model, with
  weights as graph constants and BatchNorm folded into the convolutions.
* :func:`lite_forward`: the per-frame (batch 1) pass of a loaded model: that
  same folded graph converted once to TensorFlow Lite and run by its XNNPACK
  CPU kernels, checked against the Keras model, with the converted flatbuffer
  and a record of the check cached in the user folder
  (``core.inference.lite_cache``), where the TensorFlow-free path
  (``core.inference.lite``) finds it on the next start.

TensorFlow-only: under another Keras backend :func:`lite_forward` returns None.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from core.inference import lite_cache
from core.inference.lite import LiteForward, lite_disabled, lite_threads
from core.inference.precision import check_tolerance, inference_precision

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


def folded_values(model) -> dict:
    """``{id(variable): float32 value}`` for every variable of ``model``, with each Conv2D -> BatchNormalization
    pair folded into the convolution; the BatchNormalization left behind computes ``x + shift`` (exactly ``x``
    when the conv has a bias).  Used by :func:`constant_forward` and by ``core.explain.cam``."""
    import numpy as np

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
        values[id(bn.gamma)] = np.ones_like(values[id(bn.gamma)])
        values[id(bn.beta)] = shift.astype(np.float32)
        values[id(bn.moving_mean)] = np.zeros_like(values[id(bn.moving_mean)])
        values[id(bn.moving_variance)] = np.full_like(values[id(bn.moving_variance)], 1.0 - bn.epsilon)
    return values


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
    import tensorflow as tf

    values = folded_values(model)
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


def new_tf_lite_interpreter(blob: bytes, threads: int):
    import tensorflow as tf

    from core.device import quiet_stderr

    # "tf.lite.Interpreter is deprecated" (it is still what TF 2.21 ships), and the native
    # "INFO: Created TensorFlow Lite XNNPACK delegate" line, which would break the CLI's one-line errors.
    with warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=blob, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


def convert_batch_one(const_fn, input_shape, *, precision: str = "float32", configure=None) -> bytes:
    """The flatbuffer of ``const_fn`` at batch 1: float32, or ``precision="dynamic-int8"`` (dynamic-range
    quantization, ``core.inference.precision``).  ``configure(converter)``, if given, sets other converter
    options last (``bench/precision.py`` uses it for full-integer and float16 variants)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, *input_shape), tf.float32)])
    def batch_one(x):
        return const_fn(x)

    from core.device import quiet_stderr

    converter = tf.lite.TFLiteConverter.from_concrete_functions([batch_one.get_concrete_function()], batch_one)
    if precision == "dynamic-int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if configure is not None:
        configure(converter)
    with warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        return converter.convert()


def _from_cache(folder: Path, file_id: lite_cache.ModelFileId, probe, expected, threads: int, precision: str):
    """The cached conversion of this model file if it still agrees with the Keras model, else None."""
    import numpy as np

    flatbuffer, _ = lite_cache.entry_paths(folder, file_id)
    if not flatbuffer.is_file():
        return None
    try:
        blob = flatbuffer.read_bytes()
        forward = LiteForward(new_tf_lite_interpreter(blob, threads), "cache")
        got = forward(probe)
    except Exception as exc:  # unreadable or damaged cache entry: convert again
        log.warning("cached TensorFlow Lite model %s unusable (%s); converting again", flatbuffer, exc)
        return None
    if not np.allclose(got, expected, atol=check_tolerance(precision)):
        log.warning("cached TensorFlow Lite model %s disagrees with the model; converting again", flatbuffer)
        return None
    if lite_cache.read_checked(folder, file_id) is None:  # a sidecar lost or from before: vouch again
        _store(folder, file_id, blob, got, expected, precision)
    lite_cache.touch(folder, file_id)
    return forward


def _store(folder: Path, file_id: lite_cache.ModelFileId, blob: bytes, got, expected, precision: str) -> None:
    import numpy as np
    import tensorflow as tf

    check = {
        "precision": precision,
        "tolerance": check_tolerance(precision),
        "max_difference": float(np.abs(got - expected).max()),
        "probe_output": np.asarray(expected, dtype=float).tolist(),
        "converter": f"tensorflow {tf.__version__}",
    }
    try:
        lite_cache.store(folder, file_id, blob, check=check)
    except OSError as exc:
        log.info("TensorFlow Lite cache not written (%s)", exc)


def _converted_forward(const_fn, input_shape, probe, expected, threads: int, precision: str):
    """``(LiteForward, flatbuffer)`` converted at ``precision`` and checked on the probe; None (logged) when it
    strays beyond the tolerance."""
    import numpy as np

    blob = convert_batch_one(const_fn, input_shape, precision=precision)
    forward = LiteForward(new_tf_lite_interpreter(blob, threads), "converted")
    got = forward(probe)
    if not np.allclose(got, expected, atol=check_tolerance(precision)):
        log.warning("TensorFlow Lite pass (%s) differs from TensorFlow by %.2g; not used", precision,
                    float(np.abs(got - expected).max()))
        return None
    return forward, blob


def lite_forward(model, const_fn, cache_dir: Path | None = None, *, file_id: lite_cache.ModelFileId | None = None,
                 threads: int | None = None, precision: str | None = None):
    """The batch-1 forward pass of ``model`` through TensorFlow Lite, or ``None`` where it is unavailable.

    ``const_fn`` is :func:`constant_forward` of the model: it is what gets
    converted (BatchNorm folded, weights constant); it is traced only when
    converting.  The TensorFlow Lite pass is checked against the Keras model
    on a probe image before use.  With ``cache_dir`` and ``file_id`` (the model
    file the model was loaded from, ``lite_cache.model_file_id``, taken before
    loading) the converted flatbuffer is kept under the file's key with a
    record of the check, so the next start skips the conversion (about 3 s) or
    TensorFlow altogether (``core.inference.lite``); a cache that cannot be
    written only costs that time.  bench/infer.py measured the pass at about 2x
    faster than ``const_fn`` on this 2-core CPU, with the same probabilities.
    ``precision`` (default: ``file_id``'s, else ``core.inference.precision.inference_precision()``):
    ``"dynamic-int8"`` (about 3x faster again, probabilities within 0.01) or
    ``"float32"``; a quantized conversion that fails its check falls back to float32.
    Falls back (returns ``None``, logged) on any failure: JAX backend, a
    TensorFlow without ``tf.lite``, ``HANDSIGN_INFERENCE=tensorflow``.
    """
    if not _tensorflow_backend() or lite_disabled():
        return None
    try:
        import numpy as np

        input_shape = tuple(int(d) for d in model.input_shape[1:])
        threads = threads or lite_threads()
        folder = Path(cache_dir) if cache_dir is not None and file_id is not None else None
        probe = np.random.default_rng(lite_cache.PROBE_SEED).random((1, *input_shape), dtype=np.float32)
        # The Keras model itself, eagerly (0.1 s): tracing const_fn would cost 2 s that a cache hit saves.
        expected = np.asarray(model(probe, training=False))
        precision = precision or (file_id.precision if file_id is not None else inference_precision())
        forward = _from_cache(folder, file_id, probe, expected, threads, precision) if folder is not None else None
        if forward is None:
            converted = _converted_forward(const_fn, input_shape, probe, expected, threads, precision)
            if converted is None and precision != "float32":
                precision = "float32"
                converted = _converted_forward(const_fn, input_shape, probe, expected, threads, precision)
            if converted is None:
                return None
            forward, blob = converted
            if folder is not None:
                _store(folder, file_id, blob, forward(probe), expected, precision)
        return forward
    except Exception as exc:
        log.warning("TensorFlow Lite path unavailable (%s: %s); using TensorFlow", type(exc).__name__, exc)
        return None
