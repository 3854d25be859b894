"""Speed levers for training, each measured in ``bench/`` (numbers in ``bench/README.md``).

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
* :func:`at_input_size`: the same model (the same layer objects, so the same
  weights and optimizer state) on a smaller input, for progressive resizing.
* :func:`with_precision`: a copy of a model whose layers compute in another
  dtype policy (``"mixed_bfloat16"`` for training on CPUs with AVX512-BF16 or
  AMX; ``"float32"`` to save / evaluate), weights copied across.  Variables
  stay float32 under mixed precision, so the copy is exact.
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


def fuse_batchnorm(model) -> int:
    """Make ``model``'s channels-last 4-D BatchNormalization layers use the fused kernel.

    Only on the TensorFlow backend, and only for plain layers (no renorm, no
    synchronisation, axis last).  Call before the model is compiled / traced.
    Returns how many layers now use it.
    """
    if not _tensorflow_backend():
        return 0
    from keras import layers

    from core.model.resnet import all_layers

    count = 0
    for layer in all_layers(model):
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
    kernel makes one, a good share of a training step faster (measured by
    bench/train.py; numbers in bench/README.md).  The kernel
    computes Keras's formula (``lr * sqrt(1 - b2^t) / (1 - b1^t) * m /
    (sqrt(v) + epsilon)``, tested against it).  TensorFlow only; not with
    AMSGrad, weight decay, EMA or gradient accumulation (returns False and
    changes nothing).  Call after ``compile``: the patch is on this instance.
    """
    if not _tensorflow_backend():
        return False
    import keras

    if getattr(getattr(optimizer, "update_step", None), "__fused_adam__", False):
        return True  # already fused (idempotent)
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


def at_input_size(model, size: int):
    """``model``'s layers called on a ``size`` x ``size`` input: a twin that shares every weight.

    Training the twin trains ``model``: a compiled ``model``'s twin is compiled with the
    same optimizer object (one step count, one learning-rate schedule) and loss.  Works for a network that is convolutional up to
    a layer whose output no longer depends on the input size (the notebook's ResNet-50 at
    any side from 37 to 64 pixels has the same 2x2 stage-5 map).  Fused BatchNorm calls
    (:func:`fuse_batchnorm`) are on the layer objects, so the twin has them too.
    """
    import keras

    channels = model.input_shape[-1]
    twin = keras.models.clone_model(model, input_tensors=keras.Input((size, size, channels)),
                                    clone_function=lambda layer: layer)
    if getattr(model, "optimizer", None) is not None and getattr(model, "loss", None) is not None:
        twin.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"])
    return twin


def _flat(items):
    return items if isinstance(items, (list, tuple)) else [items]


def _policy_name(layer) -> str:
    policy = getattr(layer, "dtype_policy", None)
    return getattr(policy, "name", str(policy))


def resolve_precision(precision: str = "auto", device: str = "cpu") -> str:
    """``"auto"`` -> ``"mixed_bfloat16"`` on a TensorFlow CPU with bfloat16 units, else ``"float32"``.

    bench/levers.py measured mixed_bfloat16 + fused BatchNorm clearly faster than
    float32 training on an AVX512-BF16 CPU, with the same test accuracy (numbers
    in bench/README.md).  GPUs keep float32 here: not measured.
    """
    if precision != "auto":
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be auto or one of {', '.join(PRECISIONS)}, got {precision!r}")
        return precision
    on_cpu = (device or "cpu").strip().lower() == "cpu"
    if on_cpu and _tensorflow_backend() and cpu_supports_bfloat16():
        return "mixed_bfloat16"
    return "float32"
