"""The heatmap pass on TensorFlow Lite's XNNPACK kernels: the engine's function converted once, checked, cached.

:class:`core.explain.cam.HeatmapEngine`'s ``tf.function`` (folded constant
weights, the hand-written tail gradient of :mod:`core.explain.backward`) is
made only of ops that TensorFlow Lite has built in, so it converts like the
classifier's forward pass does (``core.inference.fast``).  bench/explain.py
measured the stage-4 map with the probabilities at about 1.3x the per-frame
classification alone, against about 2x for the TensorFlow function.  The
conversion costs 10-30 s on a 2-core CPU, so the flatbuffer is cached under
the model file's hash, the layer and the method; a cached one is used only if
it still agrees with the TensorFlow function on a probe image.  Any failure
returns None (the engine keeps its TensorFlow function).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

TOLERANCE = 1e-3
PROBE_SEED = 7


class LiteHeatmap:
    """``(x float32 (1, H, W, 3), wanted int) -> (map, class, logits)`` on one TensorFlow Lite interpreter."""

    def __init__(self, interpreter):
        self.interpreter = interpreter
        ins = interpreter.get_input_details()
        self._x = next(d["index"] for d in ins if len(d["shape"]) == 4)
        self._k = next(d["index"] for d in ins if len(d["shape"]) == 0)
        outs = interpreter.get_output_details()
        by_rank = {len(d["shape"]): d["index"] for d in outs}
        self._map, self._class, self._logits = by_rank[2], by_rank[0], by_rank[1]

    def __call__(self, x: np.ndarray, wanted: int):
        it = self.interpreter
        it.set_tensor(self._x, np.ascontiguousarray(x, np.float32))
        it.set_tensor(self._k, np.array(wanted, np.int32))
        it.invoke()
        return it.get_tensor(self._map).copy(), int(it.get_tensor(self._class)), it.get_tensor(self._logits).copy()


def _convert(run) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([run.get_concrete_function()], run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def _agrees(lite: LiteHeatmap, run, input_size) -> bool:
    x = np.random.default_rng(PROBE_SEED).random((1, *input_size, 3), dtype=np.float32)
    for wanted in (-1, 0):
        cam, k, logits = run(x, np.int32(wanted))
        got = lite(x, wanted)
        if got[1] != int(k) or not (np.allclose(got[0], cam.numpy(), atol=TOLERANCE)
                                    and np.allclose(got[2], logits.numpy(), atol=TOLERANCE * 10)):
            return False
    return True


def lite_heatmap(run, input_size: tuple[int, int], cache_file: Path | None = None) -> LiteHeatmap | None:
    """The converted pass of ``run`` (a HeatmapEngine's function), from ``cache_file`` when it is there and
    still agrees, else converted (and written there); None when TensorFlow Lite cannot run it."""
    from core.inference.fast import new_tf_lite_interpreter
    from core.inference.lite import lite_disabled, lite_threads

    if lite_disabled():
        return None
    try:
        if cache_file is not None and cache_file.is_file():
            lite = LiteHeatmap(new_tf_lite_interpreter(cache_file.read_bytes(), lite_threads()))
            if _agrees(lite, run, input_size):
                return lite
            log.warning("cached heatmap pass %s disagrees with the model; converting again", cache_file)
        blob = _convert(run)
        lite = LiteHeatmap(new_tf_lite_interpreter(blob, lite_threads()))
        if not _agrees(lite, run, input_size):
            log.warning("TensorFlow Lite heatmap pass differs from TensorFlow; not used")
            return None
        if cache_file is not None:
            _store(cache_file, blob)
        return lite
    except Exception as exc:
        log.warning("TensorFlow Lite heatmap pass unavailable (%s: %s); using TensorFlow", type(exc).__name__, exc)
        return None


def _store(path: Path, blob: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("heatmap cache not written (%s)", exc)


def cache_file_for(model_path, layer_name: str, method: str) -> Path | None:
    """Where the converted pass of this model file, layer and method is kept (None if the file is unreadable)."""
    from core.inference.lite_cache import model_file_id
    from core.paths import cache_dir

    try:
        key = model_file_id(model_path).key
    except OSError:
        return None
    return cache_dir() / "heatmap" / f"{key}-{layer_name}-{method}.tflite"
