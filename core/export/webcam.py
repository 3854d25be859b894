"""The standalone ``webcam.py`` written into every export folder (40 lines or fewer).

It needs only that format's runtime, OpenCV and NumPy: it reads ``labels.json``,
takes the centre square of each frame (as the app does without a region box),
resizes it to the model input, applies ``scale``/``offset``, and prints or draws
the top class.  ``--video FILE`` reads a file instead of the camera and
``--headless`` prints one line per frame instead of opening a window.
"""

from __future__ import annotations

from core.export.formats import ExportFormat

# Per-format: the imports and a ``predict(x) -> probabilities`` for a float32 (1, H, W, 3) batch.
RUNTIME_CODE = {
    "onnx": '''import onnxruntime as ort
session = ort.InferenceSession(str(HERE / "model.onnx"), providers=["CPUExecutionProvider"])
def predict(x): return session.run(None, {session.get_inputs()[0].name: x})[0]''',
    "tflite": '''try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # TensorFlow carries the same interpreter
    from tensorflow.lite import Interpreter
interpreter = Interpreter(model_path=str(HERE / "model.tflite"))
interpreter.allocate_tensors()
IN, OUT = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
def predict(x):
    interpreter.set_tensor(IN, x)
    interpreter.invoke()
    return interpreter.get_tensor(OUT)''',
    "saved_model": '''import tensorflow as tf
model = tf.saved_model.load(str(HERE / "saved_model"))
def predict(x): return model.serve(tf.constant(x)).numpy()''',
}
RUNTIME_CODE["tflite-int8"] = RUNTIME_CODE["tflite"]

TEMPLATE = '''"""Classify hand signs with this {title} export: python webcam.py [--video FILE] [--headless]"""
import argparse, json, pathlib
import cv2
import numpy as np
HERE = pathlib.Path(__file__).resolve().parent
LABELS = json.loads((HERE / "labels.json").read_text())
(H, W), SCALE, OFFSET = LABELS["input"]["size"], LABELS["input"]["scale"], LABELS["input"]["offset"]
{runtime}
def model_input(frame):  # centre square, resized, RGB, uint8 * scale + offset
    h, w = frame.shape[:2]; s = min(h, w); y, x = (h - s) // 2, (w - s) // 2
    small = cv2.resize(frame[y:y + s, x:x + s], (W, H), interpolation=cv2.INTER_AREA)
    return (cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.float32) * SCALE + OFFSET)[None]
args = argparse.ArgumentParser()
args.add_argument("--video", help="a video file instead of the camera")
args.add_argument("--headless", action="store_true", help="print the top class per frame, no window")
args = args.parse_args()
capture = cv2.VideoCapture(args.video if args.video else 0)
while True:
    ok, frame = capture.read()
    if not ok: break
    p = predict(model_input(frame))[0]; k = int(np.argmax(p))
    text = f"{{LABELS['class_names'][k]}} {{p[k]:.2f}}"
    if args.headless: print(text, flush=True); continue
    cv2.putText(frame, text, (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 255, 0), 2)
    cv2.imshow("hand sign (q quits)", frame)
    if cv2.waitKey(1) & 0xFF in (27, ord("q")): break
'''


def webcam_script(fmt: ExportFormat) -> str:
    """The ``webcam.py`` text for ``fmt``."""
    return TEMPLATE.format(title=fmt.title, runtime=RUNTIME_CODE[fmt.name])
