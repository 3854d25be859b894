"""Live pipeline worker: frames per second from a 640x480 video through the app's path.

Per frame: read from ``core.camera.VideoFileSource`` (looping, not paced), crop
+ preprocess + inference (``Classifier.classify_frame``), and conversion of the
frame to a ``QImage`` for display (``gui.widgets.to_qimage`` when the GUI
provides it, else the same ``QImage(...).copy()`` here), offscreen.

Phases, in order: no training, training running, no training again.  The
training is the quick preset on SIGNS in the app's training child process
(``core.training.process.TrainProcess``, the class the Train tab's worker uses);
``--training thread`` runs a ``TrainingSession`` on a thread of this process
instead (how the app ran it before training moved to a child process).  ``--before`` uses the inference path as it
was before issue #5 (variable weights, full-frame colour conversion) and the
float32 training path, for the before/after table.

``--find-hand`` plays a hand moving through a cluttered room instead and runs
the app's hand-finding path (``core.hands.reading.read_frame`` with a
``HandFinder``) on every frame.

    python -m bench.live [--seconds 8] [--before] [--training process|thread] [--find-hand]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from bench.common import emit, load_signs


def qimage_converter():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from gui.widgets import to_qimage

        return to_qimage, "gui.widgets.to_qimage"
    except Exception:  # the GUI is not there (yet): the same conversion
        import numpy as np
        from PySide6.QtGui import QImage

        def to_qimage(arr, *, bgr=False):
            arr = np.ascontiguousarray(arr)
            h, w = arr.shape[:2]
            fmt = QImage.Format.Format_BGR888 if bgr else QImage.Format.Format_RGB888
            return QImage(arr.data, w, h, int(arr.strides[0]), fmt).copy()

        return to_qimage, "bench QImage(...).copy()"


def make_video(folder: Path, n: int = 60) -> Path:
    import numpy as np

    from tools.videos import write_test_video

    rng = np.random.default_rng(0)
    frames = []
    for i in range(n):
        f = np.full((480, 640, 3), 90, np.uint8)
        f[100 + i % 40 : 380, 200:440] = rng.integers(0, 256, 3, dtype=np.uint8)
        frames.append(f)
    return write_test_video(folder / "live.avi", frames, fps=30.0)


def make_hand_video(folder: Path) -> Path:
    """A Sign Language Digits hand drifting through a cluttered room, all frames with the hand (tools.videos)."""
    from bench.common import data_dir
    from core.images import read_image
    from tools.videos import write_hand_video

    sld = data_dir().parent / "sign-language-digits"
    photo = read_image(sorted((sld / "3").glob("*.JPG"))[0])
    return write_hand_video(folder / "hand.avi", photo, hand_frames=60, empty_frames=0, fps=30.0)


def training_on_thread(step, seconds: float, before: bool) -> dict:
    """Measure ``step`` while a TrainingSession runs on a thread of this process."""
    from core.data.splits import Dataset, Split
    from core.training.presets import settings_for
    from core.training.session import TrainingSession

    ds = load_signs()
    size = ds.image_size
    train_ds = Dataset(ds.class_names, ds.train, Split.empty(size), Split.empty(size), ds.source, ds.kind)
    over = dict(epochs=1000)
    if before:
        over.update(precision="float32", fused_batchnorm=False, fused_optimizer=False)
    rate: dict = {"ips": [], "batches": 0}
    going = threading.Event()

    class Listener:
        def on_batch(self, progress):
            rate["batches"] += 1
            if rate["batches"] >= 3:
                going.set()
                rate["ips"].append(progress.images_per_second)

    session = TrainingSession(train_ds, settings_for("quick", **over), Listener())
    worker = threading.Thread(target=session.run, name="bench-training")
    worker.start()
    try:
        going.wait(300)
        result = measure(step, seconds)
        ips = rate["ips"]
        result["training_images_per_second"] = round(ips[-1], 1) if ips else None
    finally:
        session.stop()
        worker.join()
    return result


def training_in_child_process(step, seconds: float, folder: Path, before: bool) -> dict:
    """Measure ``step`` while the app's training child process (core.training.process) trains on SIGNS."""
    from bench.common import data_dir
    from core.training.presets import settings_for
    from core.training.process import MessageKind, TrainJob, TrainProcess

    over = dict(epochs=1000)
    if before:
        over.update(precision="float32", fused_batchnorm=False, fused_optimizer=False)
    job = TrainJob(str(data_dir()), settings_for("quick", **over), folder / "live-training.keras", title="bench")
    ips: list[float] = []
    batches = 0

    def drain(proc: TrainProcess, timeout: float = 0.0) -> None:
        nonlocal batches
        while proc.poll(timeout):
            event = proc.next_event()
            if event.kind is MessageKind.BATCH:
                batches += 1
                ips.append(event.payload.images_per_second)
            elif event.kind in (MessageKind.ERROR, MessageKind.FINISH):
                raise RuntimeError(f"training child ended early: {event.payload}")
            timeout = 0.0

    with TrainProcess(name="bench-training") as proc:
        proc.start(job)
        try:
            deadline = time.perf_counter() + 300
            while batches < 3 and time.perf_counter() < deadline:
                drain(proc, 1.0)
            result = measure(lambda: (step(), drain(proc)), seconds)
            result["training_images_per_second"] = round(ips[-1], 1) if ips else None
        finally:
            proc.stop()
    return result


