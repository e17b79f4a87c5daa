"""Progress as plain lines, for output that is not a terminal (a log, CI): tqdm draws a bar on a
terminal and is off elsewhere, so these say how far a long ingest or eval has come."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator


class ProgressLog:
    """Progress as plain lines, for a log that is not a terminal (tqdm is off there, or writes
    carriage returns): one line per tenth of the way, or after `every_s` seconds, and at the end."""

    def __init__(self, label: str, total: int, write: Callable[[str], None], every_s: float = 30.0,
                 clock: Callable[[], float] = time.perf_counter):
        self.label, self.total, self.write, self.every_s, self.clock = label, total, write, every_s, clock
        self.done = 0
        self.t0 = self.last_t = clock()
        self.last_tenth = 0

    def update(self, n: int = 1) -> None:
        if self.done >= self.total:
            return  # the end was written
        self.done = min(self.total, self.done + n)
        now = self.clock()
        tenth = self.done * 10 // self.total
        if self.done == self.total or tenth > self.last_tenth or now - self.last_t >= self.every_s:
            self.last_tenth, self.last_t = tenth, now
            self.write(f"{self.label}: {self.done}/{self.total} ({100 * self.done // self.total}%), "
                       f"{now - self.t0:.0f} s")

    def wrap(self, items) -> Iterator:
        for x in items:
            yield x
            self.update()


class Reported(list):
    """The corpus as a list the ingest can take (it needs the length), telling a ProgressLog as
    the ingest reads each article; the ingest embeds in batches, at most a batch or two behind."""

    def __init__(self, items: list, log: ProgressLog):
        super().__init__(items)
        self.log = log

    def __iter__(self):
        return self.log.wrap(super().__iter__())
