"""Speed levers for training and inference, each measured in ``bench/`` before adoption.

Everything here keeps saved models plain Keras: no custom layer classes, no
custom objects.  TensorFlow-specific paths are taken only when
``keras.backend.backend() == "tensorflow"``; under JAX (the GPU machine) the
functions return the model unchanged.

* :func:`fuse_batchnorm`: Keras 3's ``BatchNormalization`` computes batch
  statistics with separate mean / variance / normalise ops (forward and
  backward), which on a 2-core CPU cost as much as the convolutions around
  them.  This swaps, per layer instance, the ``call`` for TensorFlow's fused
  kernel (``FusedBatchNormV3``, oneDNN-accelerated, with a fused gradient).
  Same maths, same variables, same moving-statistics update; the layer class
  and its saved config do not change.
* :func:`fuse_adam`: a Keras ``Adam`` instance's per-variable update done by
  TensorFlow's fused ``ResourceApplyAdam`` kernel (one pass over the weights)
  instead of Keras 3's five separate element-wise ops.  Same formula; the
  optimizer's class and config do not change.
* :func:`with_precision`: a copy of a model whose layers compute in another
  dtype policy (``"mixed_bfloat16"`` for training on CPUs with AVX512-BF16 or
  AMX; ``"float32"`` to save / evaluate), weights copied across.  Variables
  stay float32 under mixed precision, so the copy is exact.
* :func:`constant_forward`: the inference pass of a loaded model, with
  weights as graph constants and BatchNorm folded into the convolutions.
* :func:`lite_forward`: the per-frame (batch 1) pass of a loaded model: that
  same folded graph converted once to TensorFlow Lite and run by its XNNPACK
  CPU kernels, with the converted flatbuffer cached in the user folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

PRECISIONS = ("float32", "mixed_bfloat16")


def _tensorflow_backend() -> bool:
    import keras

    return keras.backend.backend() == "tensorflow"


def cpu_supports_bfloat16() -> bool:
    """True where the CPU has native bfloat16 dot products (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def _fused_call(layer):
    """A ``call`` for one BatchNormalization layer that uses ``FusedBatchNormV3``."""
    import tensorflow as tf

    plain_call = layer.call

    def call(inputs, training=None, mask=None):
        if mask is not None or len(inputs.shape) != 4:
            return plain_call(inputs, training=training, mask=mask)
        dtype = inputs.dtype
        if dtype not in (tf.float32, tf.bfloat16, tf.float16):
            return plain_call(inputs, training=training, mask=mask)
        gamma = tf.cast(layer.gamma, tf.float32) if layer.scale else tf.ones(inputs.shape[-1], tf.float32)
        beta = tf.cast(layer.beta, tf.float32) if layer.center else tf.zeros(inputs.shape[-1], tf.float32)
        if training and layer.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, gamma, beta, epsilon=layer.epsilon, is_training=True, data_format="NHWC"
            )
            # The fused kernel returns the unbiased (n - 1) variance; Keras keeps
            # the biased one in its moving average.  Match Keras exactly.
            n = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), tf.float32)
            variance = variance * ((n - 1.0) / tf.maximum(n, 1.0))
            m = layer.momentum
            layer.moving_mean.assign(layer.moving_mean * m + tf.cast(mean, layer.moving_mean.dtype) * (1.0 - m))
            layer.moving_variance.assign(
                layer.moving_variance * m + tf.cast(variance, layer.moving_variance.dtype) * (1.0 - m)
            )
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=tf.cast(layer.moving_mean, tf.float32),
                variance=tf.cast(layer.moving_variance, tf.float32),
                epsilon=layer.epsilon,
                is_training=False,
                data_format="NHWC",
            )
        return tf.cast(y, layer.compute_dtype)

    call.__wrapped_plain_call__ = plain_call
    return call


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer is not model:
            yield from _all_layers(layer)
        yield layer


def fuse_batchnorm(model) -> int:
    """Make ``model``'s channels-last 4-D BatchNormalization layers use the fused kernel.

    Only on the TensorFlow backend, and only for plain layers (no renorm, no
    synchronisation, axis last).  Call before the model is compiled / traced.
    Returns how many layers now use it.
    """
    if not _tensorflow_backend():
        return 0
    from keras import layers

    count = 0
    for layer in _all_layers(model):
        if type(layer) is not layers.BatchNormalization or getattr(layer.call, "__wrapped_plain_call__", None):
            continue
        if layer.renorm or getattr(layer, "synchronized", False) or layer.axis not in (-1, 3):
            continue
        if layer.epsilon < 1.001e-5:  # the fused kernel's minimum
            continue
        object.__setattr__(layer, "call", _fused_call(layer))
        count += 1
    return count


