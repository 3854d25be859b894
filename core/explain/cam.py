"""Where the network looks: Grad-CAM / LayerCAM heatmaps at a chosen block output.

:class:`HeatmapEngine` is built ONCE per model (not per frame).  It finds the
block outputs (the ReLU ``Activation`` right after each residual ``Add``),
cuts the model into ``x -> (block output A, pooled features)`` and traces one
``tf.function`` with a fixed ``(1, H, W, 3)`` signature that returns, in float32:

* the logits, from the pooled features and the final Dense layer's kernel and
  bias (the pre-softmax output: softmax saturates at 100 %, logits do not);
* the gradient of the chosen class's logit with respect to ``A`` (only the
  layers after ``A`` are back-propagated: the rest of the stage, the later
  stages, average pooling and Dense);
* the map: Grad-CAM ``relu(sum_c mean_ij(dL/dA_c) * A_c)`` or LayerCAM
  ``relu(sum_c relu(dL/dA_c) * A_c)``, divided by its maximum (so [0, 1]).

The map has the block's resolution (8x8 at the end of stage 3, 4x4 at the end
of stage 4 for a 64x64 input).  :func:`overlay` blends it, upsampled and
coloured, onto an image.  Faithfulness scores live in
:mod:`core.explain.faithfulness`.  TensorFlow backend only (the app's default).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from core.errors import HandSignError
from core.inference.prediction import FrameClassifier

log = logging.getLogger(__name__)

METHODS = ("gradcam", "layercam")
DEFAULT_LAYER = "stage4"
_BN_NAME = re.compile(r"^bn(\d+)([a-z])_branch2c$")


@dataclass(frozen=True)
class BlockOutput:
    """One residual block's output: the ReLU after its ``Add``."""

    layer_name: str  # the Keras layer name (e.g. "activation_39")
    block: str  # the notebook's block name, e.g. "res4f" ("" when the model does not name its BatchNorms)
    stage: int  # 1-based stage number (0 when unknown)
    size: tuple[int, int]  # (rows, cols) of the map at this layer

    @property
    def label(self) -> str:
        """"stage 4 (res4f, 4x4)"."""
        where = f"{self.block}, " if self.block else ""
        head = f"stage {self.stage}" if self.stage else self.layer_name
        return f"{head} ({where}{self.size[0]}x{self.size[1]})"

    @property
    def short_label(self) -> str:
        """"stage 4, 4x4" (for a small caption)."""
        head = f"stage {self.stage}" if self.stage else self.layer_name
        return f"{head}, {self.size[0]}x{self.size[1]}"


@dataclass
class Heatmap:
    """One map: float32 ``(rows, cols)`` in [0, 1], for ``class_index``, with the model's probabilities."""

    map: np.ndarray
    class_index: int
    probabilities: np.ndarray  # float32 (classes,), softmax of the logits
    logits: np.ndarray  # float32 (classes,)
    layer: BlockOutput


def _block_name(add_layer) -> tuple[str, int]:
    """("res4f", 4) from the Add's main-path input ``bn4f_branch2c``; ("", 0) if it is not named that way."""
    for node in add_layer._inbound_nodes[:1]:
        for t in node.input_tensors:
            m = _BN_NAME.match(t._keras_history.operation.name)
            if m:
                return f"res{m.group(1)}{m.group(2)}", int(m.group(1))
    return "", 0


def block_outputs(model) -> list[BlockOutput]:
    """Every block output in graph order: the ``Activation`` whose input is an ``Add``."""
    from keras import layers

    found = []
    for layer in model.layers:
        if not isinstance(layer, layers.Activation) or not layer._inbound_nodes:
            continue
        src = layer._inbound_nodes[0].input_tensors[0]._keras_history.operation
        if not isinstance(src, layers.Add):
            continue
        block, stage = _block_name(src)
        shape = layer.output.shape
        found.append(BlockOutput(layer.name, block, stage, (int(shape[1]), int(shape[2]))))
    return found


def stage_ends(blocks: list[BlockOutput]) -> dict[int, BlockOutput]:
    """``{stage: its last block output}``."""
    ends: dict[int, BlockOutput] = {}
    for b in blocks:
        if b.stage:
            ends[b.stage] = b
    return ends


