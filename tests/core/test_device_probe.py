"""The device list for the app, from a spawned child process (the app never imports TensorFlow for it)."""

from __future__ import annotations

from core.device import DeviceProbe, list_devices


def test_the_probe_child_lists_what_this_process_sees():
    devices = DeviceProbe(timeout_s=300).run()
    assert devices[0] == "cpu"
    assert devices == list_devices()  # the child imports the same backend on the same machine


def test_a_stopped_probe_answers_cpu_at_once():
    probe = DeviceProbe()
    probe.stop()
    assert probe.run() == ["cpu"]


def test_a_probe_that_runs_out_of_time_answers_cpu():
    assert DeviceProbe(timeout_s=0.01).run() == ["cpu"]
