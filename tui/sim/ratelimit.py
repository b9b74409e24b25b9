"""Alpaca's request budget: N requests per rolling minute per API key."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds when the oldest request in the window leaves it


class RateLimiter:
    """A sliding log: Remaining is exactly what a client may still send in the next minute."""

    def __init__(self, per_minute: int, now=time.time) -> None:
        self.per_minute = per_minute
        self._now = now
        self._log: dict[str, deque[float]] = {}

    def hit(self, key: str) -> Verdict:
        now = self._now()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - WINDOW_SECONDS:
            log.popleft()
        allowed = len(log) < self.per_minute
        if allowed:
            log.append(now)
        reset = math.ceil((log[0] if log else now) + WINDOW_SECONDS)
        return Verdict(allowed, self.per_minute, max(0, self.per_minute - len(log)), reset)
