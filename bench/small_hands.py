"""Small hands in still pictures: found, and read right, with and without the small search windows.

A still picture is searched in the usual windows and the whole photo first; with
no hand there, in the small windows (``core.hands.finder.fine_windows``), where a
new hand needs landmark presence ``fine_presence``.  This measures what the small
windows find and what they take for hands:

* held-out Sign Language Digits photos (the recipe's held-out fifth, seed 0) pasted
  40-60, 60-80 and 100-180 pixels square into 640 x 480 plain walls
  (``tools.rooms.PlainWalls``), and 150-300 into the kept-back background photos
  (busy rooms), found and framed by ``HandFraming`` and read by the shipped model:
  hands missed, and the share read right on 1, 2, 4 and 5 (a missed hand is wrong);
* every background photo resized to 640 x 480, plus a black and a grey frame: how
  many the finder takes for a hand, and the time per frame.

Every setting sees the same frames, in one run.

    python -m bench.small_hands --backgrounds B [--presence 0.9,0.95,0.97] [--out bench/results/small-hands.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from bench.common import RESULTS, cpu_model, data_dir, write_results

SIZES = (("plain wall", (40, 60)), ("plain wall", (60, 80)), ("plain wall", (100, 180)), ("busy rooms", (150, 300)))


def measure(fine_presence: float | None, people, clf, walls, rooms, negatives) -> dict:
    """One finder setting (``None``: no small windows) on every size and on the hand-free frames."""
    import core.hands.finder as finder_module
    from core.hands.framing import HandFraming
    from tools.recipes import ISSUE_SIGNS
    from tools.rooms import room_frames

    # room_frames builds its own HandFraming(): give every finder this setting for the run
    finder_module.HandFinder.__init__.__kwdefaults__["fine_presence"] = fine_presence
    keep = np.isin(people.y, ISSUE_SIGNS)
    row = {}
    for backdrop, sides in SIZES:
        frames, missed = room_frames(people, walls if backdrop == "plain wall" else rooms, sides=sides)
        right = np.argmax(clf.probabilities_in_batches(frames.x), axis=1) == frames.y
        row[f"{backdrop} {sides[0]}-{sides[1]}"] = {"missed": missed, "n": len(frames),
                                                    "right_1_2_4_5": round(float(np.mean(right[keep])), 3)}
    framing = HandFraming()
    t0 = time.perf_counter()
    taken = [name for name, frame in negatives if framing(frame) is not None]
    row["hand_free"] = {"taken_for_hands": taken, "n": len(negatives),
                        "ms_per_frame": round(1000 * (time.perf_counter() - t0) / len(negatives), 1)}
    return row


def inputs(backgrounds: str):
    """What both small-hand benches show the finder: the held-out Sign Language Digits split, the shipped
    model, the kept-back background photos (busy rooms), and the hand-free 640 x 480 frames (every background
    photo, a black and a grey frame) as ``(name, frame)``."""
    import cv2

    from core.data.scenes import SceneBank
    from core.inference.classifier import Classifier
    from core.paths import shipped_model_path
    from tools.recipes import load_sld

    sld = data_dir().parent / "sign-language-digits"
    if not sld.is_dir():
        raise SystemExit(f"Sign Language Digits not found next to {data_dir()}")
    every = SceneBank.from_folder(backgrounds, part="all")
    rooms = SceneBank.from_folder(backgrounds, part="eval")
    if every is None or rooms is None:
        raise SystemExit(f"{backgrounds}: no background photos")
    blank = [("black", np.zeros((480, 640, 3), np.uint8)), ("grey", np.full((480, 640, 3), 128, np.uint8))]
    negatives = [(n, cv2.resize(ph, (640, 480))) for n, ph in zip(every.names, every.photos, strict=True)] + blank
    return load_sld(sld).val, Classifier.load(shipped_model_path()), rooms, negatives


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.small_hands", description=__doc__.splitlines()[0])
    p.add_argument("--backgrounds", required=True, help="the background photos (make backgrounds)")
    p.add_argument("--presence", default="0.9,0.95,0.97", help="fine_presence values to compare")
    p.add_argument("--out", default=str(RESULTS / "small-hands.md"))
    args = p.parse_args(argv)

    import core.hands.finder as finder_module
    from tools.rooms import PlainWalls

    people, clf, rooms, negatives = inputs(args.backgrounds)
    settings = [None] + [float(v) for v in args.presence.split(",")]
    default = finder_module.FINE_PRESENCE
    rows = {}
    try:
        for fp in settings:
            rows[str(fp)] = measure(fp, people, clf, PlainWalls(), rooms, negatives)
            print(fp, json.dumps(rows[str(fp)]), flush=True)
    finally:
        finder_module.HandFinder.__init__.__kwdefaults__["fine_presence"] = default
    write_results(args.out, _table(rows, default, len(people.y)), rows)
    return 0


def _table(rows: dict, default: float, people: int) -> str:
    sizes = [f"{b} {s[0]}-{s[1]}" for b, s in SIZES]
    lines = [f"# Small hands in still pictures ({people} held-out Sign Language Digits photos)", "",
             f"CPU: {cpu_model()}. Command: `python -m bench.small_hands --backgrounds B`. Each size: hands missed, "
             "share of 1/2/4/5 read right (a missed hand counts wrong).", "",
             "| small windows | " + " | ".join(f"{s} px" for s in sizes) + " | hand-free frames taken for hands | "
             "ms per hand-free frame |", "| --- |" + " --- |" * (len(sizes) + 2)]
    for key, row in rows.items():
        name = "none (before 2026-12-04)" if key == "None" else f"presence {key}"
        if key == str(default):
            name = f"**{name} (the finder)**"
        cells = [f"{row[s]['missed']}, {row[s]['right_1_2_4_5']:.3f}" for s in sizes]
        free = row["hand_free"]
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {len(free['taken_for_hands'])} of {free['n']} | {free['ms_per_frame']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
