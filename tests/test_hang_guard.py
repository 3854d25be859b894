"""The suite's guard against a test stuck in C code, where pytest-timeout's SIGALRM never reaches Python.

A CI run once sat in such a hang until CI's 90-minute limit, with nothing printed.  The project's pytest
configuration (pyproject.toml) has faulthandler dump every thread's stack and end the run instead.  This
runs pytest with that configuration on a test that deadlocks in C while holding the GIL, with only the
dump's delay shortened.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

STUCK = '''
import ctypes


def test_before():
    pass


def test_stuck_in_c():
    libc = ctypes.PyDLL(None)  # keeps the GIL for the call, as a deadlock in a C++ library would
    mutex = ctypes.create_string_buffer(64)  # room for a pthread_mutex_t on Linux (40 bytes) and macOS (64)
    assert libc.pthread_mutex_init(mutex, None) == 0  # a default (non-recursive) mutex
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)  # locked twice: waits forever, and no signal handler can run


def test_after():
    pass
'''


@pytest.mark.skipif(sys.platform == "win32", reason="the stuck test locks a POSIX thread mutex")
def test_a_test_stuck_in_c_dumps_every_thread_and_ends_the_run(tmp_path):
    (tmp_path / "test_stuck.py").write_text(STUCK)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(REPO / "pyproject.toml"),
           "--rootdir", str(tmp_path), "-o", "faulthandler_timeout=3", str(tmp_path / "test_stuck.py")]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Timeout (0:00:03)!" in out, out  # faulthandler's dump, not pytest-timeout's failure
    assert "in test_stuck_in_c" in out, out  # the stuck test's own frame is in the dump
    assert "test_after" not in out and "passed" not in out, out  # the run ended there
