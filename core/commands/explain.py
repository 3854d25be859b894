"""``handsign explain``: where the network looks in each image, as overlay PNGs and (``--json``) numbers.

Each image is read the way ``handsign predict`` reads it (the hand found and
cropped, ``core.hands.reading``; ``--no-find-hand``: the centre square); the
class-activation map (``core.explain.cam``) of the top class, or ``--class``,
at ``--layer`` (default stage 4) is written as ``OUT/<stem>_heatmap.png``: the
crop at 256x256 beside the 64x64 model input upscaled to 256x256 with the map
over it.  With ``--json`` a list of ``{file, class, class_name, layer, heatmap,
deletion_drop, random_drop, probability, png}`` is printed (``heatmap``: the
map at the layer's resolution; the drops: ``core.explain.faithfulness``).  An
image with no hand gets a row with ``class`` null; an unreadable image is one
error line, and the exit code is then 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from core.errors import DataError, HandSignError

NAME = "explain"
SHOWN = 256  # pixels per side of each half of the PNG


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="class-activation heatmaps: where the network looks in each image")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--out", "-o", required=True, help="folder for the <stem>_heatmap.png files (created if needed)")
    p.add_argument("--class", dest="class_", metavar="K", help="the class to explain (index or name; default: the top class)")
    p.add_argument("--layer", help="where the map is taken: stage3 (8x8 at 64x64), stage4 (4x4, default), "
                   "or a block such as res4c")
    p.add_argument("--method", choices=["gradcam", "layercam"], default="gradcam", help="default: gradcam")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--model", "-m", help="a .keras model file (default: the model the app ships)")
    p.add_argument("--no-find-hand", dest="find_hand", action="store_false",
                   help="explain the centre square of each image instead of the square around the hand found in it")


def class_index(wanted: str | None, class_names: list[str]) -> int | None:
    """``--class`` as an index: a class name, or an index in range; None for the top class."""
    if wanted is None:
        return None
    if wanted in class_names:
        return class_names.index(wanted)
    try:
        k = int(wanted)
    except ValueError:
        k = -1
    if 0 <= k < len(class_names):
        return k
    raise HandSignError(f"class {wanted!r} does not exist: this model's classes are {', '.join(class_names)}")


def writable_folder(out: str) -> Path:
    folder = Path(out).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".handsign-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise HandSignError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    return folder


def picture(image: np.ndarray, region, model_input: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """The crop the model saw at ``SHOWN`` px beside the model input upscaled with the map over it (uint8 RGB)."""
    import cv2

    from core.explain.cam import overlay
    from core.images import prepare

    crop = prepare(image, (SHOWN, SHOWN), region=region)
    big = cv2.resize(model_input, (SHOWN, SHOWN), interpolation=cv2.INTER_NEAREST)
    return np.concatenate([crop, np.full((SHOWN, 8, 3), 255, np.uint8), overlay(big, heatmap)], axis=1)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    from PIL import Image

    try:
        Image.fromarray(rgb).save(path)
    except OSError as exc:
        raise HandSignError(f"cannot write {path}: {exc.strerror or exc}") from None


def explain_one(name: str, image, clf, engine, finder, wanted: int | None, folder: Path) -> dict:
    """One ``--json`` row for ``image`` (already read), writing its PNG into ``folder``."""
    from core.explain.faithfulness import faithfulness
    from core.hands.reading import read_frame

    reading = read_frame(clf, image, finder=finder, still=True)
    if reading.no_hand:
        return {"file": name, "class": None, "class_name": None, "layer": engine.label, "heatmap": None,
                "deletion_drop": None, "random_drop": None, "probability": None, "png": None}
    cam = engine.compute(reading.model_input, wanted)
    score = faithfulness(clf.probabilities, reading.model_input, cam.map, cam.class_index)
    png = folder / f"{Path(name).stem}_heatmap.png"
    _write_png(png, picture(image, reading.region, reading.model_input, cam.map))
    return {"file": name, "class": cam.class_index, "class_name": clf.class_names[cam.class_index],
            "layer": engine.label, "heatmap": np.round(cam.map, 4).tolist(), **score.as_dict(),
            "probability": round(score.probability, 6), "png": str(png)}


def _line(row: dict) -> str:
    if row["class"] is None:
        return f"{row['file']}: no hand"
    return (f"{row['file']}: class {row['class_name']} ({row['probability']:.1%}) at {row['layer']}; deletion drop "
            f"{row['deletion_drop']:.3f}, random drop {row['random_drop']:.3f} -> {row['png']}")


def run(args) -> int:
    from core.cli import EXIT_ERROR, _resolve_model
    from core.explain.cam import HeatmapEngine
    from core.images import read_image
    from core.inference.classifier import open_classifier

    folder = writable_folder(args.out)
    clf = open_classifier(_resolve_model(args.model), need_keras=True)
    wanted = class_index(args.class_, clf.class_names)
    engine = HeatmapEngine(clf.model, args.layer, method=args.method)
    finder = None
    if args.find_hand:
        from core.hands.finder import HandFinder

        finder = HandFinder()
    rows, failures = [], 0
    for name in args.images:
        try:
            row = explain_one(name, read_image(name), clf, engine, finder, wanted, folder)
        except DataError as exc:
            failures += 1
            print(f"handsign: error: {exc}", file=sys.stderr)
            continue
        rows.append(row)
        if not args.json:
            print(_line(row), flush=True)
    if args.json:
        print(json.dumps(rows))
    return EXIT_ERROR if failures else 0
