"""Which hand finder answered: a digest of its model files and code, so caches of its answers can tell."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def finder_version() -> str:
    """A short digest of what decides the finder's answers: its model files and its code."""
    import core
    from core.hands import models

    h = hashlib.blake2b(digest_size=8)
    h.update(json.dumps(models.SHA256, sort_keys=True).encode())
    h.update(str(getattr(core, "__version__", "")).encode())
    for source in sorted(Path(models.__file__).parent.glob("*.py")):  # absent in a frozen app: the version counts
        h.update(source.read_bytes())
    return h.hexdigest()