def resolve_layer(model, name: str | None = None) -> BlockOutput:
    """The block output called ``name``: "stage3"/"stage 3"/"3", a block ("res4f") or a Keras layer name.

    Raises :class:`HandSignError` naming the layers that exist when there is no such layer."""
    blocks = block_outputs(model)
    ends = stage_ends(blocks)
    want = (name or DEFAULT_LAYER).strip().lower().replace(" ", "")
    m = re.fullmatch(r"(?:stage)?(\d+)", want)
    if m and int(m.group(1)) in ends:
        return ends[int(m.group(1))]
    for b in blocks:
        if want in (b.layer_name.lower(), b.block.lower()):
            return b
    if not blocks:
        raise HandSignError(f"model {model.name!r} has no residual block outputs (an Activation after an Add) "
                            "to draw a heatmap from")
    choices = ", ".join([f"stage{s}" for s in sorted(ends)] + [b.block or b.layer_name for b in blocks])
    raise HandSignError(f"model {model.name!r} has no layer {name!r}; choose one of: {choices}")


def _head_dense(model):
    """The model's last Dense layer (the classifier on the pooled features)."""
    from keras import layers

    dense = [layer for layer in model.layers if isinstance(layer, layers.Dense)]
    if not dense:
        raise HandSignError(f"model {model.name!r} has no Dense output layer to take the logits from")
    return dense[-1]


def _constant_call(part, folded):
    """``x -> part(x)`` with ``part``'s weights as graph constants (for use inside a tf.function)."""
    import tensorflow as tf

    trainable = [folded[id(v)] for v in part.trainable_variables]
    non_trainable = [folded[id(v)] for v in part.non_trainable_variables]

    def call(x):  # tf.constant inside the trace: Const nodes, which oneDNN reorders once
        return part.stateless_call([tf.constant(a) for a in trainable], [tf.constant(a) for a in non_trainable], x,
                                   training=False)[0]

    return call


def _cam(acts, grads, layercam: bool):
    """Grad-CAM ``relu(sum_c mean_ij(g_c) A_c)`` or LayerCAM ``relu(sum_c relu(g_c) A_c)``, over its maximum."""
    import tensorflow as tf

    if layercam:
        cam = tf.reduce_sum(tf.nn.relu(grads) * acts, axis=-1)[0]
    else:
        cam = tf.reduce_sum(tf.reduce_mean(grads, axis=(1, 2), keepdims=True) * acts, axis=-1)[0]
    cam = tf.nn.relu(cam)
    return tf.math.divide_no_nan(cam, tf.reduce_max(cam))


