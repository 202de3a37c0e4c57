"""Admission: whether an invocation may run now, and the counts that decide it.

Throttles as AWS's (the rules themselves are pure, in ``model.concurrency``): a function with
reserved concurrency runs at most that many at once; the others share the account's limit less
every reservation; and an invocation that needs a new environment is refused past the scale-out
rate (new environments per function per 10 s window, read on the injected clock). A refused
invocation raises ``TooManyRequestsException`` with its Reason and changes no count.

The counts' peaks since they were last taken (``take_peaks``) are what the ConcurrentExecutions
metrics sample: a few comparisons per admission, nothing else on the invoke path.
"""

from __future__ import annotations

from collections import Counter

from lambent.clock import Clock
from lambent.errors import TooManyRequestsException
from lambent.model.concurrency import scale_out_reason, throttle_reason
from lambent.model.limits import SCALE_OUT_WINDOW_S


def _throttled(reason: str) -> TooManyRequestsException:
    return TooManyRequestsException("Rate Exceeded.", Reason=reason, retryAfterSeconds="1")


class Admission:
    def __init__(self, clock: Clock, concurrency_limit: int, scale_out_limit: int) -> None:
        self._clock = clock
        self.concurrency_limit = concurrency_limit
        self._scale_out_limit = scale_out_limit
        #: Executions running now: in all, per function, and of functions without a reservation.
        self.busy = 0
        self._running: Counter[str] = Counter()
        self._unreserved_running = 0
        #: Per function, the monotonic times of its new environments in the current window.
        self._starts: dict[str, list[float]] = {}
        #: The most executions running at once since ``take_peaks``: in all, unreserved, per function.
        self._peak_busy = 0
        self._peak_unreserved = 0
        self._peaks: dict[str, int] = {}

    def running(self, name: str) -> int:
        return self._running[name]

    def admit(self, name: str, reserved: int | None, reserved_total: int, new_environment: bool) -> None:
        """Count one more execution of *name* (*reserved*: its reservation, None: unreserved,
        sharing the account limit less *reserved_total*), or raise the throttle; with
        *new_environment*, it also counts against the scale-out rate."""
        reason = throttle_reason(reserved, self._running[name], self._unreserved_running, self.concurrency_limit, reserved_total)
        if reason is not None:
            raise _throttled(reason)
        if new_environment:
            self._scale_out(name, reserved)
        self.busy += 1
        self._running[name] += 1
        if reserved is None:
            self._unreserved_running += 1
            self._peak_unreserved = max(self._peak_unreserved, self._unreserved_running)
        self._peak_busy = max(self._peak_busy, self.busy)
        if self._running[name] > self._peaks.get(name, 0):
            self._peaks[name] = self._running[name]

    def take_peaks(self) -> tuple[int, int, dict[str, int]]:
        """The peaks since the last call (in all, unreserved, per function); the next ones start
        from what runs now."""
        taken = (self._peak_busy, self._peak_unreserved, self._peaks)
        self._peak_busy, self._peak_unreserved = self.busy, self._unreserved_running
        self._peaks = dict(self._running)
        return taken

    def release(self, name: str, reserved: int | None) -> None:
        """The execution *admit* counted has ended."""
        self.busy -= 1
        self._running[name] -= 1
        if not self._running[name]:
            del self._running[name]
        if reserved is None:
            self._unreserved_running -= 1

    def _scale_out(self, name: str, reserved: int | None) -> None:
        now = self._clock.monotonic()
        starts = [moment for moment in self._starts.get(name, []) if now - moment < SCALE_OUT_WINDOW_S]
        reason = scale_out_reason(starts, now, self._scale_out_limit, reserved)
        if reason is not None:
            raise _throttled(reason)
        starts.append(now)
        self._starts[name] = starts
