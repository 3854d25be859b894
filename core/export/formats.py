"""The export formats and how each is written, with Keras 3's own exporters and TensorFlow's converter.

No converter is written here: ONNX goes through ``model.export(format="onnx")``
(tf2onnx on a concrete function with an explicit input signature, never the
broken ``tf2onnx.convert.from_keras``), TFLite through
``model.export(format="litert")`` (an export archive -> SavedModel ->
``TFLiteConverter.from_saved_model``, never ``from_keras_model``), SavedModel
through ``model.export(format="tf_saved_model")``.

TFLite exports use built-in ops only, so any LiteRT/TFLite interpreter runs
them without the TensorFlow "Flex" delegate.  ``tflite-int8`` is full-integer
post-training quantization: int8 weights and activations everywhere inside,
calibrated on a representative set of images, with float32 input and output
kept at the edges so the same ``labels.json`` scale/offset and the same
``webcam.py`` serve both TFLite files.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import HandSignError

INSTALL_HINT = "pip install .[export]"


class ExportDependencyError(HandSignError):
    """A package an export needs is not installed."""


@dataclass(frozen=True)
class ExportFormat:
    name: str  # as on the command line
    title: str  # for people
    model_name: str  # the model's file (or folder) name inside the export folder
    runtime: str  # what runs it, in parity.json and the README
    modules: tuple[str, ...] = ()  # Python modules the export needs beyond TensorFlow


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("onnx", "ONNX", "model.onnx", "ONNX Runtime", ("onnx", "tf2onnx", "onnxruntime")),
        ExportFormat("tflite", "TFLite (float32)", "model.tflite", "LiteRT / TFLite interpreter"),
        ExportFormat("tflite-int8", "TFLite (int8, quantized)", "model.tflite", "LiteRT / TFLite interpreter"),
        ExportFormat("saved_model", "TensorFlow SavedModel", "saved_model", "TensorFlow"),
    )
}


def get_format(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise HandSignError(f"unknown export format {name!r}; choose one of {', '.join(FORMATS)}") from None


def check_dependencies(fmt: ExportFormat) -> None:
    """Raise :class:`ExportDependencyError` (one line, with the install command) if a module is missing."""
    missing = [m for m in fmt.modules if _missing(m)]
    if missing:
        raise ExportDependencyError(f"{fmt.title} export needs {', '.join(missing)}, which is not installed; "
                                    f"install the export extras: {INSTALL_HINT}")


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken install
        return True


def float32_model(model):
    """``model`` itself if every layer computes in float32, else a float32 copy with the same weights.

    Keras's exporters need a float32 dtype policy (a mixed-precision model would
    export bfloat16/float16 ops that the runtimes do not all run).  The copy is
    called once, because an exporter needs a model that has been called.
    """
    import keras

    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        copy = model
    else:
        config = _float32_config(model.get_config())
        copy = model.__class__.from_config(config)
        copy.set_weights(model.get_weights())
    shape = (1, *model.input_shape[1:])
    copy(keras.ops.zeros(shape, dtype="float32"), training=False)
    return copy


def _float32_config(node):
    """A model config with every dtype policy replaced by float32."""
    if isinstance(node, dict):
        if node.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(node.get("config"), dict):
            return {**node, "config": {**node["config"], "name": "float32"}}
        return {k: _float32_config(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_float32_config(v) for v in node]
    return node


def write_model(model, fmt: ExportFormat, target: Path, representative: np.ndarray) -> Path:
    """Write ``model`` (float32, called) in ``fmt`` to ``target``; ``representative`` calibrates int8."""
    WRITERS[fmt.name](model, target, representative)
    return target


def _onnx(model, target: Path, _representative) -> None:
    model.export(str(target), format="onnx", verbose=False)


def _saved_model(model, target: Path, _representative) -> None:
    model.export(str(target), format="tf_saved_model", verbose=False)


def _tflite(model, target: Path, _representative) -> None:
    import tensorflow as tf

    model.export(str(target), format="litert", verbose=False,
                 target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]})


def _tflite_int8(model, target: Path, representative: np.ndarray) -> None:
    import tensorflow as tf

    model.export(str(target), format="litert", verbose=False, optimizations=[tf.lite.Optimize.DEFAULT],
                 representative_dataset=_calibration(representative),
                 target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]})


def _calibration(images: np.ndarray) -> Callable:
    """The converter's representative dataset: one model-ready image at a time."""
    def batches():
        for image in images:
            yield [image[None].astype(np.float32)]

    return batches


WRITERS = {"onnx": _onnx, "tflite": _tflite, "tflite-int8": _tflite_int8, "saved_model": _saved_model}
