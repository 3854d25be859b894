"""How often something happens: frames shown per second, over a sliding window."""

from __future__ import annotations

import time
from collections import deque


class RateMeter:
    """Events per second over a sliding window of timestamps (seconds, monotonic)."""

    def __init__(self, window: float = 2.0):
        self.window = window
        self._times: deque = deque()

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._times.append(now)
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._times.clear()
