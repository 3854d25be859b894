"""Build the one-folder app with PyInstaller and report its time and size.

    .venv-build/bin/python packaging/build.py        (what ``make package`` runs)

Runs ``packaging/handsign_studio.spec`` (output in ``dist/HandSignStudio/``),
then prints the build time, the bundle size and what dominates it, and writes
the same to ``build/package-report.json``.  Run it with the build venv's
Python (``.venv-build``: runtime dependencies and PyInstaller only, from
``packaging/requirements-build.txt`` constrained by ``requirements.lock``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "HandSignStudio"


def tree_size(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def size_report(bundle: Path, top: int = 8) -> dict:
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    parts = {p.name: tree_size(p) for p in internal.iterdir()}
    files = sorted(((f.stat().st_size, str(f.relative_to(bundle))) for f in bundle.rglob("*")
                    if f.is_file() and not f.is_symlink()), reverse=True)
    return {
        "total_mb": round(tree_size(bundle) / 1e6, 1),
        "top_folders_mb": {k: round(v / 1e6, 1) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])[:top]},
        "largest_files_mb": {name: round(size / 1e6, 1) for size, name in files[:top]},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    args = p.parse_args(argv)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(args.dist), "--workpath", str(args.work), str(ROOT / "packaging" / "handsign_studio.spec")]
    print("packaging:", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    code = subprocess.call(cmd, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if code != 0:
        print(f"packaging: PyInstaller failed (exit {code}) after {seconds:.0f} s", file=sys.stderr)
        return code
    bundle = args.dist / APP
    report = {"build_seconds": round(seconds, 1), "bundle": str(bundle), "platform": sys.platform,
              "cpus": os.cpu_count(), **size_report(bundle)}
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "package-report.json").write_text(json.dumps(report, indent=2))
    print(f"packaging: built {bundle} in {seconds / 60:.1f} min; {report['total_mb']:.0f} MB")
    for name, mb in report["top_folders_mb"].items():
        print(f"  {mb:8.1f} MB  _internal/{name}")
    print("  largest files:")
    for name, mb in report["largest_files_mb"].items():
        print(f"  {mb:8.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
