"""Smoke-test the built app: run the frozen executable headless and check what it did.

    python packaging/smoke_test.py [--app dist/HandSignStudio] [--data ../shared/datasets/signs/test_signs]

Three runs, each with ``QT_QPA_PLATFORM=offscreen`` and ``HANDSIGN_HOME`` in a
fresh temporary folder (so the log file and settings land there, not in the
user's folder):

1. **classify**: ``--smoke-test IMAGES --screenshot smoke.png`` on a few SIGNS
   test images per class, started with file descriptors 1 and 2 closed, the
   way a windowed Windows/macOS build starts (``sys.stdout`` is None).  It must
   exit 0, classify at least ``--min-correct`` of the images to their labelled
   class, write the PNG, and write ``logs/handsign-studio.log``.
2. **damaged model**: ``--model`` a file of garbage.  It must exit 3 (start-up
   failure), log the error and save the message box it showed.
3. **missing asset**: the bundled model is moved aside for the run.  Same
   checks as 2.

Prints a JSON summary (times: build-free launch to model ready, classify) and
exits non-zero on any failure.  Without the SIGNS test images the classify run
is skipped with a message (the failure runs still happen).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "HandSignStudio"
LOG = Path("logs") / "handsign-studio.log"


def default_app() -> Path:
    if sys.platform == "darwin" and (ROOT / "dist" / f"{APP}.app").exists():
        return ROOT / "dist" / f"{APP}.app" / "Contents" / "MacOS" / APP
    return ROOT / "dist" / APP / (f"{APP}.exe" if os.name == "nt" else APP)


def default_data() -> Path:
    base = os.environ.get("HANDSIGN_DATA") or str(ROOT.parent / "shared" / "datasets")
    return Path(base) / "signs" / "test_signs"


def pick_images(folder: Path, per_class: int, dest: Path) -> list[Path]:
    """The first ``per_class`` images of each label (file-name prefix), copied to ``dest``."""
    chosen: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and "_" in p.name:
            group = chosen.setdefault(p.name.split("_", 1)[0], [])
            if len(group) < per_class:
                group.append(p)
    dest.mkdir(parents=True)
    out = []
    for group in chosen.values():
        for p in group:
            shutil.copy2(p, dest / p.name)
            out.append(dest / p.name)
    return out


def smoke_result(log_text: str) -> dict | None:
    for line in reversed(log_text.splitlines()):
        if "SMOKE-RESULT " in line:
            return json.loads(line.split("SMOKE-RESULT ", 1)[1])
    return None


def run_app(exe: Path, args: list[str], home: Path, *, timeout: float, closed_stdio: bool = False):
    """Run the app; returns (exit code, seconds, stdout+stderr text, log text)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HANDSIGN_HOME=str(home))
    env.pop("HANDSIGN_VERBOSE", None)
    kwargs: dict = {}
    if closed_stdio and os.name == "posix":
        # What a windowed build gets on Windows/macOS: no fds 1 and 2, so sys.stdout/err are None.
        kwargs["preexec_fn"] = lambda: (os.close(1), os.close(2))
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
    else:
        kwargs["stdout"], kwargs["stderr"] = subprocess.PIPE, subprocess.STDOUT
    t0 = time.time()
    proc = subprocess.Popen([str(exe), *args], env=env, stdin=subprocess.DEVNULL, **kwargs)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        code = -9
    else:
        code = proc.returncode
    log_file = home / LOG
    log_text = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
    return code, t0, time.time() - t0, (out or b"").decode(errors="replace"), log_text


