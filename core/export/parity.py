"""What ``parity.json`` holds: an export run by its own runtime against the Keras model, image by image.

The images are SIGNS test from the data folder (with SIGNS train as the int8
calibration set); without SIGNS, seeded generated images, and parity.json says
so.  Accuracy is only scored when the model's classes are SIGNS's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from core.errors import HandSignError

log = logging.getLogger(__name__)

GENERATED_IMAGES = 120
CALIBRATION_IMAGES = 200


@dataclass
class ParityImages:
    test: np.ndarray  # uint8 RGB (N, H, W, 3): what parity compares on
    labels: np.ndarray | None  # the true classes, when the model's classes are the dataset's
    calibration: np.ndarray  # uint8 RGB: the int8 representative set
    source: str  # where the images came from, for parity.json


def parity_images(size: tuple[int, int], class_names: list[str], data: str | None = None) -> ParityImages:
    """SIGNS test (and train for calibration) from the data folder, else generated images."""
    from core.data.datasets import load_dataset
    from core.paths import resolve_data

    try:
        src = resolve_data(data)
        ds = load_dataset(src, size, val_split=0.0)
    except HandSignError as exc:
        log.info("no dataset for parity (%s); using generated images", exc)
        return _generated(size, f"{GENERATED_IMAGES} generated images (no SIGNS dataset found: {exc})")
    if len(ds.test) == 0:
        return _generated(size, f"{GENERATED_IMAGES} generated images ({src} has no test split)")
    same_classes = list(ds.class_names) == list(class_names)
    calibration = ds.train.x if len(ds.train) else ds.test.x
    picks = np.random.default_rng(0).permutation(len(calibration))[:CALIBRATION_IMAGES]
    return ParityImages(ds.test.x, ds.test.y if same_classes else None, calibration[np.sort(picks)],
                        f"{src} test split ({len(ds.test)} images)")


def _generated(size: tuple[int, int], source: str) -> ParityImages:
    """Seeded smooth colour images (blurred noise), so every layer sees varied, image-like input."""
    import cv2

    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, size=(GENERATED_IMAGES, 8, 8, 3), dtype=np.uint8)
    images = np.stack([cv2.resize(c, (size[1], size[0]), interpolation=cv2.INTER_CUBIC) for c in coarse])
    return ParityImages(images, None, images, source)


def keras_probabilities(model, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """The reference: the Keras model in inference mode (``model(x, training=False)``), batch by batch."""
    return np.concatenate([np.asarray(model(x[i : i + batch_size], training=False), dtype=np.float32)
                           for i in range(0, len(x), batch_size)])


def parity_report(keras_probs: np.ndarray, export_probs: np.ndarray, labels: np.ndarray | None, *,
                  runtime: str, source: str) -> dict:
    """Accuracy of both, predictions that agree and the largest |Δprobability| over every image and class."""
    keras_pred, export_pred = keras_probs.argmax(axis=1), export_probs.argmax(axis=1)
    report = {
        "runtime": runtime,
        "images": source,
        "n": int(len(keras_probs)),
        "agree": int((keras_pred == export_pred).sum()),
        "max_abs_diff_probability": float(np.abs(keras_probs.astype(np.float64) - export_probs).max()),
        "keras_accuracy": None,
        "export_accuracy": None,
    }
    if labels is not None:
        report["keras_accuracy"] = float((keras_pred == labels).mean())
        report["export_accuracy"] = float((export_pred == labels).mean())
    return report


def format_parity(report: dict) -> str:
    """One line for people: agreement, |Δp| and the two accuracies."""
    text = (f"{report['agree']}/{report['n']} predictions agree with Keras, max |Δprobability| "
            f"{report['max_abs_diff_probability']:.2e} ({report['runtime']})")
    if report["export_accuracy"] is not None:
        text += f"; accuracy {report['export_accuracy']:.3f} (Keras {report['keras_accuracy']:.3f})"
    return text
