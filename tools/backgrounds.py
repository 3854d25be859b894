"""Rebuild the folder of hand-free background photographs (compositing and hard negatives).

A maintainer tool, not shipped.  Sources are listed in ``tools/backgrounds_sources.json``:

* ``debian``: ``apt-get download PACKAGE=VERSION`` from the named suite (a private apt list on the
  archive the system's apt already uses, so any Debian suite works without touching the system's
  sources; ``[trusted=yes]`` because the pinned sha256 is what is checked), unpacked with ``dpkg-deb``.
* ``pypi``: ``pip download --no-deps`` of the pinned wheel (platform pinned too), sha256-checked.
* ``github``: cannot be downloaded by a script here.  Bring the repository snapshot onto the machine by
  hand (a bare git dir) and pass ``--from-mirror DIR``; DIR holds ``OWNER+NAME/repo`` (or
  ``OWNER+NAME``) bare repositories, read at the pinned commit with ``git show``.  Without it those
  sources are skipped and said so.

Each image is converted to RGB JPEG with the long side at most 1024 px (short side at least 200 px),
written to ``OUT/<source>/<name>.jpg``, and dropped again when the app's hand finder sees a hand in
the whole photo or in one of five large crops.  Members listed under ``exclude`` in the manifest were
dropped on review by eye (hands the finder missed, non-photographs).  ``OUT/index.json`` lists every kept file with its
source, kind and licence, and every dropped one.

    python -m tools.backgrounds [--out DIR] [--from-mirror DIR] [--only NAME ...] [--contact-sheet PNG]
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MANIFEST = Path(__file__).with_name("backgrounds_sources.json")
MAX_SIDE = 1024
MIN_SIDE = 200
WHEEL_PLATFORM = ("--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp")


def debian_mirror() -> str:
    """The Debian archive this machine's apt already uses (first non-security URI in its sources)."""
    uris: list[str] = []
    etc = Path("/etc/apt")
    for f in sorted(etc.glob("sources.list.d/*.sources")):
        uris += [u for line in f.read_text().splitlines() if line.startswith("URIs:") for u in line.split()[1:]]
    for f in [etc / "sources.list", *sorted(etc.glob("sources.list.d/*.list"))]:
        if f.exists():
            uris += [line.split()[-3] for line in f.read_text().splitlines()
                     if line.startswith("deb ") and len(line.split()) >= 4]
    for uri in uris:
        if "security" not in uri:
            return uri.rstrip("/")
    raise SystemExit("no Debian archive in /etc/apt sources")


def default_out() -> Path:
    from core.paths import user_dir

    return user_dir() / "backgrounds"


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["sources"]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check(path: Path, src: dict) -> Path:
    want = src.get("sha256")
    if want and sha256(path) != want:
        raise SystemExit(f"{src['name']}: {path.name} sha256 {sha256(path)} != pinned {want}")
    return path


# -- fetching -------------------------------------------------------------------------------------

def fetch_debian(src: dict, work: Path) -> Path:
    """``apt-get download`` the pinned .deb from its suite through a private apt state in ``work``."""
    apt = work / "apt" / src["suite"]  # one apt state per suite: an update drops other suites' lists
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    sources = apt / "sources.list"
    sources.write_text(f"deb [trusted=yes] {debian_mirror()} {src['suite']} main\n")
    opts = ["-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={apt / 'lists'}", "-o", f"Dir::Cache={apt / 'cache'}",
            "-o", "APT::Sandbox::User=root"]
    stamp = apt / "updated"
    if not stamp.exists():
        subprocess.run(["apt-get", *opts, "update"], check=True, stdout=subprocess.DEVNULL)
        stamp.touch()
    dest = work / "archives"
    dest.mkdir(exist_ok=True)
    subprocess.run(["apt-get", *opts, "download", f"{src['package']}={src['version']}"],
                   check=True, cwd=dest, stdout=subprocess.DEVNULL)
    return _check(dest / src["archive"], src)


