"""The feature projection: PCA to 2-D, alignment between epochs, the probe on real Keras models, and a real
training child that sends a projection with every epoch."""

from __future__ import annotations

import numpy as np
import pytest

from core.explain.projection import (
    ProjectionTracker,
    align,
    normalise,
    pca_2d,
)
from core.training.process import MessageKind, TrainJob, TrainProcess
from core.training.projection_probe import ProjectionProbe, projection_picks, thumbnails
from core.training.settings import TrainSettings
from tests.conftest import tiny_builder, write_image

EVENT_TIMEOUT = 120  # seconds: a spawned child imports TensorFlow before its first message


def mean_movement(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance each point moves from ``a`` to ``b``."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b), axis=1).mean())


def class_separation(points: np.ndarray, labels) -> float:
    """Between-class over within-class spread of 2-D points (higher: classes further apart).

    The ratio of the mean squared distance of class centres from the overall
    centre to the mean squared distance of points from their class centre.
    """
    p = np.asarray(points, dtype=np.float64)
    y = np.asarray(labels)
    centre = p.mean(axis=0)
    between = within = 0.0
    for c in np.unique(y):
        members = p[y == c]
        mid = members.mean(axis=0)
        between += len(members) * float(((mid - centre) ** 2).sum())
        within += float(((members - mid) ** 2).sum())
    return between / within if within > 0 else float("inf")


def _clusters(rng, n_per_class=30, classes=4, dim=256, spread=8.0, noise=1.0):
    centres = rng.normal(0, spread, (classes, dim))
    labels = np.repeat(np.arange(classes), n_per_class)
    return centres[labels] + rng.normal(0, noise, (len(labels), dim)), labels


def _rotation(degrees: float) -> np.ndarray:
    t = np.radians(degrees)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def test_projection_shapes_and_scale():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(50, 2048)).astype(np.float32)
    assert pca_2d(feats).shape == (50, 2)
    points = ProjectionTracker().update(feats)
    assert points.shape == (50, 2) and points.dtype == np.float32
    assert np.allclose(points.mean(axis=0), 0, atol=1e-5)
    assert np.sqrt((points.astype(np.float64) ** 2).sum(axis=1).mean()) == pytest.approx(1.0, abs=1e-5)
    # Degenerate inputs give points, not errors.
    assert pca_2d(np.zeros((1, 8))).shape == (1, 2)
    assert np.all(ProjectionTracker().update(np.ones((5, 8))) == 0)


def test_pca_matches_the_svd_of_the_centred_data():
    rng = np.random.default_rng(5)
    for shape in ((40, 512), (300, 2048), (200, 16)):  # fewer images than features, and more
        x = rng.normal(size=shape) * np.linspace(3, 0.1, shape[1])
        u, s, _ = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
        expected = u[:, :2] * s[:2]
        got = pca_2d(x)
        for j in range(2):  # a principal axis has no sign of its own
            assert np.allclose(got[:, j], expected[:, j], atol=1e-6) or np.allclose(got[:, j], -expected[:, j],
                                                                                    atol=1e-6)


def test_pca_of_well_separated_clusters_separates_them():
    rng = np.random.default_rng(1)
    feats, labels = _clusters(rng)
    points = pca_2d(feats)
    # PCA keeps the directions of largest spread: the clusters'.  Random 2-D directions of the same
    # features do not separate them nearly as well.
    random_dirs = feats @ rng.normal(size=(feats.shape[1], 2))
    assert class_separation(points, labels) > 3 * class_separation(random_dirs, labels)
    # Every point is nearer its own class centre than any other.
    centres = np.stack([points[labels == c].mean(axis=0) for c in range(4)])
    nearest = np.linalg.norm(points[:, None, :] - centres[None], axis=2).argmin(axis=1)
    assert np.all(nearest == labels)


