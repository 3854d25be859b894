"""Privacy: a whole session (classify, capture, snapshot, train, use the new model) opens no network
connection, and everything it writes lands in the user data folder (``HANDSIGN_HOME``).

Python's audit hooks (PEP 578) see every socket, DNS look-up and file opened for writing, in this
process and, through ``audit_site/sitecustomize.py`` on ``PYTHONPATH``, in the training process and in
fresh ``handsign`` / app processes.  The OS is also polled for inet sockets of this process and its
children while the session runs.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.conftest import REPO, tiny_builder
from tests.gui.conftest import signs_test_images, wait_for

AUDIT_SITE = Path(__file__).resolve().parent / "audit_site"


def _audit_module():
    name = "handsign_privacy_audit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, AUDIT_SITE / "sitecustomize.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


class SocketPoller:
    """Looks at the OS's table of inet sockets for this process and its children, every 50 ms."""

    def __init__(self):
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-poller", daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.wait(0.05):
            for proc in [me, *me.children(recursive=True)]:
                try:
                    for conn in proc.net_connections(kind="inet"):
                        self.seen.append(f"pid {proc.pid}: {conn}")
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


# TensorFlow imports its legacy tf.keras callbacks, which import ``requests``; urllib3 then checks once,
# at import, whether IPv6 works by binding a socket to the loopback address, port 0 (no connection, no
# packet leaves the machine).  That probe, and only that, is allowed.
URLLIB3_IPV6_PROBE = {
    "socket.__new__ family=10 type=1 by urllib3/util/connection.py:_has_ipv6",
    "socket.bind ('::1', 0) by urllib3/util/connection.py:_has_ipv6",
}


def _outside(paths, *roots):
    """Writes that persist outside ``roots``.

    Scratch files in the temp folder that are gone again are not counted (Keras unpacks a ``.keras``
    archive into a temporary folder while loading it and deletes it afterwards), nor ``mkdir`` calls on
    folders that already exist (``os.makedirs(..., exist_ok=True)`` on a parent), nor TensorFlow's
    generated tf.function sources.
    """
    import tempfile

    roots = [Path(r).resolve() for r in roots]
    scratch = Path(tempfile.gettempdir()).resolve()
    bad = []
    for p in paths:
        real = Path(p).resolve()
        if str(real).startswith(("/dev/", "/proc/")):
            continue
        if any(real == r or r in real.parents for r in roots):
            continue
        if scratch in real.parents and not real.exists():
            continue
        if real.parent == scratch and real.name.startswith("__autograph_generated_file"):
            continue  # TensorFlow's generated source for tf.function (code, no user data)
        if any(real == r or real in r.parents for r in [*roots, scratch]):  # a parent folder of an allowed place
            continue
        bad.append(p)
    return sorted(set(bad))


def _parse(lines):
    net = [ln.split("\t", 1)[1] for ln in lines if ln.startswith("net\t")]
    net = [n for n in net if n not in URLLIB3_IPV6_PROBE]
    writes = [ln.split("\t", 1)[1] for ln in lines if ln.startswith(("write\t", "mkdir\t"))]
    return net, writes


