"""Run the benchmarks, print one table and write it to ``bench/results/latest.md`` (+ ``.json``).

    python -m bench.run            # everything but the long ones (about 15 minutes)
    python -m bench.run --quick    # one short round of each (about 6 minutes)
    python -m bench.run --only train,infer --levers --tta --exe dist/HandSignStudio/HandSignStudio

Sections: ``matmul`` (the machine's float32 GFLOP/s), ``train`` (ours vs the
keras.applications baseline, and ours as before issue #5, alternating in fresh
processes), ``infer`` (per-frame latency vs ``model.predict``, CPU share at 30
fps), ``live`` (pipeline fps with and without a training), ``startup``
(window shown / model ready), ``predict`` (``handsign predict`` on one image,
warm and cold cache, vs a bare ``import tensorflow``), ``hands`` (hand finding
plus classification per frame vs classification alone, full vs lite landmark
model, their detection rates on still photos).  ``--levers`` adds the in-process lever table
(bench/levers.py) and ``--tta`` the time to 0.95 test accuracy (bench/tta.py),
both several minutes.  The machine is shared: compare the ratios, which come
from measurements taken alternately in the same run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time

from bench.common import RESULTS, machine, median, run_worker

TRAIN_GFLOP_PER_IMAGE = 1.89  # forward + backward, 64x64, ResNet-50 (forward 0.63)
SECTIONS = ("matmul", "train", "infer", "live", "startup", "predict", "hands")


def run_train(rounds: int, steps: int) -> dict:
    variants = {
        "baseline": ["--variant", "baseline"],
        "ours": ["--variant", "ours"],
        # Before #5: float32, Keras BatchNorm and Adam, fit on a generator of augmented batches.
        "ours_before": ["--variant", "proto", "--precision", "float32", "--fused-batchnorm", "0", "--fused-optimizer", "0"],
        # The #5 levers, but fit on a generator (TrainingSession's loop until 2026-11-26).
        "ours_fit": ["--variant", "proto", "--precision", "auto", "--fused-batchnorm", "1", "--fused-optimizer", "1"],
    }
    rows: dict[str, list[dict]] = {k: [] for k in variants}
    for r in range(rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in order:
            rows[name].append(run_worker("bench.train", [*variants[name], "--steps", str(steps), "--warmup", "4"]))
            print(f"  train round {r + 1}/{rounds} {name}: {rows[name][-1]['images_per_second']} img/s", flush=True)
    ips = {k: [x["images_per_second"] for x in v] for k, v in rows.items()}
    # Ratios per round (each round's runs are adjacent in time), then the median.
    ratio = median([o / b for o, b in zip(ips["ours"], ips["baseline"], strict=True)])
    ratio_before = median([o / b for o, b in zip(ips["ours"], ips["ours_before"], strict=True)])
    before_vs_base = median([o / b for o, b in zip(ips["ours_before"], ips["baseline"], strict=True)])
    return {
        "images_per_second": {k: median(v) for k, v in ips.items()},
        "all": ips,
        "cpu_share": {k: median([x["cpu_share"] for x in v]) for k, v in rows.items()},
        "ours_over_baseline": round(ratio, 2),
        "before_over_baseline": round(before_vs_base, 2),
        "ours_over_before": round(ratio_before, 2),
        "ours_over_fit_loop": round(median([o / b for o, b in zip(ips["ours"], ips["ours_fit"], strict=True)]), 2),
    }


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}{unit}" if abs(v) < 100 else f"{v:.0f}{unit}"
    return f"{v}{unit}"


def table(res: dict) -> str:
    lines = ["| measure | ours (after) | ours before #5 | baseline | ratio |", "|---|---|---|---|---|"]

    def row(*cells):
        lines.append("| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in cells) + " |")

    mm = res.get("matmul")
    if mm:
        row("float32 matmul GFLOP/s (machine)", fmt(mm["float32_gflops"]), "", "", f"bf16 {fmt(mm['bfloat16_gflops'])}")
    tr = res.get("train")
    if tr:
        ips = tr["images_per_second"]
        row("training img/s (batch 32, 64x64, 6 classes)", fmt(ips["ours"]), fmt(ips["ours_before"]), fmt(ips["baseline"]),
            f"ours/baseline **{tr['ours_over_baseline']}x** (before {tr['before_over_baseline']}x); after/before {tr['ours_over_before']}x")
        if mm:
            g = mm["float32_gflops"]
            row("training GFLOP/s as fraction of fp32 matmul", fmt(ips["ours"] * TRAIN_GFLOP_PER_IMAGE / g),
                fmt(ips["ours_before"] * TRAIN_GFLOP_PER_IMAGE / g), fmt(ips["baseline"] * TRAIN_GFLOP_PER_IMAGE / g), "")
        row("training img/s, the #5 levers fed through fit on a generator (the loop before 2026-11-26)", "",
            "", "", f"ours {fmt(ips['ours'])} vs fit {fmt(ips['ours_fit'])}: **{tr['ours_over_fit_loop']}x**")
        row("training CPU share (of the machine)", fmt(tr["cpu_share"]["ours"]), fmt(tr["cpu_share"]["ours_before"]),
            fmt(tr["cpu_share"]["baseline"]), "")
    inf = res.get("infer")
    if inf:
        row("per-frame p50 ms (640x480 frame -> probabilities)", fmt(inf["ours"]["p50_ms"]), fmt(inf["before"]["p50_ms"]),
            f"predict {fmt(inf['predict']['p50_ms'])}",
            f"predict/ours {inf['p50_ratio_predict_over_ours']}x; before/ours {inf['p50_ratio_before_over_ours']}x")
        row("per-frame p95 ms", fmt(inf["ours"]["p95_ms"]), fmt(inf["before"]["p95_ms"]), f"predict {fmt(inf['predict']['p95_ms'])}", "")
        row("forward pass alone p50 ms", fmt(inf["ours_forward"]["p50_ms"]), fmt(inf["before_forward"]["p50_ms"]), "", "")
        if "tensorflow" in inf:
            row(f"per-frame p50 / p95 ms: ours ({inf['engine']}) vs TensorFlow constant-weight graph",
                f"{fmt(inf['ours']['p50_ms'])} / {fmt(inf['ours']['p95_ms'])}", "",
                f"TensorFlow {fmt(inf['tensorflow']['p50_ms'])} / {fmt(inf['tensorflow']['p95_ms'])}",
                f"TensorFlow/ours {inf['p50_ratio_tensorflow_over_ours']}x; max probability difference "
                f"{inf['max_probability_difference_tensorflow']:.1e}")
            row("model load + warm-up s: cached / first (converts) / TensorFlow path",
                f"{fmt(inf['load_and_warm_up_s'])} / {fmt(inf['load_and_convert_s'])}", "",
                f"TensorFlow {fmt(inf['load_tensorflow_s'])}", "")
        row("CPU share at 30 fps (of one core / of machine)",
            f"{fmt(inf['paced_30fps']['cpu_share_of_one_core'])} / {fmt(inf['paced_30fps']['cpu_share_of_machine'])}",
            f"{fmt(inf['paced_30fps_before']['cpu_share_of_one_core'])} / {fmt(inf['paced_30fps_before']['cpu_share_of_machine'])}", "", "")
    live = res.get("live")
    if live:
        a, b = live["after"], live.get("before") or {}
        for key, label in (("idle_1", "live fps, no training"), ("training", "live fps, training running"),
                           ("idle_2", "live fps, no training (again)")):
            row(label, fmt(a[key]["fps"]), fmt(b.get(key, {}).get("fps")), "", "")
        row("training img/s while live view runs", fmt(a["training"].get("training_images_per_second")),
            fmt(b.get("training", {}).get("training_images_per_second")), "", "")
    st = res.get("startup")
    if st:
        src = st["source"]
        row("start-up: window shown s (source tree)", fmt(src["window_shown_s"]), "", "", "target <= 1.5 s")
        row("start-up: model ready s (source tree; later launches / first launch, which converts)",
            f"{fmt(src['model_ready_s'])} / {fmt(src.get('model_ready_first_launch_s'))}", "", "", "")
        pk = st["packaged"]
        if pk.get("status") == "not built":
            row("start-up: packaged app", "not built", "", "", "")
        else:
            row("start-up: packaged window shown / model ready s", f"{fmt(pk['window_shown_s'])} / {fmt(pk['model_ready_s'])}", "", "", "")
    pr = res.get("predict")
    if pr:
        w, m = pr["wall_s"], pr["peak_rss_mb"]
        row("handsign predict, one image, warm cache: wall s / peak RSS MB (before: the full Keras path)", f"{fmt(w['predict'])} / {fmt(m['predict'])}",
            f"{fmt(w['predict_full'])} / {fmt(m['predict_full'])}",
            f"import tensorflow {fmt(w['import_tensorflow'])} / {fmt(m['import_tensorflow'])}",
            f"predict/import tensorflow **{pr['predict_over_import_tensorflow']}x** (target < 0.6, <= 400 MB)")
        row("handsign predict, empty cache (converts): wall s / peak RSS MB",
            f"{fmt(pr['cold']['wall_s'])} / {fmt(pr['cold']['peak_rss_mb'])}", "", "", "")
    hands_rows(res.get("hands"), row)
    tta = res.get("tta")
    if tta:
        row("time to 0.95 SIGNS test accuracy, quick preset (s)", fmt(tta["after"]["seconds_to_target"]),
            fmt(tta.get("before", {}).get("seconds_to_target")), "", "")
        row("final test accuracy, quick preset", fmt(tta["after"]["final_test_accuracy"]),
            fmt(tta.get("before", {}).get("final_test_accuracy")), "", "")
    lev = res.get("levers")
    if lev:
        lines += ["", "Levers (one process, round-robin; img/s and relative to the first):", "",
                  "| variant | img/s | CPU s / image | vs apps_f32 |", "|---|---|---|---|"]
        for k, v in lev["levers"].items():
            lines.append(f"| {k} | {v['images_per_second']} | {v['cpu_seconds_per_image']} | {v['vs_first']}x |")
    return "\n".join(lines)


def hands_rows(hd: dict | None, row) -> None:
    """bench.hands: per-frame cost of hand finding against classification alone, and detection rates."""
    if not hd:
        return
    pf, det = hd["per_frame"], hd["detection"]
    base = pf["classify"]
    row(f"hands: CPU \"{hd['cpu_model']}\", load average {hd['loadavg_1m']}", "", "", "", "")
    for key, label in (("track_lite", "hand finding (tracking, lite landmarks every third frame, the square moving "
                                      "on between: the app) + classification"),
                       ("track_lite_2", "hand finding (tracking, lite landmarks every other frame, the square held: "
                                        "the app before 2026-12-04) + classification"),
                       ("track_full", "hand finding (tracking, full landmarks every third frame) + classification"),
                       ("track_full_every", "hand finding (tracking, full landmarks every frame) + classification"),
                       ("track_lite_every", "hand finding (tracking, lite landmarks every frame) + classification"),
                       ("no_hand_full", "no-hand frame (palm detector, one window a frame), full landmarks"),
                       ("no_hand_lite", "no-hand frame (palm detector, one window a frame), lite landmarks"),
                       ("still_full", "still photo: detect + refine (full) + classification (predict, evaluate)"),
                       ("still_no_hand", "still photo without a hand: every window, the small ones too"),
                       ("still_no_hand_coarse", "still photo without a hand: without the small windows (before "
                                                "2026-12-04)")):
        v = pf.get(key)
        if v is None:  # a result file from before the row existed
            continue
        found = f"; hand in {v['hand_rate']:.0%}, tracked {v['tracked_rate']:.0%}" if key.startswith("track") else ""
        row(f"per 640x480 frame p50 / mean ms: {label}", f"{fmt(v['p50_ms'])} / {fmt(v['mean_ms'])}", "",
            f"classification alone {fmt(base['p50_ms'])} / {fmt(base['mean_ms'])}",
            f"p50 **{v['p50_over_classify']}x**, mean {v['mean_over_classify']}x{found}")
    for name, label in (("sld", "Sign Language Digits photos"), ("signs_test", "SIGNS test photos")):
        full, lite = det[f"full/{name}"], det[f"lite/{name}"]
        row(f"hand found in still {label} (full / lite landmarks); p50 ms a photo",
            f"full {full['found']}/{full['n']} ({full['rate']:.1%}), {fmt(full['p50_ms'])} ms", "",
            f"lite {lite['found']}/{lite['n']} ({lite['rate']:.1%}), {fmt(lite['p50_ms'])} ms", "")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default=",".join(SECTIONS))
    p.add_argument("--levers", action="store_true")
    p.add_argument("--tta", action="store_true")
    p.add_argument("--exe", default=None)
    p.add_argument("--out", default=str(RESULTS / "latest.md"))
    args = p.parse_args(argv)
    only = set(args.only.split(","))
    started = time.time()
    res: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick}
    mm = []
    if "matmul" in only:
        mm.append(run_worker("bench.matmul", []))
    if "train" in only:
        print("training throughput ...", flush=True)
        res["train"] = run_train(1 if args.quick else 3, 8 if args.quick else 16)
    if "infer" in only:
        print("per-frame inference ...", flush=True)
        res["infer"] = run_worker("bench.infer", ["--rounds", "4" if args.quick else "10",
                                                  "--paced-seconds", "3" if args.quick else "5"])
    if "live" in only:
        print("live pipeline ...", flush=True)
        secs = "4" if args.quick else "8"
        res["live"] = {"after": run_worker("bench.live", ["--seconds", secs])}
        res["live"]["before"] = run_worker("bench.live", ["--seconds", secs, "--before"])
    if "startup" in only:
        print("start-up ...", flush=True)
        res["startup"] = run_worker("bench.startup", ["--runs", "2" if args.quick else "3"]
                                    + (["--exe", args.exe] if args.exe else []))
    if "predict" in only:
        print("handsign predict ...", flush=True)
        res["predict"] = run_worker("bench.predict", ["--rounds", "3" if args.quick else "5"])
    if "hands" in only:
        print("hand finding ...", flush=True)
        res["hands"] = run_worker("bench.hands", ["--rounds", "3" if args.quick else "6"])
    if args.levers:
        print("levers ...", flush=True)
        res["levers"] = run_worker("bench.levers", ["--rounds", "3" if args.quick else "5"], timeout=1800)
    if args.tta:
        print("time to accuracy ...", flush=True)
        res["tta"] = {v: run_worker("bench.tta", ["--variant", v], timeout=3600) for v in ("after", "before")}
    if "matmul" in only:
        mm.append(run_worker("bench.matmul", []))
        res["matmul"] = {k: median([m[k] for m in mm]) for k in mm[0]}
    res["seconds"] = round(time.time() - started)
    command = " ".join(["python -m bench.run", *(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))])
    res["command"] = command
    text = table(res)
    m = res["machine"]
    head = (f"# Benchmark results ({res['started']}, {'quick' if args.quick else 'full'} run, {res['seconds']} s)\n\n"
            f"Machine: {m['cpus']} CPUs, avx512_bf16={m['avx512_bf16']}, load average at start {m['loadavg_1m']} "
            f"(shared machine: compare ratios).  Command: `{command}`\n\n")
    print(text)
    out = __import__("pathlib").Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + text + "\n")
    out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"\nwrote {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
