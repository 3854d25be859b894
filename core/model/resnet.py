"""The notebook's ResNet-50, built from its two residual blocks.

Layer order, kernel sizes, strides, paddings, BatchNorm axis and layer names
follow the deeplearning.ai "Residual Networks" notebook exactly, so that
``model.summary()`` matches ``shared/reference/resnet50_signs_summary.tsv``
(177 layers, 23,600,006 parameters for 64x64x3 and 6 classes).

Only the plain ``keras`` API is used, so the model also builds under the JAX
backend.  Keras is imported lazily: importing this module is cheap.

Initialisation (``init=``):

* ``"he"`` (default for training): He-normal kernels.  ReLU networks this deep
  train faster from He init than from Glorot; the seed comes from the training
  session (``keras.utils.set_random_seed``).
* ``"glorot"``: Keras' default ``glorot_uniform`` per layer, unseeded.
* ``"notebook"``: the values the notebook's TF1 graph produced.  Every kernel is
  the first draw of TF's Philox stream for seed pair (87654321, 0) in its own
  shape (see :mod:`core.model.philox`); biases are zero.  This reproduces the graded
  block outputs exactly and exists for tests and teaching, not for training
  (all same-shaped kernels start identical).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.errors import ModelConfigError

INITS = ("he", "glorot", "notebook")

# (stage, filters, number of identity blocks, stride of the convolutional block)
STAGES: tuple[tuple[int, tuple[int, int, int], int, int], ...] = (
    (2, (64, 64, 256), 2, 1),
    (3, (128, 128, 512), 3, 2),
    (4, (256, 256, 1024), 5, 2),
    (5, (512, 512, 2048), 2, 2),
)
BLOCK_LETTERS = "abcdef"
MAX_IDENTITY_BLOCKS = max(n for _, _, n, _ in STAGES)


def _gamma_init(zero_gamma: bool) -> str:
    return "zeros" if zero_gamma else "ones"


def _kernel_init(init: str):
    return {"he": "he_normal", "glorot": "glorot_uniform", "notebook": "zeros"}[init]


def _last_kernel_init(init: str, branch_scale: float | None):
    """The initialiser of a block's last main-path conv (``res*_branch2c``): He-normal times ``branch_scale``."""
    if branch_scale is None:
        return _kernel_init(init)
    from keras import initializers

    if init != "he":
        raise ModelConfigError(f"branch_scale needs the He init, got {init!r}")
    # He-normal is VarianceScaling(2.0, "fan_in", "truncated_normal"); scaling the weights by s scales the variance by s**2.
    return initializers.VarianceScaling(2.0 * branch_scale**2, "fan_in", "truncated_normal")


def _conv_bn(x, filters: int, kernel: int, strides: int, padding: str, name: str, *, kernel_init, bn_momentum: float,
             batchnorm: bool, gamma: str = "ones"):
    """``res{name}`` conv, then ``bn{name}`` BatchNorm unless ``batchnorm`` is off."""
    from keras import layers

    x = layers.Conv2D(filters, (kernel, kernel), strides=(strides, strides), padding=padding, name="res" + name,
                      kernel_initializer=kernel_init)(x)
    if not batchnorm:
        return x
    return layers.BatchNormalization(axis=3, momentum=bn_momentum, name="bn" + name, gamma_initializer=gamma)(x)


def _main_path(x, f: int, filters: Sequence[int], name: str, s: int, *, init: str, bn_momentum: float,
               zero_gamma: bool, batchnorm: bool, branch_scale: float | None):
    """The three convs of a block's main path, without the last ReLU."""
    from keras import layers

    f1, f2, f3 = filters
    k = _kernel_init(init)
    opts = {"bn_momentum": bn_momentum, "batchnorm": batchnorm}
    x = _conv_bn(x, f1, 1, s, "valid", name + "2a", kernel_init=k, **opts)
    x = layers.Activation("relu")(x)
    x = _conv_bn(x, f2, f, 1, "same", name + "2b", kernel_init=k, **opts)
    x = layers.Activation("relu")(x)
    return _conv_bn(x, f3, 1, 1, "valid", name + "2c", kernel_init=_last_kernel_init(init, branch_scale),
                    gamma=_gamma_init(zero_gamma), **opts)


def identity_block(
    x, f: int, filters: Sequence[int], stage: int, block: str, *, init: str = "he", bn_momentum: float = 0.99,
    zero_gamma: bool = False, shortcut: bool = True, batchnorm: bool = True, branch_scale: float | None = None,
):
    """Identity block: the shortcut is the input itself.

    Main path: 1x1 conv (F1) -> BN -> ReLU -> fxf 'same' conv (F2) -> BN -> ReLU
    -> 1x1 conv (F3) -> BN; then add the shortcut and apply ReLU.

    Args:
        x: input tensor of shape ``(m, H, W, C)``; ``C`` must equal ``F3``.
        f: kernel size of the middle convolution.
        filters: ``(F1, F2, F3)``.
        stage, block: used for layer names, e.g. ``res2b_branch2a``.
        zero_gamma: the last BatchNorm starts with gamma 0 (see :func:`ResNet50`).
        shortcut, batchnorm, branch_scale: the residual-vs-plain experiment's options (see :func:`ResNet50`).
    Returns:
        tensor of shape ``(m, H, W, F3)``.
    """
    from keras import layers

    x_in = x
    x = _main_path(x, f, filters, f"{stage}{block}_branch", 1, init=init, bn_momentum=bn_momentum,
                   zero_gamma=zero_gamma, batchnorm=batchnorm, branch_scale=branch_scale)
    if shortcut:
        x = layers.Add()([x, x_in])
    return layers.Activation("relu")(x)