def measure(step, seconds: float) -> dict:
    n, t0 = 0, time.perf_counter()
    per = []
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        step()
        per.append(time.perf_counter() - t)
        n += 1
    wall = time.perf_counter() - t0
    per.sort()
    return {"fps": round(n / wall, 1), "frames": n, "p50_ms": round(1000 * per[len(per) // 2], 2),
            "p95_ms": round(1000 * per[int(len(per) * 0.95)], 2)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.live")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--before", action="store_true")
    p.add_argument("--find-hand", action="store_true", help="a video with a hand, through the hand finder")
    p.add_argument("--training", choices=("process", "thread"), default="process",
                   help="where the training runs: a child process as the app runs it (default), or a thread")
    args = p.parse_args(argv)

    from PySide6.QtGui import QGuiApplication

    from bench.infer import make_model_file
    from core.camera import VideoFileSource
    from core.images import crop_resize, to_rgb_uint8
    from core.inference.classifier import Classifier

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QImage wants an app)
    to_qimage, converter = qimage_converter()
    with tempfile.TemporaryDirectory() as tmp:
        video = make_hand_video(Path(tmp)) if args.find_hand else make_video(Path(tmp))
        finder = None
        if args.find_hand:
            from core.hands.finder import HandFinder
            from core.hands.reading import read_frame

            finder = HandFinder()
        path = make_model_file(Path(tmp))
        clf = Classifier.load(path)
        if args.before:
            clf = Classifier(clf.model, clf.info)
        clf.warm_up()
        src = VideoFileSource(video, loop=True, realtime=False)
        src.open()

        def step():
            ok, frame = src.read()
            if finder is not None:
                read_frame(clf, frame, finder=finder, bgr=True)
            elif args.before:
                x = crop_resize(to_rgb_uint8(frame, bgr=True), clf.input_size)[None]
                clf.probabilities(x)
            else:
                clf.classify_frame(frame, bgr=True)
            to_qimage(frame, bgr=True)

        for _ in range(5):
            step()
        out = {"converter": converter, "before": args.before, "find_hand": args.find_hand}
        out["idle_1"] = measure(step, args.seconds)

        if args.training == "process":
            out["training"] = training_in_child_process(step, args.seconds, Path(tmp), args.before)
        else:
            out["training"] = training_on_thread(step, args.seconds, args.before)
        out["training"]["where"] = args.training
        out["idle_2"] = measure(step, args.seconds)
        src.close()
    emit(out)


if __name__ == "__main__":
    main()
