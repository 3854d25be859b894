"""Which numeric precision the per-frame TensorFlow Lite pass runs in, and how close it must stay.

``dynamic-int8`` (the default): dynamic-range quantization of the folded
graph: int8 weights, and XNNPACK quantizes each activation tensor on the fly
and runs int8 dot products (AVX-512 VNNI / AMX where the CPU has them).
``bench/precision.py`` measured it about 3x faster than float32 on the 2-core
AMD EPYC, agreeing with float32 on every evaluation image, with probabilities
within 0.01 of float32 (docs/inference.md).  ``float32`` is the exact pass:
``HANDSIGN_PRECISION=float32`` selects it.

The conversion is checked against the Keras model on a probe image before use
(``core.inference.fast.lite_forward``); :func:`check_tolerance` is how far the
probe's probabilities may stray for each precision.
"""

from __future__ import annotations

import os

PRECISION_ENV = "HANDSIGN_PRECISION"
PRECISIONS = ("dynamic-int8", "float32")
DEFAULT_PRECISION = "dynamic-int8"
_TOLERANCE = {"float32": 1e-3, "dynamic-int8": 1e-2}


def inference_precision() -> str:
    """The precision the user asked for (``HANDSIGN_PRECISION``), else the default; unknown names: the default."""
    asked = os.environ.get(PRECISION_ENV, "").strip().lower()
    return asked if asked in PRECISIONS else DEFAULT_PRECISION


def check_tolerance(precision: str) -> float:
    """Largest probability difference from the Keras model accepted on the probe image."""
    return _TOLERANCE.get(precision, _TOLERANCE["float32"])