def test_alignment_undoes_a_rotation_and_a_reflection():
    rng = np.random.default_rng(2)
    feats, _ = _clusters(rng)
    previous = normalise(pca_2d(feats))
    for turned in (previous @ _rotation(70), previous * np.array([1.0, -1.0]), previous @ _rotation(180)):
        moved = turned + rng.normal(0, 0.02, turned.shape)
        aligned = align(moved, previous)
        assert mean_movement(aligned, previous) < 0.05
        assert mean_movement(normalise(moved), previous) > 10 * mean_movement(aligned, previous)


def test_tracker_keeps_consecutive_epochs_close():
    """Two "epochs" in which the classes pull apart along what was the second-largest direction: that
    direction becomes PCA's first axis, so PCA alone swaps x and y; the tracker turns the picture back."""
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(120, 2)) * np.array([3.0, 2.5])  # the features' two main directions
    embed = np.linalg.qr(rng.normal(size=(256, 2)))[0].T  # into 256-d, orthonormal
    feats_1 = latent @ embed + rng.normal(0, 0.1, (120, 256))
    feats_2 = latent * np.array([2.5, 3.0]) @ embed + rng.normal(0, 0.1, (120, 256))
    tracker = ProjectionTracker()
    first = tracker.update(feats_1)
    second = tracker.update(feats_2)
    # PCA's axes have no sign of their own: whichever signs it picks, its own axes move the points a lot...
    unaligned = normalise(pca_2d(feats_2))
    least = min(mean_movement(unaligned * np.array(signs), first) for signs in ((1, 1), (1, -1), (-1, 1), (-1, -1)))
    # ...and the tracker's alignment far less.
    assert mean_movement(second, first) < 0.15
    assert least > 3 * mean_movement(second, first)


def test_projection_picks_are_all_or_class_balanced():
    y = np.repeat(np.arange(3), [100, 200, 300])
    assert projection_picks(y[:50], 3, limit=300) == list(range(50))
    picks = projection_picks(y, 3, limit=300)
    assert len(picks) == 300 and picks == sorted(picks)
    assert np.bincount(y[picks]).tolist() == [100, 100, 100]


def test_thumbnails_are_64_pixel_uint8():
    images = np.random.default_rng(0).integers(0, 255, (3, 100, 100, 3), dtype=np.uint8)
    thumbs = thumbnails(images)
    assert thumbs.shape == (3, 64, 64, 3) and thumbs.dtype == np.uint8
    same = thumbnails(thumbs)
    assert np.array_equal(same, thumbs) and same is not thumbs


def test_probe_reads_the_pooled_features_of_a_real_model():
    model = tiny_builder((64, 64, 3), 3)
    rng = np.random.default_rng(4)
    images = rng.integers(0, 255, (20, 64, 64, 3), dtype=np.uint8)
    probe = ProjectionProbe(lambda: model, images, [i % 3 for i in range(20)])
    feats = probe.features()
    assert feats.shape == (20, 64)  # the input of the Dense head: the tiny CNN's 64 pooled channels
    # They are what the model's head sees: the head applied to them gives the model's own output.
    head = model.layers[-1]
    probs = np.asarray(model(images.astype(np.float32) / 255, training=False))
    assert np.allclose(np.asarray(head(feats)), probs, atol=1e-5)
    points = probe.project()
    assert points.shape == (20, 2) and np.all(np.isfinite(points)) and probe.seconds > 0


