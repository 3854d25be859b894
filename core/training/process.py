"""A training run in its own process: :class:`TrainProcess` starts it, steers it and reads its events.

Why a process: building and tracing a Keras model runs long stretches of
TensorFlow C++ that hold Python's GIL (measured in docs/model.md), and no
thread priority can give the UI thread a lock another thread holds.  In its
own process the training has its own GIL; the caller only reads small
messages.  The protocol (job, message kinds, outcome) is in
``core.training.protocol``; the child's side is ``core.training.child``.  No
Qt: the app's ``TrainWorker`` relays these events to signals, and the bench
drives the same class.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from collections.abc import Iterator

from core.training.child import run_child
from core.training.protocol import Control, DatasetInfo, Event, MessageKind, TrainJob, TrainOutcome

__all__ = ["Control", "DatasetInfo", "Event", "MessageKind", "TrainJob", "TrainOutcome", "TrainProcess"]

log = logging.getLogger(__name__)


class TrainProcess:
    """One training job in a spawned child process.

    ``stop``/``pause``/``resume`` may be called from any thread, also before
    :meth:`start` (they are sent once the child exists) and after the run ended
    (ignored).  :meth:`events` yields the child's :class:`Event` objects and ends
    with exactly one ``FINISH``, also when the child dies without one.
    :meth:`close` waits for the child and terminates it if it will not end.
    """

    def __init__(self, name: str = "handsign-training"):
        self.name = name
        self._lock = threading.Lock()
        self._control = None  # the parent's end of the control pipe while the child runs
        self._wanted: list[Control] = []  # sent before the child started
        self._finished = False
        self._events = None
        self._process = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, job: TrainJob) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that has Qt and TensorFlow threads
        events_r, events_w = ctx.Pipe(duplex=False)
        control_r, control_w = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=run_child, args=(job, events_w, control_r), name=self.name, daemon=True)
        try:
            proc.start()
        except BaseException:
            for end in (events_r, events_w, control_r, control_w):
                end.close()
            raise
        events_w.close()
        control_r.close()
        self._process, self._events = proc, events_r
        with self._lock:
            self._control = control_w
            for msg in self._wanted:
                control_w.send(msg)
            self._wanted.clear()

    # -- steering, from any thread ---------------------------------------------------
    def send(self, msg: Control) -> None:
        with self._lock:
            if self._finished:
                return
            if self._control is None:
                self._wanted.append(msg)
                return
            try:
                self._control.send(msg)
            except (OSError, ValueError):  # the child has already ended
                pass

    def stop(self) -> None:
        self.send(Control.STOP)

    def pause(self) -> None:
        self.send(Control.PAUSE)

    def resume(self) -> None:
        self.send(Control.RESUME)

    # -- reading -----------------------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> bool:
        """Whether an event is waiting (or the child has gone: then :meth:`events` ends the run)."""
        return self._events.poll(timeout)

    def next_event(self) -> Event:
        """The child's next event, blocking; a child that died unannounced gives ERROR, then FINISH.

        After the run's FINISH (or :meth:`close`) every call gives FINISH with no payload.
        """
        if self._finished:
            return Event(MessageKind.FINISH, None)
        try:
            event = self._events.recv()
        except EOFError:  # the child ended without saying goodbye (killed, crashed)
            self._process.join(5)
            self._end_steering()  # so the next event is the FINISH it never sent
            return Event(MessageKind.ERROR, RuntimeError(
                f"the training process ended unexpectedly (exit code {self._process.exitcode})"))
        if event.kind is MessageKind.FINISH:
            self._end_steering()
        return event

    def events(self) -> Iterator[Event]:
        """Every event of the run, up to and including its ``FINISH``."""
        while True:
            event = self.next_event()
            yield event
            if event.kind is MessageKind.FINISH:
                return

    def _end_steering(self) -> None:
        with self._lock:
            self._finished = True
            self._wanted.clear()
            if self._control is not None:
                self._control.close()
                self._control = None

    # -- ending ------------------------------------------------------------------------
    def close(self, timeout: float = 60) -> None:
        """Wait up to ``timeout`` s for the child to end (it saves first), then terminate it.

        Events nobody reads any more are drained meanwhile, so a child sending its
        last reports (the outcome carries images) never blocks on a full pipe.
        """
        self._end_steering()
        proc = self._process
        if proc is not None:
            self._drain_until_ended(proc, timeout)
            if proc.is_alive():  # it had its time to save; do not leave it behind
                log.warning("the training process did not end; terminating it")
                proc.terminate()
                proc.join(5)
        if self._events is not None:
            self._events.close()

    def _drain_until_ended(self, proc, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while proc.is_alive() and time.monotonic() < deadline:
            try:
                if self._events is not None and self._events.poll(0.1):
                    self._events.recv()
                    continue
            except (EOFError, OSError):  # the child closed its end: it is ending
                pass
            proc.join(0.1)

    def __enter__(self) -> TrainProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