class HeatmapEngine:
    """Class-activation maps at one block output of one model; build once, call per frame (one thread)."""

    def __init__(self, model, layer: str | None = None, *, method: str = "gradcam", gradient: str = "manual"):
        """``gradient``: "manual" (:mod:`core.explain.backward`, where it knows every layer after the block)
        or "auto" (TensorFlow's GradientTape; slower on the CPU, kept as the reference and fallback)."""
        import keras

        if keras.backend.backend() != "tensorflow":
            raise HandSignError("heatmaps need the TensorFlow backend (KERAS_BACKEND=tensorflow)")
        if method not in METHODS:
            raise HandSignError(f"unknown heatmap method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.layer = resolve_layer(model, layer)
        dense = _head_dense(model)
        self.classes = int(dense.units)
        self.input_size = (int(model.input_shape[1]), int(model.input_shape[2]))
        self.gradient = gradient
        self._run = self._trace(model, dense)
        self._lite = None  # core.explain.lite_cam.LiteHeatmap once use_lite() succeeded

    def use_lite(self, model_path=None) -> bool:
        """Run the pass on TensorFlow Lite (converted once, cached under ``model_path``'s hash when given);
        False (TensorFlow stays) where it cannot.  Costs 10-30 s the first time for a model file."""
        from core.explain.lite_cam import cache_file_for, lite_heatmap

        cache = None if model_path is None else cache_file_for(model_path, self.layer.layer_name, self.method)
        self._lite = lite_heatmap(self._run, self.input_size, cache)
        return self._lite is not None

    def _trace(self, model, dense):
        """The per-frame ``tf.function``: image and class (-1: top) -> (map, class, logits)."""
        import keras
        import tensorflow as tf

        from core.explain.backward import run_backward, run_forward, tail_program
        from core.inference.fast import folded_values

        folded = folded_values(model)  # BatchNorm folded, weights as constants: about 2x faster on the CPU
        block = model.get_layer(self.layer.layer_name).output
        pooled_tensor = dense._inbound_nodes[0].input_tensors[0]
        steps = tail_program(model, self.layer.layer_name, pooled_tensor, folded) if self.gradient == "manual" else None
        self.gradient = "manual" if steps else "auto"
        # Two pieces: x -> A (no gradient needed) and A -> pooled features.  (One model with both outputs
        # gave no gradient for A inside tf.function under stateless_call.)
        front = _constant_call(keras.Model(model.inputs, block), folded)
        back = None if steps else _constant_call(keras.Model(block, dense.input), folded)
        kernel = tf.constant(np.asarray(dense.kernel), tf.float32)
        bias = tf.constant(np.asarray(dense.bias) if dense.use_bias else np.zeros(self.classes), tf.float32)
        h, w = self.input_size
        spec = [tf.TensorSpec((1, h, w, 3), tf.float32), tf.TensorSpec((), tf.int32)]

        def logits_and_class(pooled, wanted):
            logits = tf.matmul(tf.reshape(pooled, (1, -1)), kernel) + bias
            return logits, tf.where(wanted < 0, tf.cast(tf.argmax(logits[0]), tf.int32), wanted)

        @tf.function(input_signature=spec, jit_compile=False)
        def run(x, wanted):
            acts = front(x)
            if steps:
                vals = run_forward(steps, acts)
                logits, k = logits_and_class(vals[steps[-1].out], wanted)
                grads = run_backward(steps, vals, tf.reshape(tf.gather(kernel, k, axis=1), (1, -1)))
            else:
                with tf.GradientTape() as tape:
                    tape.watch(acts)
                    logits, k = logits_and_class(back(acts), wanted)
                    target = tf.gather(logits[0], k)
                grads = tape.gradient(target, acts)
            return _cam(acts, grads, self.method == "layercam"), k, logits[0]

        return run

    @property
    def label(self) -> str:
        return self.layer.label

    def check_class(self, class_index: int | None) -> int:
        """-1 (the top class) for None; raises :class:`HandSignError` for a class the model does not have."""
        if class_index is None:
            return -1
        if not 0 <= int(class_index) < self.classes:
            raise HandSignError(f"class {class_index} does not exist: this model has classes 0-{self.classes - 1}")
        return int(class_index)

    def compute(self, image_uint8: np.ndarray, class_index: int | None = None) -> Heatmap:
        """The map for one model-size uint8 RGB image ``(H, W, 3)``; ``class_index`` None: the top class."""
        from core.images import scale

        wanted = self.check_class(class_index)
        if image_uint8.shape[:2] != self.input_size:
            raise HandSignError(f"the heatmap needs a {self.input_size[1]}x{self.input_size[0]} model input, "
                                f"got {image_uint8.shape[1]}x{image_uint8.shape[0]}")
        if self._lite is not None:
            cam, k, logits = self._lite(scale(image_uint8[None]), wanted)
        else:
            cam, k, logits = (t.numpy() for t in self._run(scale(image_uint8[None]), np.int32(wanted)))
        logits = np.asarray(logits, np.float32)
        e = np.exp(logits - logits.max())
        cam = np.nan_to_num(np.asarray(cam, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        return Heatmap(np.clip(cam, 0.0, 1.0), int(k), (e / e.sum()).astype(np.float32), logits, self.layer)


def upsample(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The map resized to ``size`` = (height, width), bilinear, float32 in [0, 1]."""
    import cv2

    h, w = size
    return np.clip(cv2.resize(heatmap.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def colorize(heatmap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The map upsampled to ``size`` (height, width) and coloured with the JET colormap: uint8 RGB."""
    import cv2

    up = (upsample(heatmap, size) * 255.0 + 0.5).astype(np.uint8)
    return cv2.applyColorMap(up, cv2.COLORMAP_JET)[:, :, ::-1].copy()


def overlay(image_rgb: np.ndarray, heatmap: np.ndarray, *, alpha: float = 0.45) -> np.ndarray:
    """``image_rgb`` (uint8, any size) with the coloured map blended on it (``alpha`` of the colour)."""
    import cv2

    img = image_rgb if image_rgb.ndim == 3 else np.repeat(image_rgb[:, :, None], 3, axis=2)
    colour = colorize(heatmap, img.shape[:2])
    return cv2.addWeighted(np.ascontiguousarray(img[:, :, :3]), 1.0 - alpha, colour, alpha, 0.0)


class ExplainingClassifier(FrameClassifier):
    """A classifier whose per-frame probabilities come from the heatmap engine's own forward pass (the same
    folded model, to ~1e-5), so a frame with the heatmap on costs one pass, not a classification plus a map.
    The frame's map is kept in :attr:`last`; batches of more than one image go to ``classifier``."""

    def __init__(self, classifier: FrameClassifier, engine: HeatmapEngine, class_index: int | None = None):
        self.classifier, self.engine, self.class_index = classifier, engine, class_index
        self.info = classifier.info
        self.last: Heatmap | None = None

    def probabilities(self, batch_uint8: np.ndarray) -> np.ndarray:
        if len(batch_uint8) != 1:
            return self.classifier.probabilities(batch_uint8)
        self.last = self.engine.compute(batch_uint8[0], self.class_index)
        return self.last.probabilities[None]