def test_the_validation_pass_scores_the_split_and_hands_the_projection_its_features():
    """One forward pass over the validation split: the session's probabilities, and the probe's features."""
    from core.inference.classifier import Classifier
    from core.model.files import ModelInfo

    model = tiny_builder((64, 64, 3), 3)
    split = np.random.default_rng(6).integers(0, 255, (30, 64, 64, 3), dtype=np.uint8)
    index = list(range(0, 30, 3))
    probe = ProjectionProbe(lambda: model, split[index], [i % 3 for i in index], index)
    passes: list[int] = []
    run = probe._run
    probe._run = lambda m, images: (passes.append(len(images)), run(m, images))[1]  # counts forward passes
    probs = probe.validation_probabilities(split)
    expected = Classifier(model, ModelInfo(["a", "b", "c"], (64, 64))).probabilities_in_batches(split)
    assert probs.shape == (30, 3) and np.allclose(probs, expected, atol=1e-5)
    points = probe.project()
    assert passes == [30]  # the projection used the validation pass's features: no pass of its own
    assert np.allclose(points, ProjectionTracker().update(run(model, split)[0][index]), atol=1e-5)
    probe.project()  # no validation pass before it: it reads its own images
    assert passes == [30, 10]
    # A split that is not the one the probe's positions refer to: no shared pass.
    assert probe.validation_probabilities(split[:5]) is None


def test_trained_resnet_features_separate_the_classes_more_than_untrained(shipped_model_or_skip, signs_dir):
    """The shipped ResNet-50 (trained) against the same architecture untrained, on SIGNS test images:
    the classes pull apart in the projection as the network learns."""
    from core.data.datasets import load_dataset
    from core.model.files import load_model
    from core.model.resnet import ResNet50

    test = load_dataset(signs_dir, val_split=0.15, seed=0).test
    trained, _ = load_model(shipped_model_or_skip)
    untrained = ResNet50((64, 64, 3), 6)
    seps = {}
    for name, model in (("trained", trained), ("untrained", untrained)):
        probe = ProjectionProbe(lambda m=model: m, test.x, test.y)
        assert probe.features().shape == (len(test), 2048)
        seps[name] = class_separation(probe.project(), test.y)
    assert seps["trained"] > 3 * seps["untrained"], seps


@pytest.fixture
def shipped_model_or_skip():
    from core.paths import shipped_model_path

    path = shipped_model_path()
    if not path.exists():
        pytest.skip(f"no shipped model at {path}")
    return path


def _class_folders(root, per_class=10, classes=3):
    rng = np.random.default_rng(0)
    for c in range(classes):
        for i in range(per_class):
            img = np.full((64, 64, 3), 40 + 80 * c, np.uint8) + rng.integers(0, 30, (64, 64, 3), dtype=np.uint8)
            write_image(root / str(c) / f"{i}.png", img)
    return root


def test_the_training_child_sends_a_projection_with_every_epoch(tmp_path):
    data = _class_folders(tmp_path / "data")
    settings = TrainSettings(epochs=3, batch_size=4, augment=False, val_split=0.3)
    job = TrainJob(str(data), settings, tmp_path / "out.keras", kind="folders", builder=tiny_builder, title="test")
    events = []
    with TrainProcess() as proc:
        proc.start(job)
        while not events or events[-1].kind is not MessageKind.FINISH:
            assert proc.poll(EVENT_TIMEOUT), "no message from the training child"
            events.append(proc.next_event())
    errors = [e.payload for e in events if e.kind is MessageKind.ERROR]
    assert not errors, errors
    info = next(e.payload for e in events if e.kind is MessageKind.DATASET)
    n = info.counts["val"]
    assert n >= 2 and info.projection_images.shape == (n, 64, 64, 3) and info.projection_images.dtype == np.uint8
    assert len(info.projection_labels) == n and set(info.projection_labels) <= {0, 1, 2}
    epochs = [e.payload for e in events if e.kind is MessageKind.EPOCH]
    assert [m.epoch for m in epochs] == [1, 2, 3]
    for m in epochs:
        assert m.projection.shape == (n, 2) and np.all(np.isfinite(m.projection))
    assert not np.allclose(epochs[0].projection, epochs[-1].projection)  # the network learnt; the points moved
    # The run card stays as it was: no points in it.
    outcome = events[-1].payload
    assert all("projection" not in e for e in outcome.result.run_card["epochs"])