def fetch_pypi(src: dict, work: Path) -> Path:
    dest = work / "archives"
    dest.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                    *WHEEL_PLATFORM, "-d", str(dest), f"{src['package']}=={src['version']}"],
                   check=True, stdout=subprocess.DEVNULL)
    return _check(dest / src["archive"], src)


def _git_dir(mirror: Path, repo: str) -> Path | None:
    base = mirror / repo.replace("/", "+")
    for cand in (base / "repo", base):
        if (cand / "HEAD").exists() or (cand / ".git").exists():
            return cand
    return None


# -- reading members ------------------------------------------------------------------------------

def _selected(names: list[str], src: dict) -> list[str]:
    prefix = src.get("prefix", "")
    members = src["members"]
    if isinstance(members, str):
        members = sorted(n[len(prefix):] for n in names
                         if n.startswith(prefix) and fnmatch.fnmatch(n[len(prefix):], members))
    excluded = src.get("exclude", {})  # dropped on review by eye: hands the finder missed, non-photos
    return [prefix + m for m in members if m not in excluded]


def read_members(src: dict, work: Path, mirror: Path | None) -> tuple[dict[str, bytes], bytes | None]:
    """``{member path: file bytes}`` for one source, and its licence text when the manifest names one."""
    kind = src["type"]
    lic_path = src.get("copyright_file")
    if kind == "debian":
        deb = fetch_debian(src, work)
        root = work / "x" / src["name"]
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
        files = {m: (root / m).read_bytes() for m in _selected(names, src)}
        lic = (root / lic_path).read_bytes() if lic_path else None
        return files, lic
    if kind == "pypi":
        with zipfile.ZipFile(fetch_pypi(src, work)) as z:
            files = {m: z.read(m) for m in _selected(z.namelist(), src)}
            lic = z.read(lic_path) if lic_path else None
        return files, lic
    if kind == "github":
        git = _git_dir(mirror, src["repo"]) if mirror else None
        if git is None:
            raise FileNotFoundError(f"{src['repo']} not under --from-mirror (bring the snapshot by hand)")

        def show(path: str) -> bytes:
            return subprocess.run(["git", "--git-dir", str(git), "show", f"{src['commit']}:{path}"],
                                  check=True, capture_output=True).stdout

        names = subprocess.run(["git", "--git-dir", str(git), "ls-tree", "-r", "-z", "--name-only", src["commit"]],
                               check=True, capture_output=True, text=True).stdout.split("\0")  # names may hold spaces
        files = {m: show(m) for m in _selected(names, src)}
        return files, show(lic_path) if lic_path else None
    raise ValueError(f"unknown source type {kind!r}")


# -- converting and filtering ---------------------------------------------------------------------

