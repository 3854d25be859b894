"""Measure "teach it your way": fine-tune on 10 photos a class of a new room, score the rest.

``python -m tools.finetune_check --data D --model M --out DIR [--backgrounds B]``
builds each room as a class-folder tree (``DIR/<room>/tune`` with ``--per-class``
photos a class, ``DIR/<room>/rest`` with the others), runs the real command
``python -m core train --preset finetune --init-model M --data DIR/<room>/tune``
(timed end to end, as a person would run it), and scores the model before and
after on ``rest`` through the app's own hand framing.

Rooms, from data we may use:

* ``sld-new-people``: Sign Language Digits participants the shipped model never
  trained on (the recipe's held-out fifth, seed 0): other people, camera, light;
* ``sld-room``: the same photos with their background replaced by one kept-back
  room photo (``core.data.scenes``, ``part="eval"``): one new room, every photo;
* ``sld-swapped``: ``sld-new-people`` where the room counts differently: the
  photos of 3 and 5 trade labels (a convention the model was never shown).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from core.data.formats import block_of_ten
from core.images import read_image


def _held_out_people(sld: Path, seed: int) -> list[Path]:
    from tools.recipes import load_sld

    return [Path(f) for f in load_sld(sld, seed=seed).val.files]


def _write(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=95)


def build_room(files: list[Path], out: Path, per_class: int, seed: int, relabel=None, backdrop=None) -> None:
    """Split ``files`` by person: ``per_class`` people's photos to tune, everyone else's to rest."""
    from tools.rooms import _paste_hand

    rng = np.random.default_rng(seed)
    people = sorted({block_of_ten(f) for f in files})
    tune_people = set(rng.permutation(people)[:per_class].tolist())
    for f in files:
        label = relabel.get(f.parent.name, f.parent.name) if relabel else f.parent.name
        image = read_image(f)
        if backdrop is not None:
            frame = backdrop.copy()
            image = _paste_hand(frame, image, frame.shape[0], 0, 0)
        part = "tune" if block_of_ten(f) in tune_people else "rest"
        _write(out / part / label / f"{f.stem}.jpg", image)


def score(model: Path, folder: Path) -> float:
    """Accuracy on the photos in ``folder`` as ``handsign evaluate`` reads them (hand found in each file, the
    model's hand-shape head where it has one); a photo where no hand is found counts wrong."""
    from core.data.datasets import load_dataset
    from core.hands.finder import HandFinder
    from core.hands.reading import read_split
    from core.inference.classifier import Classifier

    clf = Classifier.load(model)
    ds = load_dataset(folder, clf.input_size, kind="folders", classes=clf.class_names, val_split=0.0, test_split=1.0)
    readings = read_split(clf, ds.test, HandFinder(), from_files=True)
    return round(float(np.mean(readings.predicted == ds.test.y)), 4)


def run_room(name: str, room: Path, model: Path, extra: list[str] = ()) -> dict:
    tuned = room / "finetuned.keras"
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "core", "train", "--preset", "finetune", "--init-model", str(model),
                           "--data", str(room / "tune"), "--out", str(tuned), *extra], capture_output=True, text=True)
    seconds = round(time.time() - t0, 1)
    if proc.returncode != 0:
        raise SystemExit(f"{name}: fine-tune failed: {proc.stderr.strip().splitlines()[-1:]}")
    card = json.loads(tuned.with_suffix(".json").read_text())
    return {"room": name, "before": score(model, room / "rest"), "after": score(tuned, room / "rest"),
            "end_to_end_seconds": seconds, "training_seconds": round(card.get("duration_seconds", 0.0), 1), "tune_images": sum(1 for _ in (room / "tune").rglob("*.jpg")),
            "rest_images": sum(1 for _ in (room / "rest").rglob("*.jpg")), "train_args": " ".join(extra)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.finetune_check")
    p.add_argument("--data", required=True)
    p.add_argument("--model", default="assets/models/handsign_resnet50.keras")
    p.add_argument("--out", default="out/finetune-check")
    p.add_argument("--backgrounds", help="photo folder; adds the sld-room room")
    p.add_argument("--per-class", type=int, default=10)
    p.add_argument("--seed", type=int, default=0, help="which people tune (the rest score)")
    p.add_argument("--backdrop", type=int, default=0,
                   help="sld-room: which kept-back background photo is the room (index in the bank's eval part)")
    p.add_argument("--train-args", default="", help="extra options for the train command (e.g. '--epochs 20')")
    p.add_argument("--rooms", nargs="*", default=["sld-new-people", "sld-room", "sld-swapped"])
    args = p.parse_args(argv)
    files = _held_out_people(Path(args.data) / "sign-language-digits", args.seed)
    out = Path(args.out)
    results = []
    for name in args.rooms:
        room = out / name
        if not (room / "tune").is_dir():
            backdrop = None
            if name == "sld-room":
                if not args.backgrounds:
                    continue
                from core.data.scenes import SceneBank

                bank = SceneBank.from_folder(args.backgrounds, part="eval")
                import cv2

                backdrop = cv2.resize(bank.photos[args.backdrop % len(bank.photos)], (160, 160), interpolation=cv2.INTER_AREA)
            relabel = {"3": "5", "5": "3"} if name == "sld-swapped" else None
            build_room(files, room, args.per_class, args.seed, relabel, backdrop)
        results.append(run_room(name, room, Path(args.model), args.train_args.split()))
        print(json.dumps(results[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
