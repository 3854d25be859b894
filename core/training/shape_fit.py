"""Training the hand-shape head (``core.hands.shape``) beside the image classifier.

After a run whose settings ask for it (``TrainSettings.shape_head``: the
standard, ship and finetune presets), the hand finder places the 21 landmarks on
every training image (the hand-framed crop the network trained on), with the
full landmark model and with the lite one that video uses, and a small dense
network learns the class from them.  A fine-tune starts from the head of
the model it continues, so ten photos a class teach it a new convention without
forgetting the shape of a hand.  A class with fewer than :data:`MIN_PER_CLASS`
hands found gets no new head (a head that never says that class would veto it):
a fine-tune then keeps its initial model's head, a new model is saved without
one and reads pixels alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.hands.shape import ENTRY, FEATURES, ShapeHead, shape_features

MIN_PER_CLASS = 3
HIDDEN = (128, 128)
NOISE, DROPOUT = 0.05, 0.3
FRESH = dict(steps=3000, batch_size=64, learning_rate=1e-3)  # about 150 epochs of SIGNS + SLD's 1,350 photos
CONTINUED = dict(steps=300, batch_size=16, learning_rate=5e-4)  # from an earlier head: a fine-tune's few samples
MAX_EPOCHS = 200
MAX_IMAGES = 3000  # landmarks of at most this many training images (about 80 s): 25,000 weights need no more


def training_landmarks(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image's landmarks twice, as the full landmark model (still photos) and the lite one (video) place
    them, with their labels: the head then reads either (on SIGNS test, trained on the full model's alone,
    it lost a photo to the lite model's points; docs/model.md, "The hand's shape")."""
    from core.hands.finder import HandFinder
    from core.hands.models import LANDMARK_LITE_MODEL

    lite = landmarks_of(images, HandFinder(landmark_model=LANDMARK_LITE_MODEL))
    return np.concatenate([landmarks_of(images), lite]), np.tile(np.asarray(labels), 2)


def landmarks_of(images: np.ndarray, finder=None) -> np.ndarray:
    """float32 ``(N, 21, 3)``: each image's hand landmarks (as a still photo), NaN where no hand was found."""
    from core.hands.finder import HandFinder

    finder = finder or HandFinder()
    out = np.full((len(images), 21, 3), np.nan, np.float32)
    for i, image in enumerate(images):
        hand = finder.find_in_image(image)
        if hand is not None:
            out[i] = hand.landmarks
    return out


def fit_shape_head(landmarks: np.ndarray, labels: np.ndarray, class_names: list[str], *,
                   init: ShapeHead | None = None, seed: int = 0) -> ShapeHead | None:
    """A head learnt from ``landmarks`` (NaN rows skipped) and their ``labels``, continuing ``init`` when given;
    None when a class has fewer than :data:`MIN_PER_CLASS` hands."""
    import keras

    found = ~np.isnan(landmarks).any(axis=(1, 2))
    x, y = shape_features(landmarks[found]), np.asarray(labels)[found]
    counts = np.bincount(y, minlength=len(class_names))
    # A new head needs every class; one that continues needs each class the samples show (a fine-tune on some).
    shown = np.bincount(np.asarray(labels), minlength=len(class_names)) > 0 if init is not None else slice(None)
    if not len(x) or counts[shown].min() < MIN_PER_CLASS:
        return None
    plan = CONTINUED if init is not None else FRESH
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((FEATURES,)), keras.layers.GaussianNoise(NOISE)]
    for width in HIDDEN:
        layers += [keras.layers.Dense(width, activation="relu"), keras.layers.Dropout(DROPOUT)]
    model = keras.Sequential([*layers, keras.layers.Dense(len(class_names), activation="softmax")])
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if init is not None and [w.shape for w, _ in init.layers] == [d.kernel.shape for d in dense]:
        for layer, (w, b) in zip(dense, init.layers, strict=True):
            layer.set_weights([w, b])
    model.compile(keras.optimizers.Adam(plan["learning_rate"]), "sparse_categorical_crossentropy")
    batch = min(plan["batch_size"], len(x))
    epochs = max(1, round(plan["steps"] / int(np.ceil(len(x) / batch))))
    repeats = int(np.ceil(epochs / MAX_EPOCHS))  # few hands: each epoch shows them several times over, so
    epochs = max(1, round(epochs / repeats))  # Keras's cost per epoch does not outweigh the steps themselves
    model.fit(np.tile(x, (repeats, 1)), np.tile(y, repeats), batch_size=batch, epochs=epochs, verbose=0, shuffle=True)
    card = {"hands": int(len(x)), "of_images": int(len(landmarks)), "per_class": counts.tolist(),
            "epochs": epochs * repeats, "batch_size": batch, "continued": init is not None, "seed": seed}
    return ShapeHead([tuple(d.get_weights()) for d in dense], class_names, card)


def shape_head_entries(dataset, settings, initial_model: Path | None, log: Callable[[str], None]) -> dict[str, bytes]:
    """The archive entry of the head for a finished run (``{}`` when the settings ask for none or it cannot
    be learnt), saying in the log what it did."""
    if not settings.shape_head or not len(dataset.train):
        return {}
    init = None
    if initial_model is not None:
        from core.inference.prediction import read_shape_head

        init = read_shape_head(initial_model, list(dataset.class_names))
    train = dataset.train
    if len(train) > MAX_IMAGES:  # a large (or streamed) set: an even, seeded sample, read one image at a time
        train = train.take(np.sort(np.random.default_rng(settings.seed).choice(len(train), MAX_IMAGES, replace=False)))
    marks, labels = training_landmarks(train.x, train.y)
    head = fit_shape_head(marks, labels, list(dataset.class_names), init=init, seed=settings.seed)
    if head is None and init is not None:
        log(f"the hand-shape head is the initial model's: hands found in fewer than {MIN_PER_CLASS} samples "
            "of some class")
        return {ENTRY: init.to_bytes()}
    if head is None:
        log(f"no hand-shape head: hands found in fewer than {MIN_PER_CLASS} training images of some class; "
            "the model reads pixels alone")
        return {}
    log(f"hand-shape head learnt from {head.card['hands']} hands placed in {len(train)} training images"
        f"{' (continuing the initial model’s)' if init is not None else ''}")
    return {ENTRY: head.to_bytes()}
