"""Architecture rules: core never imports Qt; gui reaches TensorFlow only through core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")
BACKENDS = ("tensorflow", "keras", "jax")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_qt():
    offenders = {str(p.relative_to(REPO)): sorted(_imports(p) & set(QT)) for p in (REPO / "core").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_gui_reaches_tensorflow_only_through_core():
    offenders = {str(p.relative_to(REPO)): sorted(_imports(p) & set(BACKENDS)) for p in (REPO / "gui").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_importing_all_of_core_loads_no_qt():
    modules = [".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
               for p in (REPO / "core").rglob("*.py") if p.stem != "__main__"]
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + (
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\nprint(bad)\nsys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