def convolutional_block(
    x, f: int, filters: Sequence[int], stage: int, block: str, s: int = 2, *, init: str = "he", bn_momentum: float = 0.99,
    zero_gamma: bool = False, shortcut: bool = True, batchnorm: bool = True, branch_scale: float | None = None,
):
    """Convolutional block: the shortcut is a strided 1x1 conv + BN, so shapes can change.

    Main path: 1x1 conv (F1, stride s, 'valid') -> BN -> ReLU -> fxf 'same' conv
    (F2) -> BN -> ReLU -> 1x1 conv (F3, 'valid') -> BN.  Shortcut: 1x1 conv (F3,
    stride s, 'valid') -> BN.  Add, then ReLU.

    Args:
        x: input tensor of shape ``(m, H, W, C)``.
        s: stride of the first main-path conv and of the shortcut conv.
        zero_gamma: the main path's last BatchNorm starts with gamma 0 (see :func:`ResNet50`).
        shortcut: False drops the shortcut conv, its BatchNorm and the Add (the plain twin).
        batchnorm, branch_scale: see :func:`ResNet50`.
    Returns:
        tensor of shape ``(m, ceil(H/s), ceil(W/s), F3)``.
    """
    from keras import layers

    name = f"{stage}{block}_branch"
    x_in = x
    x = _main_path(x, f, filters, name, s, init=init, bn_momentum=bn_momentum, zero_gamma=zero_gamma,
                   batchnorm=batchnorm, branch_scale=branch_scale)
    if not shortcut:
        return layers.Activation("relu")(x)
    x_in = _conv_bn(x_in, filters[2], 1, s, "valid", name + "1", kernel_init=_kernel_init(init),
                    bn_momentum=bn_momentum, batchnorm=batchnorm)
    x = layers.Add()([x, x_in])
    return layers.Activation("relu")(x)


def stage_layout(depth: int | None = None) -> tuple[tuple[int, tuple[int, int, int], int, int], ...]:
    """:data:`STAGES` with at most ``depth`` identity blocks per stage (None: the notebook's)."""
    if depth is None:
        return STAGES
    if int(depth) != depth or not 0 <= depth <= MAX_IDENTITY_BLOCKS:
        raise ModelConfigError(f"depth must be a whole number from 0 to {MAX_IDENTITY_BLOCKS} "
                               f"(identity blocks per stage), got {depth!r}")
    return tuple((stage, filters, min(int(depth), n), stride) for stage, filters, n, stride in STAGES)


