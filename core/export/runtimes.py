"""Running an exported model in its own runtime (ONNX Runtime, the LiteRT/TFLite interpreter, TensorFlow).

Each loader returns ``(predict, runtime_name)`` where ``predict`` maps a float32
NHWC batch (already scaled as ``labels.json`` says) to class probabilities.
This is what ``parity.json`` measures, so it uses the runtimes the way a
consumer of the export would, not Keras.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.export.formats import ExportFormat

Predict = Callable[[np.ndarray], np.ndarray]


def load_runtime(fmt: ExportFormat, model_path: Path) -> tuple[Predict, str]:
    return LOADERS[fmt.name](Path(model_path))


def _onnx(path: Path) -> tuple[Predict, str]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return (lambda x: np.asarray(session.run(None, {name: x})[0])), f"onnxruntime {ort.__version__}"


def tflite_interpreter_class() -> tuple[type, str]:
    """LiteRT's interpreter where ``ai_edge_litert`` is installed, else the one inside TensorFlow."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "ai_edge_litert"
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter, f"tensorflow.lite {tf.__version__}"


def _tflite(path: Path) -> tuple[Predict, str]:
    interpreter_class, name = tflite_interpreter_class()
    with warnings.catch_warnings():  # TensorFlow's copy warns that LiteRT replaces it; it still runs the file
        warnings.simplefilter("ignore", UserWarning)
        interpreter = interpreter_class(model_path=str(path))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]

    def predict(batch: np.ndarray) -> np.ndarray:  # one image per invoke, as webcam.py runs it
        rows = []
        for image in batch:
            interpreter.set_tensor(inp, image[None].astype(np.float32))
            interpreter.invoke()
            rows.append(np.array(interpreter.get_tensor(out)[0]))
        return np.stack(rows)

    return predict, name


def _saved_model(path: Path) -> tuple[Predict, str]:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept referenced: ``serve`` needs its variables alive
    return (lambda x: np.asarray(loaded.serve(tf.constant(x)))), f"tensorflow {tf.__version__}"


LOADERS = {"onnx": _onnx, "tflite": _tflite, "tflite-int8": _tflite, "saved_model": _saved_model}


def predict_in_batches(predict: Predict, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
    return np.concatenate([predict(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
