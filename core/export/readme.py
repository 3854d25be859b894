"""The short README written into every export folder."""

from __future__ import annotations

from core.export.formats import ExportFormat
from core.export.parity import format_parity

RUNTIME_PACKAGES = {
    "onnx": "onnxruntime",
    "tflite": "ai-edge-litert (or tensorflow, which carries the same interpreter)",
    "tflite-int8": "ai-edge-litert (or tensorflow, which carries the same interpreter)",
    "saved_model": "tensorflow",
}

NOTES = {
    "tflite-int8": "Full-integer post-training quantization (int8 weights and activations, calibrated on "
                   "training images); the input and output stay float32, so use it exactly like the float "
                   "TFLite model.",
    "saved_model": "Load with `tf.saved_model.load(\"saved_model\")` and call its `serve` function.",
}


def readme_text(fmt: ExportFormat, labels: dict, parity: dict, source_model: str) -> str:
    """Markdown: what is in the folder, the input contract, how to run it, and how well it agrees with Keras."""
    inp = labels["input"]
    h, w = inp["size"]
    lines = [
        f"# Hand sign classifier: {fmt.title}",
        "",
        f"Exported by Hand Sign Studio from `{source_model}`. Classes: {', '.join(labels['class_names'])}.",
        "",
        f"- `{fmt.model_name}`: the model. {NOTES.get(fmt.name, '')}".rstrip(),
        "- `labels.json`: class names and the input contract.",
        "- `webcam.py`: classify from a webcam or a video file.",
        "- `parity.json`: this export run by its own runtime against the original Keras model.",
        "",
        "## Input",
        "",
        f"One float32 batch of shape (N, {h}, {w}, 3), channels {inp['channel_order']}, where each value is "
        f"`uint8_pixel * {inp['scale']!r} + {inp['offset']!r}`. The output is one probability per class, "
        "in the order of `class_names`. The app crops the centre square of a frame (or the user's box) "
        "and resizes it to the input size; `webcam.py` does the same with the centre square.",
        "",
        "## Run it",
        "",
        "```sh",
        f"pip install {RUNTIME_PACKAGES[fmt.name].split(' ')[0]} opencv-python numpy",
        "python webcam.py                       # camera 0, a window (q quits)",
        "python webcam.py --video clip.mp4 --headless   # print the top class per frame",
        "```",
        "",
        f"Runtime: {RUNTIME_PACKAGES[fmt.name]}.",
        "",
        "## Parity",
        "",
        f"On {parity['images']}: {format_parity(parity)}.",
        "",
    ]
    return "\n".join(lines)
