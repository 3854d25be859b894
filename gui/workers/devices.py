"""The Train tab's device list, found without importing TensorFlow in the app's process.

:class:`DeviceLister` runs ``core.device.DeviceProbe`` (a spawned child that
imports TensorFlow and lists its devices) once, on its own thread, the first
time the list is needed (the window asks when the Train tab is first shown),
and emits ``devices_found``.  "cpu" is offered from the start by the inference
worker, so nothing waits for the probe.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from gui.threads import start_worker, stop_thread

log = logging.getLogger(__name__)


class _ProbeWorker(QObject):
    devices_found = Signal(list)  # ["cpu", "gpu:0", ...]

    def __init__(self, probe):
        super().__init__()
        self.probe = probe

    @Slot()
    def run(self) -> None:
        devices = ["cpu"]
        try:
            devices = self.probe.run()
        except Exception:  # the CPU is always there
            log.exception("device probe failed")
        finally:
            self.devices_found.emit(devices)


class DeviceLister(QObject):
    """Owns the probe's thread; :meth:`request` starts the one probe, :meth:`shutdown` stops and joins it."""

    devices_found = Signal(list)
    _run = Signal()

    def __init__(self, parent=None, timeout_s: float = 120.0):
        super().__init__(parent)
        from core.device import DeviceProbe

        self.probe = DeviceProbe(timeout_s)
        self.devices: list[str] | None = None  # the answer, once it came
        self._worker: _ProbeWorker | None = None
        self._thread = None

    def request(self) -> None:
        """Probe once (later calls do nothing; the answer comes by ``devices_found``)."""
        if self._worker is not None:
            return
        self._worker = _ProbeWorker(self.probe)
        self._worker.devices_found.connect(self._found)
        self._run.connect(self._worker.run)
        self._thread = start_worker(self._worker, "device-probe")
        self._run.emit()

    def _found(self, devices: list) -> None:
        self.devices = list(devices)
        log.info("devices: %s", ", ".join(self.devices))
        self.devices_found.emit(self.devices)

    def shutdown(self) -> None:
        self.probe.stop()
        stop_thread(self._thread)
        self._thread = None
