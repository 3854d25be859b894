"""Far hands on video: found, how soon, and read right, with and without the small windows in the search.

While no hand is followed, a video searches one window a frame: the whole frame
every other frame and, between, the usual windows in turn; since 2026-12-04
once a round of those has found nothing, every other of those turns goes to
one of the 24 small windows (0.4 of the short side,
``core.hands.finder.VIDEO_FINE_TILES``), where a new hand needs the full
landmark model's presence 0.97.  This plays still 640 x 480 frames as
videos of ``--frames`` frames, through ``HandFinder.find`` as the live view does:

* held-out Sign Language Digits photos (the recipe's held-out fifth, seed 0)
  pasted 40-60 pixels square into plain walls (``tools.rooms.PlainWalls``) and
  60-100 into the kept-back background photos (busy rooms): found at all, the
  median frame it was found on, and the share of 1, 2, 4 and 5 the shipped model
  reads right in the square of that frame (a hand never found counts wrong);
* every background photo resized to 640 x 480, plus a black and a grey frame:
  videos in which a hand was shown at some frame, and the time per frame.

    python -m bench.video_small_hands --backgrounds B [--frames 120] [--out bench/results/video-small-hands.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from bench.common import RESULTS, cpu_model, median, write_results

SETS = (("plain wall", (40, 60)), ("busy rooms", (60, 100)))
VARIANTS = {"usual windows only (before)": (), "after a round of them, small windows every fourth frame (the finder)": None}


def _finder(tiles):
    from core.hands.finder import HandFinder

    return HandFinder() if tiles is None else HandFinder(video_fine_tiles=tiles)


def hands(tiles, frames, labels, clf, n_frames: int) -> dict:
    from core.images import crop_resize
    from tools.recipes import ISSUE_SIGNS

    found_at, right = [], []
    for frame, label in zip(frames, labels, strict=True):
        finder, hand = _finder(tiles), None
        for at in range(n_frames):
            hand = finder.find(frame)
            if hand is not None:
                found_at.append(at)
                break
        if int(label) in ISSUE_SIGNS:
            guess = None if hand is None else int(np.argmax(clf.probabilities_in_batches(
                crop_resize(frame, (64, 64), hand.region)[None])[0]))
            right.append(guess == int(label))
    return {"n": len(frames), "found": len(found_at), "median_frame": median(found_at) if found_at else None,
            "last_frame": max(found_at) if found_at else None, "right_1_2_4_5": round(float(np.mean(right)), 3)}


def hand_free(tiles, negatives, n_frames: int) -> dict:
    taken, calls, t0 = [], 0, time.perf_counter()
    for name, frame in negatives:
        finder = _finder(tiles)
        shown = sum(finder.find(frame) is not None for _ in range(n_frames))
        calls += n_frames
        if shown:
            taken.append((name, shown))
    return {"n": len(negatives), "videos_with_a_hand": taken, "ms_per_frame": round(1000 * (time.perf_counter() - t0)
                                                                                   / calls, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.video_small_hands", description=__doc__.splitlines()[0])
    p.add_argument("--backgrounds", required=True, help="the background photos (make backgrounds)")
    p.add_argument("--frames", type=int, default=120, help="frames each still is played for")
    p.add_argument("--out", default=str(RESULTS / "video-small-hands.md"))
    args = p.parse_args(argv)

    from bench.small_hands import inputs
    from tools.rooms import PlainWalls, pasted_frames

    people, clf, rooms, negatives = inputs(args.backgrounds)
    sets = {f"{b} {s[0]}-{s[1]}": list(pasted_frames(people, PlainWalls() if b == "plain wall" else rooms, sides=s))
            for b, s in SETS}
    rows = {}
    for name, tiles in VARIANTS.items():
        row = {s: hands(tiles, frames, people.y, clf, args.frames) for s, frames in sets.items()}
        row["hand_free"] = hand_free(tiles, negatives, args.frames)
        rows[name] = row
        print(name, json.dumps(row), flush=True)
    write_results(args.out, _table(rows, args.frames, len(people.y)), rows)
    return 0


def _table(rows: dict, n_frames: int, people: int) -> str:
    sets = [f"{b} {s[0]}-{s[1]}" for b, s in SETS]
    lines = [f"# Far hands on video ({people} held-out Sign Language Digits photos, each still played "
             f"{n_frames} frames)", "",
             f"CPU: {cpu_model()}. Command: `python -m bench.video_small_hands --backgrounds B --frames {n_frames}`. "
             "Each set: hands found, median (last) frame found on, share of 1/2/4/5 read right in that frame's "
             "square (never found counts wrong).", "",
             "| video search | " + " | ".join(f"{s} px" for s in sets) + " | hand-free videos showing a hand | "
             "ms per hand-free frame |", "| --- |" + " --- |" * (len(sets) + 2)]
    for name, row in rows.items():
        cells = []
        for s in sets:
            r = row[s]
            when = "-" if r["median_frame"] is None else f"{r['median_frame']:.0f} ({r['last_frame']})"
            cells.append(f"{r['found']} of {r['n']}, frame {when}, {r['right_1_2_4_5']:.3f}")
        free = row["hand_free"]
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {len(free['videos_with_a_hand'])} of {free['n']} | {free['ms_per_frame']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