def to_rgb(data: bytes):
    """Decoded RGB PIL image, downscaled so the long side is at most MAX_SIDE; None when too small."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (MAX_SIDE, MAX_SIDE))
    im = im.convert("RGB")
    if min(im.size) < MIN_SIDE:
        return None
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    return im


def crops(rgb: np.ndarray) -> list[np.ndarray]:
    """The whole image, then four 2/3 corner crops and a centre crop."""
    h, w = rgb.shape[:2]
    ch, cw = (2 * h) // 3, (2 * w) // 3
    out = [rgb]
    for y, x in ((0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw), ((h - ch) // 2, (w - cw) // 2)):
        out.append(np.ascontiguousarray(rgb[y:y + ch, x:x + cw]))
    return out


def has_hand(finder, rgb: np.ndarray) -> bool:
    for part in crops(rgb):
        finder.reset()
        if finder.find_in_image(part) is not None:
            return True
    return False


def out_name(member: str, src: dict) -> str:
    rel = member[len(src.get("prefix", "")):]
    stem = rel.split("/contents/")[0] if "/contents/" in rel else rel.rsplit(".", 1)[0]
    return stem.replace("/", "_") + ".jpg"


def build(sources: list[dict], out: Path, mirror: Path | None, work: Path, *, hand_filter: bool = True) -> dict:
    finder = None
    if hand_filter:
        from core.hands.finder import HandFinder

        finder = HandFinder()
    index: dict = {"kept": [], "dropped": [], "excluded": [], "skipped_sources": []}
    previous = out / "index.json"
    if previous.exists():  # keep what other sources (not rebuilt now) contributed
        names = {s["name"] for s in sources}
        old = json.loads(previous.read_text(encoding="utf-8"))
        for key in index:
            index[key] = [e for e in old.get(key, []) if e.get("source") not in names]
    for src in sources:
        try:
            files, lic = read_members(src, work, mirror)
        except FileNotFoundError as exc:
            print(f"{src['name']}: skipped ({exc})")
            index["skipped_sources"].append({"source": src["name"], "why": str(exc)})
            continue
        index["excluded"] += [{"source": src["name"], "member": src.get("prefix", "") + m, "why": why}
                              for m, why in src.get("exclude", {}).items()]
        folder = out / src["name"]
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        if lic:
            (folder / "LICENSE-SOURCE.txt").write_bytes(lic)
        kept = dropped = 0
        for member, data in files.items():
            rel = member[len(src.get("prefix", "")):]
            im = to_rgb(data)
            if im is None:
                continue
            entry = {"file": f"{src['name']}/{out_name(member, src)}", "source": src["name"], "member": member,
                     "kind": src.get("kinds", {}).get(rel, src["kind"]), "licence": src["licence"],
                     "size": list(im.size)}
            if finder is not None and has_hand(finder, np.asarray(im)):
                index["dropped"].append(entry)
                dropped += 1
                continue
            im.save(out / entry["file"], "JPEG", quality=90)
            index["kept"].append(entry)
            kept += 1
        print(f"{src['name']}: kept {kept}, dropped {dropped} (hand found)")
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return index


def contact_sheet(out: Path, index: dict, path: Path, cell: int = 160, cols: int = 14) -> Path:
    """Every kept photo as a thumbnail, grouped by source, for a look by eye."""
    from PIL import Image, ImageDraw

    files = [e["file"] for e in index["kept"]]
    rows = max(1, -(-len(files) // cols))
    sheet = Image.new("RGB", (cols * cell, rows * cell), "white")
    draw = ImageDraw.Draw(sheet)
    for i, f in enumerate(files):
        im = Image.open(out / f)
        im.thumbnail((cell - 4, cell - 16))
        x, y = (i % cols) * cell, (i // cols) * cell
        sheet.paste(im, (x + 2, y + 2))
        draw.text((x + 2, y + cell - 13), f[:24], fill="black")
    sheet.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: <user data dir>/backgrounds)")
    ap.add_argument("--from-mirror", type=Path, default=None,
                    help="folder of bare git snapshots (OWNER+NAME/repo) for the github sources")
    ap.add_argument("--only", nargs="*", default=None, help="source names to rebuild (default: all)")
    ap.add_argument("--no-hand-filter", action="store_true", help="keep every image (for debugging only)")
    ap.add_argument("--contact-sheet", type=Path, default=None, help="also write a PNG of all kept images")
    ap.add_argument("--work", type=Path, default=None, help="download/unpack folder (default: a temp dir)")
    args = ap.parse_args(argv)

    sources = load_manifest()
    if args.only:
        unknown = set(args.only) - {s["name"] for s in sources}
        if unknown:
            ap.error(f"unknown sources: {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s["name"] in args.only]
    out = args.out or default_out()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        index = build(sources, out, args.from_mirror, work, hand_filter=not args.no_hand_filter)
    print(f"kept {len(index['kept'])}, dropped {len(index['dropped'])} by the hand filter, "
          f"{len(index['excluded'])} excluded on review -> {out}")
    if args.contact_sheet:
        print(f"contact sheet: {contact_sheet(out, index, args.contact_sheet)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
