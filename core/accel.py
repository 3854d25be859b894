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
* :func:`with_precision`: a copy of a model whose layers compute in another
  dtype policy (``"mixed_bfloat16"`` for training on CPUs with AVX512-BF16 or
  AMX; ``"float32"`` to save / evaluate), weights copied across.  Variables
  stay float32 under mixed precision, so the copy is exact.
* :func:`constant_forward`: the per-frame inference pass of a loaded model,
  with weights as graph constants and BatchNorm folded into the convolutions.
"""

from __future__ import annotations

import logging

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
