"""Frames read right on a moving hand, for each way of following it between landmark placings.

The hand finder places the landmarks on some frames of a video and carries them on
on the frames between (``HandFinder.track_every``); between placings the square
the classifier sees either holds (``velocity_gain=0``, the app before
2026-12-04) or moves on at the hand's velocity (``core.hands.crop.SquareTracker``).
This measures what that costs in answers: Sign Language Digits people the shipped
model never trained on (``--people`` of the held-out fifth), each hand pasted
200 pixels square into a cluttered 640 x 480 room and moved right and back at
8, 16 and 24 pixels a frame (a quarter to three quarters of the frame in a
second at 30 frames a second), or held still, read by the app's own path (``read_frame`` with the
app's classifier engine).  Every variant reads the same frames, in one run.

    python -m bench.tracking [--people 30] [--model M] [--out bench/results/tracking.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench.common import RESULTS, cpu_model, data_dir
from bench.hands import moving_hand

# (name, track_every, velocity_gain, roi_follows): the app now, the app before, and the steps between.
VARIANTS = (
    ("every 3rd frame, square and landmark crop move on (the app)", 3, 0.3, True),
    ("every 2nd frame, square held (the app before 2026-12-04)", 2, 0.0, False),
    ("every 3rd frame, square moves on", 3, 0.3, False),
    ("every 2nd frame, square and landmark crop move on", 2, 0.3, True),
    ("every frame", 1, 0.3, True),
)
SPEEDS = (0, 8, 16, 24)  # pixels a frame; 0: the hand held still (41 copies of the middle frame)
TRAVEL = 320  # pixels from left to right


def read_rates(clf, hands: list[tuple[np.ndarray, int]], every: int, gain: float, roi: bool, speed: int) -> dict:
    """Share of frames with a hand found, and read as its class, over every hand's back-and-forth video."""
    from core.hands.finder import HandFinder
    from core.hands.reading import read_frame
    from tools.videos import room

    found = right = total = 0
    for k, (photo, label) in enumerate(hands):
        finder = HandFinder(track_every=every, velocity_gain=gain, roi_follows=roi)
        frames = moving_hand(photo, room(seed=k), n=TRAVEL // max(speed, 8) + 1, side=200)
        for frame in frames if speed else [frames[len(frames) // 4]] * len(frames):
            reading = read_frame(clf, frame, finder=finder)
            total += 1
            if reading.hand is not None:
                found += 1
                right += int(reading.prediction.top_index == label)
    return {"found": round(found / total, 4), "right": round(right / total, 4), "frames": total}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tracking", description=__doc__.splitlines()[0])
    p.add_argument("--people", type=int, default=30, help="held-out photos to move (drawn with seed 0)")
    p.add_argument("--model", default=None, help="the model to read with (default: the shipped one)")
    p.add_argument("--out", default=str(RESULTS / "tracking.md"))
    args = p.parse_args(argv)

    from core.images import read_image
    from core.inference.classifier import open_classifier
    from core.paths import shipped_model_path
    from tools.recipes import load_sld

    sld = data_dir().parent / "sign-language-digits"
    if not sld.is_dir():
        raise SystemExit(f"Sign Language Digits not found next to {data_dir()}")
    people = load_sld(sld).val
    pick = np.random.default_rng(0).choice(len(people.files), min(args.people, len(people.files)), replace=False)
    hands = [(read_image(people.files[i]), int(people.y[i])) for i in pick]
    clf = open_classifier(args.model or shipped_model_path())
    rows = []
    for name, every, gain, roi in VARIANTS:
        row = {"variant": name, "track_every": every, "velocity_gain": gain, "roi_follows": roi}
        for speed in SPEEDS:
            row[str(speed)] = read_rates(clf, hands, every, gain, roi, speed)
        row["mean_right"] = round(float(np.mean([row[str(s)]["right"] for s in SPEEDS])), 4)
        rows.append(row)
        print(f"{name}: " + ", ".join(f"{s} px {row[str(s)]['right']:.3f}" for s in SPEEDS), flush=True)
    text = _table(rows, len(hands), getattr(clf, "engine", "keras"), args)
    print(text)
    out = Path(args.out)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"cpu": cpu_model(), "people": len(hands), "rows": rows},
                                                   indent=1) + "\n")
    return 0


def _table(rows: list[dict], people: int, engine: str, args) -> str:
    lines = [f"# Frames read right on a moving hand ({people} held-out Sign Language Digits people)", "",
             f"CPU: {cpu_model()}; classifier engine: {engine}. Command: `python -m bench.tracking "
             f"--people {args.people}`", "",
             "| landmarks placed, and between placings | " + " | ".join(f"{s} px a frame" if s else "still"
                                                                       for s in SPEEDS)
             + " | mean |", "| --- |" + " --- |" * (len(SPEEDS) + 1)]
    for r in rows:
        cells = [f"{r[str(s)]['right']:.3f} (hand {r[str(s)]['found']:.3f})" for s in SPEEDS]
        lines.append(f"| {r['variant']} | " + " | ".join(cells) + f" | **{r['mean_right']:.3f}** |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
