"""Worker objects that run Keras off the UI thread, and the plain data they send back.

Each worker is a ``QObject`` moved to its own :class:`~gui.threads.WorkerThread`
and owns its own Keras model; no model object is used by two threads (one built
on a helper thread by ``gui.workers.keras_beside`` is handed over, and the helper
lets go of it).  The UI
talks to a worker through queued signals connected to its slots, and the
worker answers with typed signals (their messages: ``gui.workers.messages``).  Every job body runs inside ``try/except``
and always ends with ``finished``: a model job's error is emitted as
``errored(exception)``; a frame or file job's error travels in its
``FrameResult.error``, so the view shows it next to that frame.

:class:`InferenceWorker` loads the model the Classify tab uses, classifies
frames and image files, and describes the model for the Model tab
(``core.model.describe``).  With the model file's checked TensorFlow Lite
conversion at hand (the user's cache, or shipped beside the model) it loads
the TensorFlow-free ``LiteClassifier`` and never imports TensorFlow or Keras
for classifying; ``HANDSIGN_ENGINE=keras`` forces the full Keras classifier.
A feature that needs the Keras model (the heatmap, the Model tab's summary, the
Inside tab's feature maps) asks :meth:`InferenceWorker._with_keras`: TensorFlow
is imported, and then the Keras model of the same file is loaded, on helper
threads while frames go on being classified on LiteRT
(``gui.workers.keras_beside``); then the feature appears.  It also owns the window's one
:class:`~core.hands.finder.HandFinder` (made on first use, on this thread): a
frame or file asked for with ``hands`` is classified through
``core.hands.reading.read_frame``, which finds the hand and crops around it, or
answers "no hand".  The Collect tab asks only where the hand is
(:meth:`InferenceWorker.find_hand`).  If the hand models cannot be loaded,
``hands_failed`` says so once and frames are classified in the given region.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.model.describe import ModelReport, describe_model
from gui.threads import backend_imported, ensure_backend
from gui.workers.keras_beside import KerasBeside
from gui.workers.messages import FeatureResult, FrameResult, GalleryMaps, OncePerFrame

log = logging.getLogger(__name__)


class InferenceWorker(QObject):
    started = Signal()  # the worker runs (TensorFlow is not imported for that)
    progress = Signal(str)  # a status line ("Loading TensorFlow…")
    model_loaded = Signal(object)  # core.model.describe.ModelReport
    summary_ready = Signal(object)  # ModelReport of the bare architecture
    result_ready = Signal(object)  # FrameResult (prediction or error)
    hand_ready = Signal(object)  # FrameResult of kind "hand" (find_hand)
    hands_failed = Signal(object)  # the hand models could not be loaded (HandModelError): once per attempt
    errored = Signal(object)  # an exception from a model job
    explained = Signal(object)  # GalleryMaps (explain_image)
    finished = Signal(str)  # the job that just ended: "start", "load", "frame", "file", "hand", "describe"

    def __init__(self):
        super().__init__()
        self.classifier = None  # owned by this worker's thread
        self._finder: OncePerFrame | None = None  # owned by this worker's thread, made on first use
        self._hands_error: Exception | None = None  # why the finder could not be made (until reset_hands)
        self._heatmap: tuple[str, int] | None = None  # (layer, class or -1 for the top class) while switched on
        self._cam_engines: dict = {}  # layer -> core.explain.cam.HeatmapEngine, built here for this model
        self._gallery: tuple | None = None  # (path, mtime, HeatmapEngine) of another model file (explain_image)
        # TensorFlow and the full Classifier of the loaded file (.keras: self.classifier itself unless that is
        # LiteRT), made beside this thread when a feature needs them
        self._beside = KerasBeside(self)

    @Slot()
    def start(self):
        """Nothing to import any more: TensorFlow waits for a feature that needs it (the device list comes
        from ``gui.workers.devices``, which asks a child process)."""
        try:
            self.started.emit()
        finally:
            self.finished.emit("start")

    @Slot(str)
    def load_model(self, path: str):
        try:
            self.progress.emit(f"Loading model {Path(path).name}…")
            t0 = time.perf_counter()
            clf = self._open(path)
            clf.warm_up()
            keras_one = clf if getattr(clf, "model", None) is not None else None
            report = _metadata_report(clf) if keras_one is None else describe_model(clf.model, Path(path), clf.info)
            report.engine = clf.engine
            self.classifier, self._beside.keras = clf, keras_one  # the old model is dropped here, on its own thread
            self._cam_engines = {}  # heatmaps belong to the old model
            log.info("loaded %s in %.2f s (per-frame engine: %s)", path, time.perf_counter() - t0, report.engine)
            self.model_loaded.emit(report)
        except Exception as exc:
            self.errored.emit(exc)
        finally:
            self.finished.emit("load")

    def _open(self, path: str):
        """The TensorFlow-free classifier when the file's checked conversion is at hand, else the full one."""
        from core.inference.classifier import keras_engine_forced

        if not keras_engine_forced():
            from core.inference.lite import open_lite_classifier

            lite = open_lite_classifier(path)
            if lite is not None:
                return lite
        if not backend_imported():
            self.progress.emit("Loading TensorFlow…")
        ensure_backend()
        from core.inference.classifier import Classifier

        return Classifier.load(path)

    # -- the full Keras model, for the features that need it ------------------------------------
    def _with_keras(self, feature: str, then, failed=None) -> None:
        """Run ``then(classifier with .model)`` on this thread once the Keras model of the loaded file is here
        (TensorFlow imported and the model loaded beside this thread).  A failure goes to ``failed(exc)``
        where given, else to ``errored``."""
        self._beside.with_keras(feature, then, failed or self.errored.emit)

    def _keras_classifier(self):
        """The full Classifier of the loaded file; :meth:`_with_keras` has it loaded before any caller runs."""
        if self._beside.keras is None:
            from core.errors import ModelFileError

            raise ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)")
        return self._beside.keras

    def join_background(self, timeout_s: float | None = None) -> None:
        """Wait for the helper threads importing TensorFlow or loading Keras (the window calls this before closing)."""
        self._beside.join(timeout_s)

    @Slot()
    def describe_loaded(self):
        """The Keras summary of the model in use, for the Model tab (``summary_ready``), loading Keras if need be."""
        def describe(keras_one):
            report = describe_model(keras_one.model, Path(keras_one.path), keras_one.info)
            report.engine = self.classifier.engine if self.classifier is not None else keras_one.engine
            self.summary_ready.emit(report)

        if self.classifier is not None:
            self._with_keras("the model summary", describe)

    @Slot()
    def describe_architecture(self):
        """The untrained notebook ResNet-50, for the Model tab when no model file is loaded."""
        try:
            ensure_backend()
            from core.model.files import ModelInfo
            from core.model.resnet import ResNet50

            model = ResNet50()
            h, w = model.input_shape[1:3]
            info = ModelInfo([str(i) for i in range(model.output_shape[-1])], (h, w))
            self.summary_ready.emit(describe_model(model, None, info, trained=False))
        except Exception as exc:
            self.errored.emit(exc)
        finally:
            self.finished.emit("describe")

    # -- hands ------------------------------------------------------------------------------
    def _hand_finder(self):
        """The finder, made here on first use; None (and ``hands_failed`` once) when its models cannot load."""
        if self._finder is None and self._hands_error is None:
            try:
                from core.hands.finder import HandFinder

                self._finder = OncePerFrame(HandFinder())
            except Exception as exc:  # a damaged or missing asset: classify the given region instead
                log.warning("hand finding unavailable: %s", exc)
                self._hands_error = exc
                self.hands_failed.emit(exc)
        return self._finder

    @Slot()
    def reset_hands(self):
        """A new source (or hand finding switched on again): forget the tracked hand, retry a failed load."""
        self._hands_error = None
        if self._finder is not None:
            self._finder.reset()

    @Slot(object, int, bool)
    def find_hand(self, image, seq, bgr):
        """Where the hand is in a video frame (the Collect tab), nothing classified."""
        result = FrameResult("hand", seq, image=image, bgr=bgr)
        try:
            finder = self._hand_finder()
            if finder is not None:
                result.hand = finder.find(image, bgr=bgr)
                result.no_hand = result.hand is None
                result.region = None if result.hand is None else result.hand.region
        except Exception as exc:
            result.error = exc
        finally:
            self.hand_ready.emit(result)
            self.finished.emit("hand")

    # -- heatmaps ----------------------------------------------------------------------------
    @Slot(bool, str, int)
    def set_heatmap(self, on: bool, layer: str, class_index: int):
        """Compute a class-activation map with every frame (``class_index`` -1: the top class), or stop.

        The engine is built here, on this thread, the first time a layer is asked for (it needs the
        Keras model, which this worker's classifier owns); a failure is ``errored`` and switches it off."""
        self._heatmap = (layer, class_index) if on else None
        if on and self.classifier is not None:
            self._with_keras("the heatmap", lambda _keras: self._build_cam_engine(layer))
        else:
            self.finished.emit("heatmap")  # off, or no model yet: in effect now

    def _build_cam_engine(self, layer: str) -> None:
        try:
            if self._heatmap is not None and self._heatmap[0] == layer:
                self._cam_engine()
        except Exception as exc:
            self._heatmap = None
            self.errored.emit(exc)
        finally:
            self.finished.emit("heatmap")

    def _cam_engine(self):
        layer = self._heatmap[0]
        if layer not in self._cam_engines:
            from core.explain.cam import HeatmapEngine

            keras_one = self._keras_classifier()
            self.progress.emit("Loading the heatmap…")
            engine = HeatmapEngine(keras_one.model, layer)
            engine.use_lite(keras_one.path)  # XNNPACK: converted once per model file and layer, then cached
            h, w = engine.input_size
            engine.compute(np.zeros((h, w, 3), np.uint8))  # traces the function now, not on the first frame
            self._cam_engines[layer] = engine
            self.progress.emit(f"Heatmap ready: {engine.label}")
        return self._cam_engines[layer]

    def _frame_classifier(self):
        """The classifier for this frame: with the heatmap on, one that computes the map in the same pass."""
        if self._heatmap is None:
            return self.classifier
        if self._heatmap[0] not in self._cam_engines:  # still loading (TensorFlow, the Keras model): no map yet
            layer = self._heatmap[0]
            self._with_keras("the heatmap", lambda _keras: self._build_cam_engine(layer))
            return self.classifier
        from core.explain.cam import ExplainingClassifier

        k = self._heatmap[1]
        return ExplainingClassifier(self.classifier, self._cam_engine(), None if k < 0 else k)

    @Slot(str, object, list, str)
    def explain_image(self, path: str, image, classes: list, title: str):
        """Maps of a model-size ``image`` for each of ``classes`` with the model file at ``path`` (a finished
        training's model, kept for the next image); answered by ``explained``.  TensorFlow (on a TensorFlow-free
        session) and that model are loaded beside this thread, and frames go on meanwhile."""
        def failed(exc):
            self._explained(GalleryMaps(title, image, list(classes), [], error=exc))

        try:
            stamp = Path(path).stat().st_mtime_ns
        except OSError as exc:
            failed(exc)
            return
        if self._gallery is not None and self._gallery[:2] == (path, stamp):
            self._explain_now(self._gallery[2], image, classes, title)
            return
        self.progress.emit("Loading the heatmap…")
        self._beside.work_beside("the gallery heatmaps", lambda: _gallery_engine(path),
                                 lambda engine: self._explain_with(path, stamp, engine, image, classes, title), failed)

    def _explain_with(self, path: str, stamp: int, engine, image, classes: list, title: str) -> None:
        self._gallery = (path, stamp, engine)
        self.progress.emit(f"Heatmap ready: {engine.label}")
        self._explain_now(engine, image, classes, title)

    def _explain_now(self, engine, image, classes: list, title: str) -> None:
        out = GalleryMaps(title, image, list(classes), [])
        try:
            out.layer = engine.layer.short_label
            out.maps = [engine.compute(image, int(k)).map for k in classes]
        except Exception as exc:
            out.error = exc
        finally:
            self._explained(out)

    def _explained(self, maps: GalleryMaps) -> None:
        self.explained.emit(maps)
        self.finished.emit("explain")

    # -- classifying --------------------------------------------------------------------------
    def _read(self, result: FrameResult, region, hands: str) -> None:
        """Classify ``result.image`` into ``result``: around the hand when ``hands`` ("video" or "still")."""
        from core.hands.reading import read_frame

        finder = self._hand_finder() if hands else None
        classifier = self._frame_classifier()
        reading = read_frame(classifier, result.image, finder=finder, region=region, bgr=result.bgr,
                             still=hands == "still")
        result.prediction, result.model_input = reading.prediction, reading.model_input
        result.hand, result.no_hand, result.region = reading.hand, reading.no_hand, reading.region
        result.heatmap = None if reading.no_hand else getattr(classifier, "last", None)

    @Slot(object, object, int, bool, str)
    def classify_frame(self, image, region, seq, bgr, hands):
        """``hands``: "" classifies ``region``; "video" finds and tracks the hand; "still" finds it in one picture."""
        result = FrameResult("frame", seq, image=image, bgr=bgr)
        try:
            if self.classifier is None:
                from core.errors import ModelFileError

                raise ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)")
            self._read(result, region, hands)
        except Exception as exc:
            result.error = exc
        finally:
            self.result_ready.emit(result)
            self.finished.emit("frame")

    @Slot(str, object, int, str)
    def classify_file(self, path, region, seq, hands):
        result = FrameResult("file", seq, path=path)
        try:
            from core.images import read_image

            result.image = read_image(path)
            if self.classifier is not None:
                self._read(result, region, hands)
        except Exception as exc:
            result.error = exc
        finally:
            self.result_ready.emit(result)
            self.finished.emit("file")

    # -- feature maps (the Inside tab) ---------------------------------------------------------
    features_ready = Signal(object)  # FeatureResult
    _features: tuple | None = None  # (the classifier it is for, its FeatureExtractor or why there is none)

    def _feature_extractor(self):
        """The extractor for the model in use, built once per model on this thread (a failure is kept too,
        so it is not retried every frame).  A TensorFlow-free classifier (LiteRT) has no Keras model:
        ``compute_features`` has it loaded from the same file first (``_with_keras``)."""
        from core.errors import ModelFileError

        if self.classifier is None:
            raise ModelFileError("no model is loaded; open one with File ▸ Open model (Ctrl+M)")
        if self._features is None or self._features[0] is not self.classifier:
            try:
                from core.explain.features import FeatureExtractor

                self._features = (self.classifier, FeatureExtractor(self._keras_classifier().model))
            except Exception as exc:
                self._features = (self.classifier, exc)
        made = self._features[1]
        if isinstance(made, Exception):
            raise made
        return made

    @Slot(object, str, int)
    def compute_features(self, model_input, block, seq):
        """The feature maps of ``block`` ("" for the default) and every stage's histogram for a model-size image.

        On a TensorFlow-free (LiteRT) session the first request imports TensorFlow beside this thread, so
        the live view goes on meanwhile; the answer comes once the Keras model is here."""
        if self.classifier is None:  # answered with "no model is loaded"
            self._features_now(model_input, block, seq)
            return
        self._with_keras("the feature maps", lambda _keras: self._features_now(model_input, block, seq),
                         failed=lambda exc: self._features_failed(model_input, seq, exc))

    def _features_now(self, model_input, block, seq) -> None:
        result = FeatureResult(seq, model_input=model_input)
        try:
            fx = self._feature_extractor()
            result.blocks = list(fx.blocks)
            result.view = fx.extract(model_input, block or fx.default_block())
        except Exception as exc:
            result.error = exc
        finally:
            self.features_ready.emit(result)
            self.finished.emit("features")

    def _features_failed(self, model_input, seq, exc) -> None:
        self.features_ready.emit(FeatureResult(seq, model_input=model_input, error=exc))
        self.finished.emit("features")


def _gallery_engine(path: str):
    """The stage-4 heatmap engine of another model file (on a helper thread; TensorFlow is imported)."""
    from core.explain.cam import HeatmapEngine
    from core.model.files import load_model

    return HeatmapEngine(load_model(path)[0], "stage4")


def _metadata_report(clf) -> ModelReport:
    """What the Model tab can show of a TensorFlow-free classifier: the archive's metadata, no layer table."""
    info = clf.info
    return ModelReport(path=Path(clf.path), class_names=list(info.class_names), input_size=tuple(info.input_size),
                       summary={}, blocks=[], run_card=dict(info.run_card or {}),
                       architecture=info.architecture or "", engine=clf.engine)
