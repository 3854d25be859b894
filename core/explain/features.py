"""What the network sees: the feature maps of one residual block and an activation histogram per stage.

:class:`FeatureExtractor` is built once per Keras model.  It finds the output
of every residual block (the ReLU after each block's ``Add``, named after the
block's ``res{stage}{block}_branch2c`` convolution: 16 blocks in the notebook's
ResNet-50) and compiles one forward pass from the input to all of them.  Each
frame then costs one float32 forward pass, whichever block is shown, and
choosing another block rebuilds nothing.

:meth:`FeatureExtractor.extract` answers with :class:`FeatureView`: the top-N
channels of the chosen block by mean activation (2-D maps, most active first)
and, for each stage, a histogram of its output over fixed bins (the same edges
for every frame and every stage, so frames compare) plus the fraction of exact
zeros that the ReLU left.

No Qt here (rule 1).  The GUI runs this on the inference worker's thread, which
owns the model (one Keras model per thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.errors import HandSignError
from core.images import scale

__all__ = ["HIST_EDGES", "BlockInfo", "FeatureError", "FeatureExtractor", "FeatureView", "StageHistogram",
           "activation_histogram", "find_blocks", "top_channels"]

# Histogram edges for positive activations: (0, 1e-3), then log-spaced up to 100, then [100, inf).
# Exact zeros (and anything <= 0) are counted apart, as ``zeros``; so zeros + sum(counts) is the element count.
HIST_EDGES = np.concatenate([[0.0], np.logspace(-3, 2, 26), [np.inf]]).astype(np.float64)

_BRANCH = re.compile(r"^(?:bn|res)(\d+)([a-z])_branch2c$")


class FeatureError(HandSignError):
    """The model has no such block, or is not a residual network whose blocks can be found."""


@dataclass(frozen=True)
class BlockInfo:
    """One residual block's output: ``res3b`` is stage 3, block b."""

    name: str  # "res3b"
    stage: int
    block: str
    shape: tuple[int, int, int]  # (H, W, channels) at the model's input size
    layer: str  # the Keras layer whose output this is (the ReLU after the Add)

    @property
    def label(self) -> str:
        h, w, c = self.shape
        return f"stage {self.stage}, block {self.block} - {h}x{w}x{c}"


@dataclass
class StageHistogram:
    """Activations of one stage's output over :data:`HIST_EDGES`."""

    stage: int
    block: str  # the block whose output ends the stage ("res3d")
    counts: np.ndarray  # int64, len(HIST_EDGES) - 1: positive values per bin
    zeros: int  # values <= 0 (after ReLU: exact zeros)
    total: int  # element count: zeros + counts.sum()
    p99: float

    @property
    def zero_fraction(self) -> float:
        return self.zeros / self.total if self.total else 0.0


@dataclass
class FeatureView:
    """One frame's answer for one block."""

    block: BlockInfo
    maps: np.ndarray  # float32 (N, H, W): the most active channels, most active first
    channels: np.ndarray  # int64 (N,): their channel indices
    means: np.ndarray  # float32 (N,): their mean activations
    histograms: list[StageHistogram]
    seconds: float = 0.0