def _conv_out(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1


def final_feature_size(size: int) -> int:
    """Spatial size entering ``avg_pool`` for an input side of ``size`` pixels."""
    size = _conv_out(size + 6, 7, 2)  # zero-pad 3, conv1 7x7/2
    size = _conv_out(size, 3, 2)  # max pool 3x3/2
    for _, _, _, stride in STAGES:
        size = math.ceil(size / stride) if size > 0 else 0  # 1x1 'valid' conv with stride s
    return size


MIN_INPUT_SIDE = next(n for n in range(1, 1000) if final_feature_size(n) >= 2)


def validate_config(input_shape: Sequence[int], classes: int) -> tuple[int, int, int]:
    """Check that a ResNet-50 can be built; return ``input_shape`` as a tuple."""
    try:
        h, w, c = (int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise ModelConfigError(
            f"input_shape must be (height, width, channels), got {input_shape!r}"
        ) from None
    if c < 1:
        raise ModelConfigError(f"input needs at least one channel, got {c}")
    if min(h, w) < MIN_INPUT_SIDE:
        raise ModelConfigError(
            f"input {h}x{w} is too small for ResNet-50: each side must be at least "
            f"{MIN_INPUT_SIDE} pixels so that the 2x2 average pool still has input"
        )
    if int(classes) != classes or classes < 2:
        raise ModelConfigError(f"classes must be a whole number of at least 2, got {classes!r}")
    return h, w, c


def ResNet50(  # noqa: N802 (the notebook's name)
    input_shape: Sequence[int] = (64, 64, 3),
    classes: int = 6,
    *,
    init: str = "he",
    bn_momentum: float = 0.99,
    zero_gamma: bool = False,
    name: str = "ResNet50",
    depth: int | None = None,
    shortcuts: bool = True,
    batchnorm: bool = True,
):
    """The notebook's ResNet-50.

    CONV2D -> BATCHNORM -> RELU -> MAXPOOL -> CONVBLOCK -> IDBLOCK*2 -> CONVBLOCK
    -> IDBLOCK*3 -> CONVBLOCK -> IDBLOCK*5 -> CONVBLOCK -> IDBLOCK*2 -> AVGPOOL
    -> FLATTEN -> DENSE (softmax).

    Args:
        input_shape: ``(H, W, C)`` of images scaled to [0, 1].
        classes: number of output classes.
        init: ``"he"``, ``"glorot"`` or ``"notebook"`` (see the module docstring).
        bn_momentum: BatchNorm moving-average momentum.  The notebook's 0.99 makes
            the inference-mode statistics lag far behind in short runs (its
            2-epoch model scored chance on test); training uses 0.9.
        zero_gamma: start the last BatchNorm of every block's main path (``bn*_branch2c``)
            with gamma 0, so each residual block starts as its shortcut ("zero-gamma",
            Goyal et al. 2017).  Same layers and parameters; a short run from scratch
            learns faster (docs/model.md, "Quick preset").
        depth: identity blocks per stage: ``min(depth, n)`` of the notebook's (2, 3, 5, 2);
            None keeps them all.
        shortcuts: False builds the plain twin: the same layers with the same names in the
            same order, less the Add layers and the convolutional blocks' shortcut convs
            (``res*a_branch1``) and their BatchNorms (``bn*a_branch1``).
        batchnorm: False leaves out every BatchNormalization layer.  A residual net without
            BatchNorm adds up all its blocks' outputs, and with He init the activations
            grow about 2x in variance per block until the softmax saturates and nothing
            trains.  So without BatchNorm every block's last conv (``res*_branch2c``)
            starts with its He-normal kernel scaled by ``1/sqrt(L)`` (``L``: the number
            of blocks), a Fixup-style scale that keeps the summed variance below
            ``(1 + 1/L)**L < e`` times the input's.  It is a property of the block's
            layers, so the plain twin gets it too: the two nets differ only in the
            shortcuts.  (Without a shortcut the same scale shrinks the signal by
            ``1/sqrt(L)`` per block: no one start suits both nets without BatchNorm.)
    Returns:
        a functional ``keras.Model`` with output shape ``(None, classes)``.
    """
    import keras
    from keras import layers

    if init not in INITS:
        raise ModelConfigError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    if zero_gamma and init == "notebook":
        # apply_notebook_init resets every BatchNorm to gamma 1, which would silently undo zero_gamma.
        raise ModelConfigError("zero_gamma cannot be combined with the notebook's init (it sets every gamma to 1)")
    shape = validate_config(input_shape, classes)
    k = _kernel_init(init)
    stages = stage_layout(depth)
    blocks = sum(1 + n for _, _, n, _ in stages)
    opts = {"init": init, "bn_momentum": bn_momentum, "zero_gamma": zero_gamma, "shortcut": shortcuts,
            "batchnorm": batchnorm, "branch_scale": None if batchnorm else 1 / math.sqrt(blocks)}

    inputs = keras.Input(shape=shape)
    x = layers.ZeroPadding2D((3, 3))(inputs)
    x = layers.Conv2D(64, (7, 7), strides=(2, 2), name="conv1", kernel_initializer=k)(x)
    if batchnorm:
        x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="bn_conv1")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for stage, filters, n_identity, stride in stages:
        x = convolutional_block(x, 3, filters, stage, "a", s=stride, **opts)
        for letter in BLOCK_LETTERS[1 : n_identity + 1]:
            x = identity_block(x, 3, filters, stage, letter, **opts)
    x = layers.AveragePooling2D((2, 2), name="avg_pool")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, activation="softmax", name=f"fc{classes}", kernel_initializer=k)(x)
    model = keras.Model(inputs=inputs, outputs=x, name=name)
    if init == "notebook":
        apply_notebook_init(model)
    return model


def apply_notebook_init(model) -> None:
    """Set every Conv2D/Dense kernel to the notebook's TF1 first draw, biases to zero,
    and BatchNorm to its fresh state (gamma 1, beta 0, mean 0, variance 1)."""
    import numpy as np
    from keras import layers

    from core.model.philox import tf1_glorot_uniform

    for layer in all_layers(model):
        if isinstance(layer, (layers.Conv2D, layers.Dense)):
            layer.kernel.assign(tf1_glorot_uniform(tuple(layer.kernel.shape)))
            if layer.use_bias:
                layer.bias.assign(np.zeros(tuple(layer.bias.shape), dtype="float32"))
        elif isinstance(layer, layers.BatchNormalization):
            layer.gamma.assign(np.ones(tuple(layer.gamma.shape), dtype="float32"))
            layer.beta.assign(np.zeros(tuple(layer.beta.shape), dtype="float32"))
            layer.moving_mean.assign(np.zeros(tuple(layer.moving_mean.shape), dtype="float32"))
            layer.moving_variance.assign(np.ones(tuple(layer.moving_variance.shape), dtype="float32"))


def all_layers(model):
    """Every layer of ``model``, those of nested models included (each nested model after its own layers)."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer is not model:
            yield from all_layers(layer)
        yield layer
