"""Classifying without TensorFlow: a cached TensorFlow Lite conversion run by LiteRT.

When the model file's converted flatbuffer is in the cache
(``core.inference.lite_cache``; the full TensorFlow path fills it after checking
the conversion against the Keras model) or shipped beside it (``m.tflite`` and
``m.tflite.json``, written by ``python -m core.inference.prepare``),
:func:`open_lite_classifier` reads the
class names, input size and preprocessing straight from the ``.keras`` archive's
``handsign.json`` and runs the flatbuffer on ``ai_edge_litert``'s interpreter
(XNNPACK kernels).  Nothing here imports TensorFlow or Keras, so ``handsign
predict`` starts in a fraction of TensorFlow's import time (bench/README.md).

Whatever is missing, stale, damaged or disagrees makes :func:`open_lite_classifier`
return None, and the caller uses the full ``core.inference.classifier.Classifier``,
which converts again and gives a bad model file its one-line error.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from core.images import PREPROCESSING, scale
from core.inference import lite_cache
from core.inference.precision import check_tolerance
from core.inference.prediction import FrameClassifier, read_shape_head
from core.model.files import ModelInfo, read_metadata

log = logging.getLogger(__name__)

INFERENCE_ENV = "HANDSIGN_INFERENCE"  # "tensorflow": never use a TensorFlow Lite path


def lite_disabled() -> bool:
    """True when the user switched the TensorFlow Lite paths off (``HANDSIGN_INFERENCE=tensorflow``)."""
    return os.environ.get(INFERENCE_ENV, "").strip().lower() == "tensorflow"


def lite_threads() -> int:
    """Interpreter threads: both cores of a 2-core machine, at most 4 (bench/infer.py)."""
    return max(1, min(4, os.cpu_count() or 1))


class LiteForward:
    """A batch-1 forward pass run by a TensorFlow Lite interpreter (XNNPACK on CPU).

    Works with ``tf.lite.Interpreter`` and LiteRT's alike.  Not thread-safe,
    like the classifier that owns it.  Takes and returns float32 arrays shaped
    like the model's input / output with batch 1.
    """

    def __init__(self, interpreter, source: str):
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]
        self._output = interpreter.get_output_details()[0]
        self.source = source  # "converted", "cache" or "sibling" (shipped beside the model)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._input["shape"])

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self._output["shape"])

    def __call__(self, x):
        self._interpreter.set_tensor(self._input["index"], np.ascontiguousarray(x, dtype=np.float32))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()


def new_litert_interpreter(blob: bytes, threads: int):
    """LiteRT's interpreter on ``blob`` with its default XNNPACK delegate, tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    from core.device import quiet_stderr

    # The native "INFO: Created TensorFlow Lite XNNPACK delegate" line would break the CLI's one-line output.
    with warnings.catch_warnings(), quiet_stderr():
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_content=blob, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


class LiteClassifier(FrameClassifier):
    """The per-frame API of ``Classifier`` on LiteRT, with no Keras model (``model`` is absent)."""

    engine = "litert"

    def __init__(self, forward: LiteForward, info: ModelInfo, path: Path):
        self._forward = forward
        self.info = info
        self.path = path

    @property
    def source(self) -> str:
        """Where the conversion came from: ``"cache"`` or ``"sibling"`` (shipped beside the model)."""
        return self._forward.source

    def probabilities(self, batch_uint8: np.ndarray) -> np.ndarray:
        x = scale(batch_uint8)
        if len(x) == 0:
            return np.zeros((0, len(self.class_names)), np.float32)
        return np.concatenate([self._forward(x[i : i + 1]) for i in range(len(x))])


def open_lite_classifier(path: str | os.PathLike, cache_folder: Path | None = None) -> LiteClassifier | None:
    """A :class:`LiteClassifier` for the model file at ``path`` from a checked conversion, or None.

    Looks in the cache (``cache_folder``, default ``<cache>/tflite``,
    ``core.paths.cache_dir``), then beside the model file
    (``lite_cache.sibling_paths``: the conversion the build ships with the
    model).  None (logged) for: the switch ``HANDSIGN_INFERENCE=tensorflow``,
    no entry for this exact file, a damaged or mismatched entry, a plain Keras
    file without ``handsign.json``, LiteRT missing, or a probe that disagrees
    with the recorded Keras output.
    """
    if lite_disabled():
        return None
    path = Path(path)
    try:
        if cache_folder is None:
            from core.paths import cache_dir

            cache_folder = cache_dir() / "tflite"
        file_id = lite_cache.model_file_id(path)
        for where, entry_files in (("cache", lite_cache.entry_paths(cache_folder, file_id)),
                                   ("beside the model", lite_cache.sibling_paths(path))):
            lite = _open_entry(path, file_id, entry_files, where)
            if lite is not None:
                if where == "cache":
                    lite_cache.touch(cache_folder, file_id)
                return lite
        log.info("no checked TensorFlow Lite conversion for %s", path)
        return None
    except Exception as exc:  # anything unreadable: the full path says what is wrong, or converts again
        log.info("TensorFlow-free classifier unavailable for %s (%s: %s)", path, type(exc).__name__, exc)
        return None


def _open_entry(path: Path, file_id, entry_files: tuple[Path, Path], where: str) -> LiteClassifier | None:
    """The classifier on one checked entry (``(flatbuffer, sidecar)``) for ``file_id``, or None."""
    entry = lite_cache.read_checked_at(*entry_files, file_id)
    if entry is None:
        return None
    blob, sidecar = entry
    info = read_metadata(path)  # only now: the file's hash matched a checked conversion
    st = path.stat()
    if (st.st_size, st.st_mtime_ns) != (file_id.size, file_id.mtime_ns):  # replaced while being read
        return None
    forward = LiteForward(new_litert_interpreter(blob, lite_threads()), "cache" if where == "cache" else "sibling")
    if not _agrees(forward, info, sidecar, path):
        return None
    log.info("TensorFlow-free classifier for %s from the conversion in the %s", path.name, where)
    lite = LiteClassifier(forward, info, path)
    lite.shape_head = read_shape_head(path, info.class_names)
    return lite


def _agrees(forward: LiteForward, info: ModelInfo | None, sidecar: dict, path: Path) -> bool:
    """The metadata, the flatbuffer's shapes and the recorded check all describe the same classifier."""
    if info is None or info.preprocessing != PREPROCESSING:
        return False
    h, w = info.input_size
    if forward.input_shape != (1, h, w, 3) or forward.output_shape != (1, len(info.class_names)):
        log.info("cached TensorFlow Lite model for %s has shapes %s -> %s, not the file's", path,
                 forward.input_shape, forward.output_shape)
        return False
    expected = np.asarray(sidecar["probe_output"], dtype=np.float32)
    probe = np.random.default_rng(lite_cache.PROBE_SEED).random((1, h, w, 3), dtype=np.float32)
    got = forward(probe)
    tolerance = check_tolerance(str(sidecar.get("precision", "float32")))
    if expected.shape != got.shape or not np.allclose(got, expected, atol=tolerance):
        log.info("cached TensorFlow Lite model for %s disagrees with the recorded Keras output", path)
        return False
    return True