def top_channels(block_output: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(H, W, C)`` -> the ``n`` channels with the highest mean: maps ``(n, H, W)``, indices, means.

    Ties keep the lower channel index first (a stable sort), so the order is reproducible.
    """
    a = np.asarray(block_output, dtype=np.float32)
    if a.ndim != 3:
        raise FeatureError(f"a block output must be (H, W, C), got shape {a.shape}")
    means = a.mean(axis=(0, 1))
    order = np.argsort(-means, kind="stable")[: max(0, int(n))]
    return np.ascontiguousarray(np.moveaxis(a[:, :, order], -1, 0)), order.astype(np.int64), means[order]


def activation_histogram(values: np.ndarray, stage: int = 0, block: str = "") -> StageHistogram:
    """Counts of ``values`` over :data:`HIST_EDGES`; values <= 0 are counted as ``zeros``."""
    v = np.asarray(values, dtype=np.float32).ravel()
    positive = v[v > 0]
    counts, _ = np.histogram(positive, bins=HIST_EDGES)
    p99 = float(np.percentile(v, 99)) if v.size else 0.0
    return StageHistogram(stage, block, counts.astype(np.int64), int(v.size - positive.size), int(v.size), p99)


def _source_layer(tensor):
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history[0]


def find_blocks(model) -> list[BlockInfo]:
    """Every residual block's output in ``model``, in network order.

    A block is an ``Add`` one of whose inputs comes from ``bn{stage}{block}_branch2c``
    (or ``res{stage}{block}_branch2c``); its output is the ``Activation`` that reads the Add.
    """
    from keras import layers

    readers: dict[int, object] = {}
    for layer in model.layers:
        if isinstance(layer, layers.Activation):
            src = _source_layer(layer.input)
            if src is not None:
                readers[id(src)] = layer
    blocks = []
    for layer in model.layers:
        if not isinstance(layer, layers.Add):
            continue
        names = [getattr(_source_layer(t), "name", "") for t in layer.input]
        match = next((m for m in map(_BRANCH.match, names) if m), None)
        out = readers.get(id(layer))
        if match is None or out is None:
            continue
        stage, letter = int(match.group(1)), match.group(2)
        shape = tuple(int(d) for d in out.output.shape[1:])
        blocks.append(BlockInfo(f"res{stage}{letter}", stage, letter, shape, out.name))
    return blocks


class FeatureExtractor:
    """One compiled forward pass from the input to every residual block's output (build once per model)."""

    def __init__(self, model, *, top_n: int = 16, frozen: bool = False):
        """``frozen=True`` bakes the weights in as constants with BatchNorm folded
        (``core.inference.fast.constant_forward``): about 21 ms a frame instead of 28 for the shipped
        ResNet-50 on this 2-core CPU, but building it took 4.4 s instead of 1.6 s and held the GIL
        in stretches of up to 256 ms, which freezes the window's UI thread while the worker builds it
        (the app builds it when the Inside tab is first shown).  So the default is the plain
        ``tf.function`` over the model's variables."""
        import keras

        self.blocks = find_blocks(model)
        if not self.blocks:
            name = getattr(model, "name", "this model")
            raise FeatureError(f"{name} has no residual blocks (res<stage><block>_branch2c + Add) to show")
        self.top_n = int(top_n)
        self.input_size = tuple(int(d) for d in model.input_shape[1:3])
        outputs = [model.get_layer(b.layer).output for b in self.blocks]
        self.model = keras.Model(model.input, outputs, name=f"{model.name}_features")
        last = {}
        for i, b in enumerate(self.blocks):
            last[b.stage] = i  # the last block of each stage is the stage's output
        self.stage_outputs = sorted(last.items())
        self._forward = self._compile(frozen)
        self._forward(np.zeros((1, *self.input_size, 3), np.float32))  # trace now: a frame's time is its own

    def _compile(self, frozen: bool):
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            if frozen:
                from core.inference.fast import constant_forward

                const_fn = constant_forward(self.model)
                return lambda x: [np.asarray(t, dtype=np.float32) for t in const_fn(x)]
            h, w = self.input_size
            spec = tf.TensorSpec((1, h, w, 3), tf.float32)
            fn = tf.function(lambda x: self.model(x, training=False), input_signature=[spec], jit_compile=False)
            return lambda x: [np.asarray(t, dtype=np.float32) for t in fn(x)]
        return lambda x: [np.asarray(t, dtype=np.float32) for t in self.model(x, training=False)]

    def default_block(self) -> str:
        """Stage 3, block b when the model has it (8x8 at 64x64: parts of a hand), else the middle block."""
        names = [b.name for b in self.blocks]
        return "res3b" if "res3b" in names else names[len(names) // 2]

    def block(self, name: str) -> BlockInfo:
        """The block called ``name`` ("res3b"); a one-line :class:`FeatureError` when the model has none."""
        for b in self.blocks:
            if b.name == name:
                return b
        names = ", ".join(b.name for b in self.blocks)
        raise FeatureError(f"this model has no block {name!r} (it has {names})")

    def extract(self, image_uint8: np.ndarray, block: str, *, top_n: int | None = None) -> FeatureView:
        """One forward pass on a model-size uint8 RGB image: ``block``'s top channels and every stage's histogram."""
        import time

        info = self.block(block)
        img = np.asarray(image_uint8)
        if img.shape != (*self.input_size, 3):
            raise FeatureError(f"the image must be {self.input_size[0]}x{self.input_size[1]}x3, got {img.shape}")
        t0 = time.perf_counter()
        outs = self._forward(scale(img[None]))
        chosen = outs[self.blocks.index(info)][0]
        maps, channels, means = top_channels(chosen, self.top_n if top_n is None else top_n)
        hists = [activation_histogram(outs[i][0], stage, self.blocks[i].name) for stage, i in self.stage_outputs]
        return FeatureView(info, maps, channels, means, hists, time.perf_counter() - t0)
