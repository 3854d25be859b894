"""Data-parallel training on CPU (core.training.distribute): MirroredStrategy over two logical devices and a
two-process MultiWorkerMirroredStrategy run on localhost, each against a one-device run of the same settings.

Each run is a fresh process (logical devices and TF_CONFIG must be set before TensorFlow starts); see
tests/core/training/distributed_run.py.  "Within noise": two epochs of a small ResNet on the 1,080 SIGNS
training images score about 0.6-0.9 on the 120 test images, and a change of BatchNorm batch (per replica)
moves a run by a few images; the bound is 0.2 (24 images), far below what a broken run gives (chance: 0.17).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TOLERANCE = 0.2


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2", **extra)
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _result(proc_out: str) -> dict:
    lines = [line for line in proc_out.splitlines() if line.startswith("RESULT ")]
    assert lines, proc_out[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def _run(mode: str, out: Path, data: Path, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.core.training.distributed_run", mode, str(out), str(data)],
                            cwd=REPO, env=_env(**env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen, timeout: float = 900) -> dict:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return _result(out)


@pytest.fixture(scope="module")
def single(signs_dir, tmp_path_factory) -> dict:
    return _finish(_run("single", tmp_path_factory.mktemp("single") / "one.keras", signs_dir))


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _check_saved(res: dict) -> None:
    assert res["status"] == "completed"
    assert res["loaded"] is not None and res["loaded"]["same"]
    assert res["loaded"]["classes"] == ["0", "1", "2", "3", "4", "5"]
    assert Path(res["saved"]).with_suffix(".json").exists()  # the run card beside it


def test_single_device_run_learns(single):
    _check_saved(single)
    assert single["distribute"] == "one device" and single["streamed"]
    assert single["test_accuracy"] > 0.5, single  # well above chance (0.17) after two epochs
    assert single["losses"][1] < single["losses"][0]


def test_mirrored_over_two_logical_cpus_matches_one_device(single, signs_dir, tmp_path):
    res = _finish(_run("mirrored", tmp_path / "mirrored.keras", signs_dir))
    _check_saved(res)
    assert res["distribute"] == "MirroredStrategy: 2 replicas"
    assert abs(res["test_accuracy"] - single["test_accuracy"]) <= TOLERANCE, (res, single)


def test_two_workers_on_localhost_match_one_device(single, signs_dir, tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs = [_run("worker", tmp_path / f"worker{i}.keras", signs_dir,
                  TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
             for i in range(2)]
    try:
        chief, other = (_finish(p) for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    _check_saved(chief)
    assert chief["distribute"] == "MultiWorkerMirroredStrategy: 2 replicas on 2 workers"
    assert other["saved"] is None and not (tmp_path / "worker1.keras").exists()  # only the chief writes
    assert chief["losses"] == other["losses"]  # one run: the steps' logs are averaged over the workers
    # The trained weights are the same on both; BatchNorm's moving statistics are each worker's own (its
    # shard's batches), so the two workers' inference-mode scores differ by an image or two at most.
    assert abs(chief["test_accuracy"] - other["test_accuracy"]) <= 0.05, (chief, other)
    assert abs(chief["test_accuracy"] - single["test_accuracy"]) <= TOLERANCE, (chief, single)
