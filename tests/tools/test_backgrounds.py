"""tools.backgrounds reads a GitHub snapshot's photos, names with spaces included, and honours the review's exclusions."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from tools.backgrounds import build

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _snapshot(tmp_path, files: dict[str, tuple[int, int, int]]) -> tuple:
    """A bare snapshot OWNER+NAME/repo of a repository holding one flat-colour photo per name, and its commit."""
    work = tmp_path / "work"
    work.mkdir()
    for name, colour in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((240, 320, 3), colour, np.uint8)).save(work / name)
    _git("init", "-q", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "photos", cwd=work)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True,
                            text=True).stdout.strip()
    mirror = tmp_path / "mirror"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror / "someone+faces" / "repo")], check=True)
    return mirror, commit


def test_a_github_source_with_spaces_in_its_paths_is_read_and_reviewed(tmp_path):
    mirror, commit = _snapshot(tmp_path, {"1000 x 1000/001.jpg": (200, 40, 40), "1000 x 1000/002.jpg": (40, 200, 40),
                                          "1000 x 1000/003.jpg": (40, 40, 200), "other/004.jpg": (9, 9, 9)})
    src = {"name": "faces", "type": "github", "repo": "someone/faces", "commit": commit, "licence": "CC0-1.0",
           "prefix": "1000 x 1000/", "kind": "faces-people", "members": "*.jpg",
           "exclude": {"002.jpg": "a hand in view"}}
    out = tmp_path / "out"
    out.mkdir()
    index = build([src], out, mirror, tmp_path / "tmp", hand_filter=False)
    kept = sorted(e["file"] for e in index["kept"])
    assert kept == ["faces/001.jpg", "faces/003.jpg"]
    assert [e["member"] for e in index["excluded"]] == ["1000 x 1000/002.jpg"]
    assert Image.open(out / "faces" / "003.jpg").getpixel((5, 5))[2] > 150  # the photo itself, not another
    assert json.loads((out / "index.json").read_text())["kept"][0]["kind"] == "faces-people"
