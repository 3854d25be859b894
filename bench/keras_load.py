"""What a TensorFlow-free session still does on its inference worker when a feature first needs Keras.

``python -m bench.keras_load``: in one process with TensorFlow already imported (as
after the app's helper thread), load the shipped model's full ``Classifier`` and build
the Inside tab's ``FeatureExtractor`` with its first maps, twice (the first time pays
Keras's first model construction in the process, as the app does).
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    import keras  # noqa: F401 - TensorFlow imported first, as after the helper thread
    import numpy as np

    from bench.common import cpu_model
    from core.explain.features import FeatureExtractor
    from core.inference.classifier import Classifier
    from core.paths import shipped_model_path

    print(f"CPU: {cpu_model()}")
    for label in ("first", "again"):
        t = time.perf_counter()
        clf = Classifier.load(shipped_model_path())
        load = time.perf_counter() - t
        t = time.perf_counter()
        fx = FeatureExtractor(clf.model)
        fx.extract(np.zeros((64, 64, 3), np.uint8), fx.default_block())
        print(f"{label}: Keras model {load:.2f} s, feature extractor + first maps {time.perf_counter() - t:.2f} s",
              flush=True)


if __name__ == "__main__":
    main()