class Checks:
    def __init__(self):
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", type=Path, default=None, help="the built executable or its folder (default: dist/)")
    p.add_argument("--data", type=Path, default=None, help="SIGNS test_signs folder")
    p.add_argument("--per-class", type=int, default=2)
    p.add_argument("--min-correct", type=float, default=0.8, help="fraction of images that must match their label")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out", type=Path, default=ROOT / "build" / "smoke", help="screenshots and the JSON summary")
    args = p.parse_args(argv)

    exe = args.app or default_app()
    if exe.is_dir():
        exe = exe / (f"{APP}.exe" if os.name == "nt" else APP)
    if not exe.is_file():
        print(f"smoke_test: no built app at {exe}; run `make package` first", file=sys.stderr)
        return 2
    internal = exe.parent / "_internal"
    if not internal.is_dir():  # macOS .app: Contents/MacOS/HandSignStudio, data in Contents/Resources or Frameworks
        internal = exe.parent.parent / "Resources"
    bundled_model = internal / "assets" / "models" / "handsign_resnet50.keras"
    args.out.mkdir(parents=True, exist_ok=True)
    c = Checks()
    summary: dict = {"app": str(exe)}
    work = Path(tempfile.mkdtemp(prefix="handsign-smoke-"))
    try:
        # 1. classify -------------------------------------------------------------------
        data = args.data or default_data()
        if not data.is_dir():
            print(f"smoke_test: SKIPPED the classify run: no SIGNS test images at {data} "
                  "(set HANDSIGN_DATA or --data)", flush=True)
            summary["classify"] = "skipped"
        else:
            images = pick_images(data, args.per_class, work / "images")
            shot = args.out / "smoke.png"
            shot.unlink(missing_ok=True)
            home = work / "home-classify"
            print(f"smoke_test: classify {len(images)} images with {exe} (stdout/stderr closed)", flush=True)
            code, t_launch, secs, out, log_text = run_app(
                exe, ["--smoke-test", str(work / "images"), "--screenshot", str(shot)], home,
                timeout=args.timeout, closed_stdio=True)
            res = smoke_result(log_text) or {}
            c.check(code == 0, f"exit code 0 (got {code}, {secs:.1f} s)")
            c.check((home / LOG).is_file(), f"log file written in the user data folder ({home / LOG})")
            c.check("redirected to" in log_text or os.name != "posix",
                    "missing stdout/stderr were noticed and redirected (logged)")
            c.check(bool(res), "SMOKE-RESULT line in the log")
            n = len(res.get("results", []))
            correct = res.get("correct", 0)
            c.check(n == len(images), f"classified {n} of {len(images)} images")
            c.check(n > 0 and correct >= args.min_correct * len(images),
                    f"{correct} of {len(images)} classified to their labelled class (need {args.min_correct:.0%})")
            for r in res.get("results", []):
                if not r.get("correct"):
                    print(f"       {r['file']}: got {r.get('top_class')} ({r.get('confidence')}), "
                          f"expected {r['expected']}{' ' + r['error'] if 'error' in r else ''}")
            c.check(shot.is_file() and shot.stat().st_size > 10_000, f"window rendered to {shot}")
            c.check(res.get("engine") == "litert",
                    "a fresh user folder classifies on LiteRT, without TensorFlow, from the conversion bundled "
                    f"beside the model (engine: {res.get('engine')})")
            ready = res.get("model_ready_unix")
            summary["classify"] = {
                "exit_code": code, "seconds": round(secs, 1), "images": len(images), "correct": correct,
                "launch_to_model_ready_s": round(ready - t_launch, 1) if ready else None,
                "model_ready_after_python_start_s": res.get("model_ready_s"),
                "classify_s": res.get("classify_s"), "engine": res.get("engine"), "screenshot": str(shot),
            }
            if code != 0 or not res:
                print("---- log ----\n" + log_text[-6000:], flush=True)
                console = home / "logs" / "console.log"
                if console.exists():
                    print("---- console.log ----\n" + console.read_text(errors="replace")[-4000:], flush=True)

        # 2. damaged model ----------------------------------------------------------------
        damaged = work / "damaged.keras"
        damaged.write_bytes(b"PK\x03\x04 this is not a Keras model" * 100)
        home = work / "home-damaged"
        shot = args.out / "damaged-model.png"
        shot.unlink(missing_ok=True)
        print("smoke_test: damaged model", flush=True)
        code, _, secs, out, log_text = run_app(exe, ["--model", str(damaged), "--smoke-test", "--screenshot", str(shot)],
                                               home, timeout=args.timeout)
        c.check(code == 3, f"exit code 3, start-up failure (got {code}, {secs:.1f} s)")
        c.check("start-up failed" in log_text and "damaged.keras" in log_text, "the error is in the log file")
        c.check(shot.is_file(), f"the message box was shown (saved to {shot})")
        summary["damaged_model"] = {"exit_code": code, "seconds": round(secs, 1)}
        if code != 3:
            print("---- output ----\n" + out[-3000:] + "\n---- log ----\n" + log_text[-3000:], flush=True)

        # 3. missing asset ----------------------------------------------------------------
        print("smoke_test: missing shipped model", flush=True)
        if not bundled_model.is_file():
            c.check(False, f"the bundle holds the shipped model ({bundled_model})")
        else:
            aside = bundled_model.with_name(bundled_model.name + ".aside")
            bundled_model.rename(aside)
            try:
                home = work / "home-missing"
                shot = args.out / "missing-model.png"
                shot.unlink(missing_ok=True)
                code, _, secs, out, log_text = run_app(exe, ["--smoke-test", "--screenshot", str(shot)], home,
                                                       timeout=args.timeout)
            finally:
                aside.rename(bundled_model)
            c.check(code == 3, f"exit code 3, start-up failure (got {code}, {secs:.1f} s)")
            c.check("shipped model is missing" in log_text, "the error is in the log file")
            c.check(shot.is_file(), f"the message box was shown (saved to {shot})")
            summary["missing_model"] = {"exit_code": code, "seconds": round(secs, 1)}
            if code != 3:
                print("---- output ----\n" + out[-3000:] + "\n---- log ----\n" + log_text[-3000:], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary["failures"] = c.failures
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    if c.failures:
        print(f"smoke_test: FAILED ({len(c.failures)} checks)", file=sys.stderr)
        return 1
    print("smoke_test: passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