def test_a_whole_session_makes_no_connection_and_writes_only_to_the_user_folder(make_window, qtbot, tmp_path,
                                                                                 monkeypatch, signs_dir, signs_video,
                                                                                 good_model):
    from core.paths import collected_dir, models_dir, user_dir

    home = user_dir()
    monkeypatch.delenv("HANDSIGN_CACHE")  # the default: the rebuildable cache is in the user folder too
    child_log = tmp_path / "child-audit.log"
    monkeypatch.setenv("HANDSIGN_AUDIT_LOG", str(child_log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(AUDIT_SITE), os.environ.get("PYTHONPATH", "")]))
    audit = _audit_module()
    audit.state["events"].clear()
    audit.install(active=True)
    try:
        with SocketPoller() as poller:
            win = make_window(model_path=good_model)
            c = win.classify
            # Classify photos, then a video through the camera path.
            c.open_paths(signs_test_images(signs_dir, 1))
            wait_for(qtbot, lambda: c.results_shown > 0)
            win.frames.loop_video = True
            c.open_video(signs_video[0])
            wait_for(qtbot, lambda: c.results_shown > 5)
            # Capture: "this is wrong, save as 3", a snapshot, and a burst on the Collect tab.
            assert c.save_as_class("3") is not None and c.snapshot() is not None
            tab = win.collect_tab
            wait_for(qtbot, lambda: tab.latest is not None)
            tab.select_class("1")
            assert tab.start_burst(count=3, countdown=0, interval_ms=50)
            wait_for(qtbot, lambda: not tab.capturing, timeout=15_000)
            c.frames.stop()
            # A short training in its own process, then use the new model.
            train = win.train_tab
            train.builder = tiny_builder
            train.dataset_combo.setCurrentIndex(train.dataset_combo.findData("signs"))
            train.epochs.setValue(1)
            train.batch_size.setValue(16)
            train.augment.setChecked(False)
            train.max_per_class.setValue(8)
            assert train.start_training()
            wait_for(qtbot, lambda: not train.running and train.outcome is not None, timeout=180_000)
            train.use_button.click()
            wait_for(qtbot, lambda: c.model_path == train.outcome.result.model_path, timeout=60_000)
            c.open_paths(signs_test_images(signs_dir, 1)[:2])
            wait_for(qtbot, lambda: c.results_shown > 0)
            win.close()
            wait_for(qtbot, lambda: win.closed_cleanly, timeout=60_000)
    finally:
        audit.state["active"] = False
    here_net, here_writes = _parse(audit.state["events"])
    child_lines = child_log.read_text().splitlines() if child_log.exists() else []
    child_net, child_writes = _parse(child_lines)
    print(f"\nsession: {len(here_writes)} writes here, {len(child_writes)} in the training process; "
          f"network actions: {len(here_net) + len(child_net)}; inet sockets seen by the OS: {len(poller.seen)}")
    assert child_lines, "the training process was not audited"
    assert here_net == [] and child_net == [], here_net + child_net
    assert poller.seen == []
    assert _outside(here_writes + child_writes, home) == []
    # The user's things are in the user folder.
    assert len(list((collected_dir() / "3").glob("*.jpg"))) == 1 and len(list((collected_dir() / "1").glob("*.jpg"))) == 3
    assert len(list((home / "snapshots").glob("*.png"))) == 1
    assert len(list(models_dir().glob("run-*.keras"))) >= 1 and len(list(models_dir().glob("run-*.json"))) == 1


@pytest.mark.parametrize("command", ["predict", "evaluate", "app"])
def test_fresh_processes_make_no_connection_and_write_only_to_the_user_folder(tmp_path, good_model, signs_dir,
                                                                              command):
    """A fresh process with an empty home folder: nothing appears outside the user data folder (not even
    Keras's ``~/.keras``), and no network action happens."""
    fake_home = tmp_path / "home"
    data_home = tmp_path / "userdata"
    fake_home.mkdir()
    log = tmp_path / "audit.log"
    env = dict(os.environ, HOME=str(fake_home), HANDSIGN_HOME=str(data_home), HANDSIGN_AUDIT_LOG=str(log),
               PYTHONPATH=os.pathsep.join([str(AUDIT_SITE), os.environ.get("PYTHONPATH", "")]),
               QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(fake_home / ".config"),
               XDG_DATA_HOME=str(fake_home / ".local" / "share"), XDG_CACHE_HOME=str(fake_home / ".cache"))
    env.pop("KERAS_HOME", None)
    env.pop("HANDSIGN_CACHE", None)
    image = signs_test_images(signs_dir, 1)[0]
    args = {
        "predict": ["-m", "core", "predict", "--model", str(good_model), str(image)],
        "evaluate": ["-m", "core", "evaluate", "--model", str(good_model), "--data", str(signs_dir), "--json"],
        "app": ["-m", "gui.app", "--model", str(good_model), "--no-camera", "--smoke-test", str(image)],
    }[command]
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    net, writes = _parse(log.read_text().splitlines())
    assert net == []
    assert _outside(writes, data_home, tmp_path / "audit.log") == []
    assert [p.relative_to(fake_home) for p in fake_home.rglob("*")] == [], "files outside the user data folder"
    assert any(Path(w).is_relative_to(data_home / "keras") for w in writes)  # Keras's folder is in there too
    assert list((data_home / "cache" / "tflite").glob("*.tflite"))  # and the converted inference model


def test_the_audit_does_see_connections_and_writes(tmp_path):
    """A positive control: the hook the tests above rely on records a connect and a write."""
    import socket

    audit = _audit_module()
    audit.state["events"].clear()
    audit.install(active=True)
    try:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", 9), timeout=0.5)  # discard port: refused (or times out)
        (tmp_path / "x.txt").write_text("x")
    finally:
        audit.state["active"] = False
    net, writes = _parse(audit.state["events"])
    assert any("socket.connect ('127.0.0.1', 9)" in n for n in net)
    assert str(tmp_path / "x.txt") in writes
