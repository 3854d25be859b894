"""The gradient of the pooled features with respect to a block output, written out by hand for the heatmap.

The heatmap needs ``d logit / d A`` for a block output ``A``: the network after
``A`` run forwards, then backwards.  TensorFlow's automatic gradient runs each
convolution backwards as ``Conv2DBackpropInput``, which on the CPU cost about
45 of the 57 ms of a stage-4 map (measured: forward alone 12 ms).  Here the
layers after ``A`` are replayed from the model's graph as plain TensorFlow ops
with the folded constant weights, and each backward convolution is an ordinary
forward convolution with a pre-flipped, pre-transposed constant kernel (which
oneDNN prepares once); a strided 1x1 convolution's gradient is that
convolution followed by spreading onto the strided grid.

:func:`tail_program` returns None for a layer it does not know (then the
engine uses the automatic gradient); the result is checked against it in the
tests.  Supported: Conv2D (odd square kernel, stride 1 "same", or 1x1 with any
stride "valid"), BatchNormalization, ReLU, Add, AveragePooling2D (pool ==
stride, "valid") and Flatten: the ResNet-50 tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class _Step:
    kind: str  # "conv", "affine", "relu", "add", "pool", "flatten"
    ins: list[int]
    out: int
    consts: tuple = ()  # numpy arrays
    stride: int = 1
    padding: str = "SAME"
    in_shape: tuple = ()  # (H, W, C) of the first input


def _conv_step(layer, ins, out, values, in_shape):
    k = values[id(layer.kernel)]
    kh, kw = k.shape[:2]
    s = int(layer.strides[0])
    ok = (layer.groups == 1 and tuple(layer.dilation_rate) == (1, 1) and layer.data_format == "channels_last"
          and layer.activation.__name__ == "linear" and kh == kw and kh % 2 == 1 and layer.strides[0] == layer.strides[1])
    ok = ok and ((s == 1 and (layer.padding == "same" or kh == 1)) or (kh == 1 and layer.padding == "valid"))
    if not ok:
        return None
    back = np.ascontiguousarray(k[::-1, ::-1].transpose(0, 1, 3, 2))
    bias = values[id(layer.bias)] if layer.use_bias else np.zeros(k.shape[-1], np.float32)
    return _Step("conv", ins, out, (k, bias, back), s, "SAME" if kh > 1 else "VALID", in_shape)


def _step(layer, ins, out, values, in_shape):
    from keras import layers

    if type(layer) is layers.Conv2D:
        return _conv_step(layer, ins, out, values, in_shape)
    if type(layer) is layers.BatchNormalization and layer.axis in (-1, 3) and layer.center and layer.scale:
        scale = values[id(layer.gamma)] / np.sqrt(values[id(layer.moving_variance)] + layer.epsilon)
        offset = values[id(layer.beta)] - values[id(layer.moving_mean)] * scale
        return _Step("affine", ins, out, (scale.astype(np.float32), offset.astype(np.float32)))
    if type(layer) is layers.Activation and layer.activation.__name__ == "relu":
        return _Step("relu", ins, out)
    if type(layer) is layers.Add:
        return _Step("add", ins, out)
    if (type(layer) is layers.AveragePooling2D and layer.padding == "valid" and tuple(layer.pool_size) == tuple(layer.strides)
            and layer.pool_size[0] == layer.pool_size[1]):
        return _Step("pool", ins, out, stride=int(layer.pool_size[0]), in_shape=in_shape)
    if type(layer) is layers.Flatten:
        return _Step("flatten", ins, out, in_shape=in_shape)
    return None


def tail_program(model, start_layer: str, end_tensor, values: dict) -> list[_Step] | None:
    """The layers from ``start_layer``'s output to ``end_tensor`` (the pooled features) as steps, or None."""
    start = model.get_layer(start_layer)
    slots = {id(start.output): 0}
    steps: list[_Step] = []
    for layer in model.layers[model.layers.index(start) + 1:]:
        node = layer._inbound_nodes[0]
        if not all(id(t) in slots for t in node.input_tensors):
            continue
        out_tensor = node.output_tensors[0]
        slots[id(out_tensor)] = len(slots)
        in_shape = tuple(int(d) for d in node.input_tensors[0].shape[1:])
        step = _step(layer, [slots[id(t)] for t in node.input_tensors], slots[id(out_tensor)], values, in_shape)
        if step is None:
            return None
        steps.append(step)
        if out_tensor is end_tensor:
            return steps
    return None


def _spread(g, stride: int, in_shape: tuple):
    """``g`` (1, h, w, C) placed on every ``stride``-th row and column of a zero (1, H, W, C) grid."""
    import tensorflow as tf

    _, h, w, c = g.shape
    t = tf.reshape(tf.stack([g] + [tf.zeros_like(g)] * (stride - 1), axis=3), (1, h, w * stride, c))
    t = tf.reshape(tf.stack([t] + [tf.zeros_like(t)] * (stride - 1), axis=2), (1, h * stride, w * stride, c))
    return t[:, : in_shape[0], : in_shape[1], :]


def run_forward(steps, acts):
    """Inside a tf.function: every slot's value, from the block output ``acts`` to the pooled features."""
    import tensorflow as tf

    vals = {0: acts}
    for st in steps:
        x = vals[st.ins[0]]
        if st.kind == "conv":
            y = tf.nn.conv2d(x, tf.constant(st.consts[0]), st.stride, st.padding) + tf.constant(st.consts[1])
        elif st.kind == "affine":
            y = x * tf.constant(st.consts[0]) + tf.constant(st.consts[1])
        elif st.kind == "relu":
            y = tf.nn.relu(x)
        elif st.kind == "add":
            y = tf.add_n([vals[i] for i in st.ins])
        elif st.kind == "pool":
            y = tf.nn.avg_pool2d(x, st.stride, st.stride, "VALID")
        else:
            y = tf.reshape(x, (1, -1))
        vals[st.out] = y
    return vals


def run_backward(steps, vals, seed):
    """Inside a tf.function: the gradient at slot 0 (the block output) of ``sum(seed * pooled)``."""
    import tensorflow as tf

    grads = {steps[-1].out: seed}
    for st in reversed(steps):
        g = grads.pop(st.out, None)
        if g is None:
            continue
        if st.kind == "conv":
            g = tf.nn.conv2d(g, tf.constant(st.consts[2]), 1, st.padding)
            g = _spread(g, st.stride, st.in_shape) if st.stride > 1 else g
        elif st.kind == "affine":
            g = g * tf.constant(st.consts[0])
        elif st.kind == "relu":
            g = g * tf.cast(vals[st.out] > 0, g.dtype)
        elif st.kind == "pool":
            p = st.stride
            g = tf.repeat(tf.repeat(g, p, axis=1), p, axis=2) / float(p * p)
            g = tf.pad(g, [[0, 0], [0, st.in_shape[0] - g.shape[1]], [0, st.in_shape[1] - g.shape[2]], [0, 0]])
        elif st.kind == "flatten":
            g = tf.reshape(g, (1, *st.in_shape))
        for i in st.ins:
            grads[i] = grads[i] + g if i in grads else g
    return grads[0]
