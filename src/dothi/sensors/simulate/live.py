"""The fleet running live: each generated device reports in turn, so that the whole
fleet sends about ``rate`` readings a second; replayed stations report at their own
cadence (hourly, or every ~145 s for the low-cost sensor); a streetlight given a task
obeys it and reports at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dothi.sensors.simulate.devices import Device, Reading
from dothi.sensors.simulate.transports import Sink, TaskSource
from dothi.sensors.sta.times import now_micros

log = logging.getLogger(__name__)

#: No device reports more often than 100 times a second.
MIN_INTERVAL_US = 10_000
#: A device's values are computed this far ahead in one call: the patterns are cheap per
#: time but not per call, so a fleet at a high rate is not held back by them.
AHEAD_US = 30_000_000
MAX_AHEAD = 128
#: A device that fell behind catches up by at most this many readings, then skips ahead.
MAX_BURST = 10


@dataclass
class _Ahead:
    """A device's values computed in advance, at its next due times."""

    times: list[int]
    values: dict[str, Any]
    pos: int = 0


@dataclass
class LiveStats:
    """Rounds run, readings made, tasks obeyed and refused."""

    rounds: int = 0
    readings: int = 0
    tasks: int = 0
    tasks_refused: int = 0


class Runner:
    """Steps the fleet: :meth:`step` sends what is due at a time; :meth:`run` loops."""

    def __init__(
        self,
        devices: Sequence[Device],
        sink: Sink,
        *,
        rate: float,
        tasks: TaskSource | None = None,
        now: int | None = None,
        clock: Callable[[], int] = now_micros,
    ) -> None:
        self.sink, self.tasks, self.clock = sink, tasks, clock
        self.stats = LiveStats()
        start = clock() if now is None else now
        self.generated = [d for d in devices if d.kind.name != "air_replay" and d.streams]
        self.replays = [d for d in devices if d.kind.name == "air_replay" and d.streams]
        # Streams reported on change (a lamp's state) send little: the rate counts the others.
        streams = sum(
            max(1, sum(k not in d.kind.on_change for k in d.streams)) for d in self.generated
        )
        self.interval = max(MIN_INTERVAL_US, int(streams / max(rate, 1e-6) * 1_000_000))
        n = max(1, len(self.generated))
        # Spread over the interval: device i first reports at i/n of it.
        self.next_due = start + (np.arange(len(self.generated)) * self.interval) // n
        self.replayed_until = {d.thing_id: start for d in self.replays}
        self.by_tasking = {d.tasking_id: i for i, d in enumerate(self.generated) if d.tasking_id}
        self._ahead: dict[int, _Ahead] = {}

    def _obey(self, now: int) -> None:
        if self.tasks is None:
            return
        for cap, parameters in self.tasks.poll():
            i = self.by_tasking.get(cap)
            if i is None:
                continue
            if self.generated[i].apply_task(parameters, now):
                self.stats.tasks += 1
                self._ahead.pop(i, None)  # computed before the task
                self.next_due[i] = now  # report the new state at once
            else:
                self.stats.tasks_refused += 1
                log.warning("simulator: task for TaskingCapabilities(%s) not understood", cap)

    def step(self, now: int | None = None) -> int:
        """Send everything due at ``now`` (µs; default the clock); how many readings."""
        now = self.clock() if now is None else now
        self._obey(now)
        readings: list[Reading] = []
        for found in np.nonzero(self.next_due <= now)[0]:
            i = int(found)
            for _ in range(MAX_BURST):
                readings.extend(self._reading(i, int(self.next_due[i])))
                self.next_due[i] += self.interval
                if self.next_due[i] > now:
                    break
            else:
                # Far behind (a slow round, a stalled clock): start afresh, no flood.
                self.next_due[i] = now + self.interval
        for d in self.replays:
            since = self.replayed_until[d.thing_id]
            if now > since:
                readings.extend(d.readings(since, now + 1, self.interval))
                self.replayed_until[d.thing_id] = now + 1
        if readings:
            self.sink.send(readings)
        self.stats.rounds += 1
        self.stats.readings += len(readings)
        return len(readings)

    def _reading(self, i: int, at: int) -> list[Reading]:
        """Device ``i``'s reading due at ``at`` (µs), from its values computed ahead."""
        device = self.generated[i]
        ahead = self._ahead.get(i)
        if ahead is None or ahead.pos >= len(ahead.times) or ahead.times[ahead.pos] != at:
            k = max(1, min(MAX_AHEAD, AHEAD_US // self.interval))
            t = at + np.arange(k, dtype=np.int64) * self.interval
            ahead = self._ahead[i] = _Ahead([int(x) for x in t], device.sample(t))
        n = ahead.pos
        ahead.pos += 1
        return device.emit([at], {k: v[n : n + 1] for k, v in ahead.values.items()})

    def run(self, stop: threading.Event, duration: float | None = None, tick: float = 0.2) -> None:
        """Step every ``tick`` seconds until ``stop`` is set or ``duration`` seconds passed."""
        deadline = None if duration is None else time.monotonic() + duration
        while not stop.is_set():
            began = time.monotonic()
            try:
                self.step()
            except Exception:
                # A failed round (the database busy, a lost connection) must not end the
                # simulation; the next round tries again.
                log.exception("simulator: a round failed")
            if deadline is not None and time.monotonic() >= deadline:
                return
            stop.wait(max(0.0, tick - (time.monotonic() - began)))

    def close(self) -> None:
        """Close the sink and the task source."""
        self.sink.close()
        if self.tasks is not None:
            self.tasks.close()


class LiveThread:
    """A :class:`Runner` in a daemon thread (the demo's live readings)."""

    def __init__(self, runner: Runner, tick: float = 1.0) -> None:
        self.runner = runner
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=runner.run, args=(self._stop, None, tick), name="dothi-simulator", daemon=True
        )

    def start(self) -> LiveThread:
        """Start stepping; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop stepping and close the runner."""
        self._stop.set()
        self._thread.join(10)
        self.runner.close()