def fuse_adam(optimizer) -> bool:
    """Make ``optimizer`` (a plain ``keras.optimizers.Adam``) update with ``ResourceApplyAdam``.

    Keras 3 updates each variable with separate ops (m, v, sqrt, divide,
    subtract), each a pass over ResNet-50's 23.5 M weights; TensorFlow's fused
    kernel makes one.  Measured here: 40.6 -> 15.4 ms per update of all
    ResNet-50 weights, against a training step of about 190 ms at batch 16
    (bench/train.py).  The kernel
    computes Keras's formula (``lr * sqrt(1 - b2^t) / (1 - b1^t) * m /
    (sqrt(v) + epsilon)``, tested against it).  TensorFlow only; not with
    AMSGrad, weight decay, EMA or gradient accumulation (returns False and
    changes nothing).  Call after ``compile``: the patch is on this instance.
    """
    if not _tensorflow_backend():
        return False
    import keras

    if type(optimizer) is not keras.optimizers.Adam or any(
            getattr(optimizer, name, None) for name in ("amsgrad", "weight_decay", "use_ema", "gradient_accumulation_steps")):
        return False
    import tensorflow as tf

    def update_step(gradient, variable, learning_rate):
        dtype = variable.dtype
        step = tf.cast(optimizer.iterations + 1, dtype)
        beta_1 = tf.cast(optimizer.beta_1, dtype)
        beta_2 = tf.cast(optimizer.beta_2, dtype)
        index = optimizer._get_variable_index(variable)
        m = optimizer._momentums[index]
        v = optimizer._velocities[index]
        handle = variable.handle if hasattr(variable, "handle") else variable.value.handle
        tf.raw_ops.ResourceApplyAdam(
            var=handle, m=m.value.handle, v=v.value.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(optimizer.epsilon, dtype), grad=tf.cast(gradient, dtype), use_locking=False,
        )

    update_step.__fused_adam__ = True
    object.__setattr__(optimizer, "update_step", update_step)
    return True


def with_precision(model, policy: str):
    """A copy of ``model`` computing in ``policy`` with the same weights (or ``model`` if already so).

    Fused BatchNormalization (if it was applied) is not carried over: call
    :func:`fuse_batchnorm` on the copy if wanted.
    """
    import keras

    if policy not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {policy!r}")
    if all(_policy_name(layer) == policy for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)):
        return model

    def clone(layer):
        config = layer.get_config()
        # The softmax output stays float32 under mixed precision (Keras' advice).
        is_output = layer.name in {t._keras_history.operation.name for t in _flat(model.outputs)}
        config["dtype"] = "float32" if is_output else policy
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _flat(items):
    return items if isinstance(items, (list, tuple)) else [items]


def _policy_name(layer) -> str:
    policy = getattr(layer, "dtype_policy", None)
    return getattr(policy, "name", str(policy))


def resolve_precision(precision: str = "auto", device: str = "cpu") -> str:
    """``"auto"`` -> ``"mixed_bfloat16"`` on a TensorFlow CPU with bfloat16 units, else ``"float32"``.

    bench/levers.py measured mixed_bfloat16 + fused BatchNorm at about 1.5x the
    float32 training rate on an AVX512-BF16 CPU, with the same test accuracy
    (bench/README.md).  GPUs keep float32 here: not measured.
    """
    if precision != "auto":
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be auto or one of {', '.join(PRECISIONS)}, got {precision!r}")
        return precision
    on_cpu = (device or "cpu").strip().lower() == "cpu"
    if on_cpu and _tensorflow_backend() and cpu_supports_bfloat16():
        return "mixed_bfloat16"
    return "float32"


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
                    from core.modelio import atomic_write_bytes

                    atomic_write_bytes(cached, lambda tmp: tmp.write_bytes(blob))
                    _prune_cache(cached.parent)
                except OSError as exc:
                    log.info("TensorFlow Lite cache not written (%s)", exc)
        return forward
    except Exception as exc:
        log.warning("TensorFlow Lite path unavailable (%s: %s); using TensorFlow", type(exc).__name__, exc)
        return None
